"""The default chain inside scikit-learn pipelines, and the leakage tests of the issue."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedShuffleSplit, cross_validate, train_test_split
from sklearn.pipeline import Pipeline

from radiome.select import (
    MRMR,
    ICCFilter,
    LassoCV1SE,
    UnivariateFilter,
    ZScore,
    default_chain,
)


def _signal_data(n=200, p=60, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.permutation(np.repeat([0, 1], n // 2))
    X = rng.normal(size=(n, p))
    X[:, :5] += np.outer(y, [1.0, 0.8, 0.6, 0.5, 0.4])
    return pd.DataFrame(X, columns=[f"feat{i:02d}" for i in range(p)]), y


def _selection(pipe: Pipeline) -> dict:
    """Everything the chain learned that decides the selected features and the model."""
    out = {}
    for name, step in pipe.steps:
        if hasattr(step, "get_support"):
            out[name] = tuple(step.get_feature_names_out())
    out["mrmr_ranking"] = tuple(pipe.named_steps["mrmr"].ranking_)
    out["pvalues"] = pipe.named_steps["univariate"].pvalues_.tobytes()
    lasso = pipe.named_steps["lasso"]
    out["coef"] = lasso.coef_.tobytes()
    out["lambda"] = (lasso.lambda_min_, lasso.lambda_1se_)
    return out


def test_default_chain_structure():
    pipe = default_chain()
    assert [n for n, _ in pipe.steps] == ["zscore", "univariate", "mrmr", "lasso"]
    assert isinstance(pipe.named_steps["lasso"], LassoCV1SE) and pipe.named_steps["lasso"].rule == "1se"
    assert pipe.named_steps["mrmr"].k == 20 and pipe.named_steps["zscore"].ddof == 1
    with_icc = default_chain(icc_reference={"a": 0.9}, k=7, random_state=3)
    assert [n for n, _ in with_icc.steps] == ["zscore", "icc", "univariate", "mrmr", "lasso"]
    assert isinstance(with_icc.named_steps["icc"], ICCFilter)
    assert with_icc.named_steps["mrmr"].k == 7 and with_icc.named_steps["mrmr"].random_state == 3
    assert with_icc.named_steps["lasso"].random_state == 3
    c = clone(with_icc)
    assert c.get_params()["mrmr__k"] == 7
    c.set_params(mrmr__k=5, lasso__rule="min")
    assert c.named_steps["mrmr"].k == 5 and c.named_steps["lasso"].rule == "min"


def test_default_chain_on_dataframes():
    X, y = _signal_data()
    pipe = default_chain(k=10).fit(X, y)
    names = pipe[:-1].get_feature_names_out()
    n_univariate = pipe.named_steps["univariate"].get_support().sum()
    assert len(names) == min(10, n_univariate) and set(names) <= set(X.columns)
    assert {"feat00", "feat01"} <= set(pipe.get_feature_names_out())  # the strongest survive the LASSO
    out = pipe.transform(X)
    assert isinstance(out, pd.DataFrame) and list(out.columns) == list(pipe.get_feature_names_out())
    proba = pipe.predict_proba(X)
    assert proba.shape == (len(y), 2) and np.allclose(proba.sum(axis=1), 1)
    np.testing.assert_allclose(pipe.decision_function(X), pipe[-1].radscore(pipe[:-1].transform(X)))
    assert pipe[-1].radscore_formula().startswith("Rad-score = ")
    # fold ids are routed to the LASSO step
    fold = np.arange(len(y)) % 5 + 1
    p2 = default_chain(k=10).fit(X, y, lasso__foldid=fold)
    np.testing.assert_array_equal(p2.named_steps["lasso"].foldid_, fold)


def test_icc_step_in_the_chain():
    X, y = _signal_data(p=20)
    rng = np.random.default_rng(1)
    r1 = X.iloc[:30] + rng.normal(0, 0.1, (30, 20))
    r2 = X.iloc[:30] + rng.normal(0, 0.1, (30, 20))
    r2["feat00"] = rng.normal(size=30)  # the strongest feature is not reproducible
    pipe = default_chain(icc_reference=[r1, r2], k=5).fit(X, y)
    assert "feat00" not in pipe.named_steps["icc"].get_feature_names_out()
    assert "feat00" not in pipe[:-1].get_feature_names_out()


def test_leakage_permuting_test_labels_does_not_change_the_selection():
    """(a) The selection fitted on a training split cannot depend on the test labels.

    Fitted through ``cross_validate`` on all rows with a predefined train/test split, the chain
    must learn exactly the same thing whether or not the test labels are permuted — while the
    test AUC changes (so the permuted labels did reach the scorer). The control shows that the
    comparison has power: the same chain fitted on train + test *does* change when the test
    labels are permuted, i.e. a selection that used test data would fail this test.
    """
    X, y = _signal_data()
    idx = np.arange(len(y))
    train_idx, test_idx = train_test_split(idx, test_size=0.3, stratify=y, random_state=0)
    rng = np.random.default_rng(99)
    y_perm = y.copy()
    y_perm[test_idx] = rng.permutation(y[test_idx])
    assert np.sum(y_perm != y) >= 10
    chain = default_chain(k=10, random_state=0)

    res = {}
    for label, yy in (("original", y), ("permuted", y_perm)):
        res[label] = cross_validate(
            chain, X, yy, cv=[(train_idx, test_idx)], scoring="roc_auc", return_estimator=True
        )
    fitted_o = res["original"]["estimator"][0]
    fitted_p = res["permuted"]["estimator"][0]
    assert _selection(fitted_o) == _selection(fitted_p)
    assert res["original"]["test_score"][0] != res["permuted"]["test_score"][0]
    # identical to fitting on the training rows alone
    direct = clone(chain).fit(X.iloc[train_idx], y[train_idx])
    assert _selection(direct) == _selection(fitted_o)

    # applying the fitted chain to test data leaves what it learned untouched
    before = _selection(direct)
    direct.transform(X.iloc[test_idx])
    direct.predict_proba(X.iloc[test_idx])
    direct.decision_function(X.iloc[test_idx])
    assert _selection(direct) == before

    # control: a "selection" that sees the test rows changes with their labels
    leaky_o = clone(chain).fit(X, y)
    leaky_p = clone(chain).fit(X, y_perm)
    so, sp = _selection(leaky_o), _selection(leaky_p)
    assert so["pvalues"] != sp["pvalues"] and so["coef"] != sp["coef"]
    assert so != _selection(direct)


def _auc_runs(X, y, splits, make_model, naive_selector=None):
    aucs = []
    Xs = naive_selector.fit(X, y).transform(X) if naive_selector is not None else None
    for tr, te in splits:
        if naive_selector is None:  # proper: everything fitted on the training rows
            model = make_model().fit(X[tr], y[tr])
            score = model.predict_proba(X[te])[:, 1]
        else:  # naive: features selected on all rows before the split
            model = make_model().fit(Xs[tr], y[tr])
            score = model.predict_proba(Xs[te])[:, 1]
        aucs.append(roc_auc_score(y[te], score))
    return np.asarray(aucs)


def test_leakage_pure_noise_nested_vs_naive():
    """(b) 150 x 1500 pure noise, balanced outcome, 10 fixed stratified 2:1 splits.

    Selection inside the training split (z-score -> Welch t-test -> mRMR(20) -> logistic
    regression) gives test AUCs indistinguishable from 0.5; selecting the same features on all
    150 subjects before splitting gives a clearly optimistic AUC. The default chain (LASSO with
    CV lambda.1se as the final model, mRMR k=10), fitted on the training rows only, is also at
    chance level.
    """
    rng = np.random.default_rng(2024)
    n, p = 150, 1500
    X = rng.normal(size=(n, p))
    y = rng.permutation(np.repeat([0, 1], n // 2))
    splits = list(StratifiedShuffleSplit(n_splits=10, test_size=1 / 3, random_state=0).split(X, y))

    def selector():
        return Pipeline([("z", ZScore()), ("u", UnivariateFilter()), ("m", MRMR(k=20, random_state=0))])

    def proper_model():
        return Pipeline([("select", selector()), ("clf", LogisticRegression(C=1.0))])

    proper = _auc_runs(X, y, splits, proper_model)
    naive = _auc_runs(X, y, splits, lambda: LogisticRegression(C=1.0), naive_selector=selector())
    print("proper AUCs", np.round(proper, 3), "mean", proper.mean())
    print("naive AUCs", np.round(naive, 3), "mean", naive.mean())

    # proper nesting: chance level (one-sample t-test against 0.5 over the repeats)
    assert abs(proper.mean() - 0.5) < 0.06
    assert stats.ttest_1samp(proper, 0.5).pvalue > 0.2
    assert np.all((proper > 0.3) & (proper < 0.7))
    # naive selection before the split: clearly optimistic, on every split
    assert naive.mean() > 0.8
    assert naive.min() > 0.7
    assert stats.ttest_rel(naive, proper).pvalue < 1e-4

    # the default chain, nested
    chain = _auc_runs(X, y, splits, lambda: default_chain(k=10, random_state=0))
    print("default chain AUCs", np.round(chain, 3), "mean", chain.mean())
    assert abs(chain.mean() - 0.5) < 0.06
    assert stats.ttest_1samp(chain, 0.5).pvalue > 0.2


@pytest.mark.parametrize(
    "make",
    [
        lambda: ZScore(),
        lambda: UnivariateFilter(),
        lambda: MRMR(k=3),
        lambda: LassoCV1SE(n_folds=3, nlambda=20),
    ],
)
def test_every_step_is_cloneable_and_refits_identically(make):
    X, y = _signal_data(n=80, p=12, seed=3)
    est = make()
    a = clone(est).fit(X, y)
    b = clone(est).fit(X, y)
    np.testing.assert_array_equal(np.asarray(a.transform(X)), np.asarray(b.transform(X)))
    assert a.get_params() == est.get_params()
