"""mRMR: the MI estimators against scikit-learn, a hand-constructed case, a second implementation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.feature_selection import f_classif, mutual_info_classif, mutual_info_regression
from sklearn.feature_selection._mutual_info import _compute_mi_cc, _compute_mi_cd
from sklearn.metrics import mutual_info_score

from radiome.select import MRMR, SelectKBest
from radiome.select.mrmr import ksg_preprocess, mi_classif, mi_pairwise


def _data(n=90, p=12, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.permutation(np.repeat([0, 1], n // 2))
    X = rng.normal(size=(n, p))
    X[:, 0] += 1.2 * y
    X[:, 1] = X[:, 0] + rng.normal(0, 0.3, n)  # redundant with f0
    X[:, 2] += 0.8 * y
    X[:, 3] += 0.5 * y
    X[:, 4] = X[:, 2] * 0.7 + rng.normal(0, 0.5, n)
    return X, y


def test_mi_estimators_equal_scikit_learn():
    X, y = _data()
    rs = 3
    # relevance: identical to mutual_info_classif with the same random_state (same jitter)
    np.testing.assert_allclose(mi_classif(ksg_preprocess(X, rs), y), mutual_info_classif(X, y, random_state=rs), atol=1e-12)
    Xp = ksg_preprocess(X, rs)
    for j in range(X.shape[1]):
        assert mi_classif(Xp[:, [j]], y)[0] == pytest.approx(_compute_mi_cd(Xp[:, j], y, 3), abs=1e-12)
    # redundancy: sklearn's KSG estimator, column by column
    for s in (0, 2, 7):
        mine = mi_pairwise(Xp[:, s], Xp)
        ref = np.array([_compute_mi_cc(Xp[:, s], Xp[:, j], 3) for j in range(X.shape[1])])
        np.testing.assert_allclose(mine, ref, atol=1e-12)
        # and the public function (which re-jitters at 1e-10: immaterial for distinct columns)
        others = [j for j in range(X.shape[1]) if j != s]
        pub = mutual_info_regression(Xp[:, others], Xp[:, s], random_state=0)
        np.testing.assert_allclose(mine[others], pub, atol=1e-12)
    # other numbers of neighbours
    np.testing.assert_allclose(mi_classif(Xp, y, 5), [_compute_mi_cd(Xp[:, j], y, 5) for j in range(12)], atol=1e-12)
    np.testing.assert_allclose(mi_pairwise(Xp[:, 1], Xp, 5), [_compute_mi_cc(Xp[:, 1], Xp[:, j], 5) for j in range(12)], atol=1e-12)


def test_duplicate_feature_is_excluded_by_redundancy():
    """a_copy is an exact copy of the most relevant feature a; b is weaker but independent of a.

    Max-relevance alone (SelectKBest) takes the copy; mRMR must take b instead, and with the
    discretised estimator (exactly tied relevance) the lower column index, ``a``, first.
    """
    rng = np.random.default_rng(1)
    n = 200
    u1, u2 = rng.normal(size=(2, n))  # two independent channels of information about y
    y = (u1 + 0.7 * u2 > 0).astype(int)
    a = u1 + rng.normal(0, 0.1, n)
    b = u2 + rng.normal(0, 0.1, n)  # less relevant than a, independent of it
    noise = rng.normal(size=(n, 3))
    X = pd.DataFrame(np.column_stack([a, a.copy(), b, noise]), columns=["a", "a_copy", "b", "n1", "n2", "n3"])
    assert list(SelectKBest(k=2).fit(X, y).get_feature_names_out()) == ["a", "a_copy"]
    # (MIQ is only tested with binned MI: the kNN estimates are truncated at 0, and a quotient
    # with a zero redundancy estimate favours any feature with a spuriously positive relevance)
    for kw in ({}, {"discretize": 4}, {"discretize": 4, "scheme": "MIQ"}):
        m = MRMR(k=2, **kw).fit(X, y)
        chosen = list(X.columns[m.ranking_])
        assert chosen[1] == "b", (kw, chosen)
        assert chosen[0] in ("a", "a_copy")
        if "discretize" in kw:
            assert chosen[0] == "a"  # exact tie -> lower index
    # the F / correlation variant as well (|r(a, a_copy)| = 1)
    m = MRMR(k=2, relevance="f").fit(X, y)
    assert "a" in m.get_feature_names_out()


def test_discretised_mi_hand_example():
    """8 subjects, 2 bins (median split): MI values are simple logarithms.

    y = 0 0 0 0 1 1 1 1. c's bins equal y -> I(c;y) = log 2 (selected first). a's bins equal y
    except for one subject in each class -> I(a;y) = I(a;c) = log 2 - H(1/4), H the binary entropy.
    d's bins alternate 0 1 0 1 ... -> I(d;y) = I(d;c) = 0. After c: MID(a) = I(a;y) - I(a;c) = 0 and
    MID(d) = 0 - 0 = 0, a tie that goes to the lower column index, a.
    """
    y = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    c = np.array([1, 2, 3, 4, 11, 12, 13, 14], float)  # bins == y
    a = np.array([1, 2, 3, 15, 0.5, 12, 13, 14], float)  # bins: 0 0 0 1 0 1 1 1
    d = np.array([1, 11, 2, 12, 3, 13, 4, 14], float)  # bins: 0 1 0 1 0 1 0 1 (independent of y)
    X = np.column_stack([a, c, d])
    m = MRMR(k=3, discretize=2).fit(X, y)
    h = lambda q: -(q * np.log(q) + (1 - q) * np.log(1 - q))  # noqa: E731
    np.testing.assert_allclose(m.relevance_, [np.log(2) - h(0.25), np.log(2), 0.0], atol=1e-12)
    np.testing.assert_allclose(m.relevance_, [mutual_info_score(y, (X[:, j] > np.median(X[:, j])).astype(int)) for j in range(3)], atol=1e-12)
    assert list(m.ranking_) == [1, 0, 2]
    np.testing.assert_allclose(m.scores_[:2], [np.log(2), 0.0], atol=1e-12)


def _reference_mrmr(X, y, k, scheme, random_state):
    """A plain second implementation on scikit-learn's public MI functions (slow, obvious)."""
    n, p = X.shape
    rel = mutual_info_classif(X, y, random_state=random_state)
    Xp = ksg_preprocess(X, random_state)  # the jittered data on which redundancy is estimated

    def mi(i, j):
        return mutual_info_regression(Xp[:, [i]], Xp[:, j], random_state=0)[0]

    selected = [int(np.argmax(rel))]
    while len(selected) < k:
        best, best_score = None, -np.inf
        for j in range(p):
            if j in selected:
                continue
            red = np.mean([mi(j, s) for s in selected])
            score = rel[j] - red if scheme == "MID" else rel[j] / max(red, 1e-12)
            if score > best_score:
                best, best_score = j, score
        selected.append(best)
    return selected


@pytest.mark.parametrize("scheme", ["MID", "MIQ"])
def test_against_second_implementation(scheme):
    X, y = _data(n=70, p=10, seed=4)
    m = MRMR(k=6, scheme=scheme, random_state=11).fit(X, y)
    assert list(m.ranking_) == _reference_mrmr(X, y, 6, scheme, 11)


def test_f_variant_against_second_implementation():
    X, y = _data(seed=6)
    F = f_classif(X, y)[0]
    R = np.abs(np.corrcoef(X, rowvar=False))
    sel = [int(np.argmax(F))]
    while len(sel) < 5:
        cand = [j for j in range(X.shape[1]) if j not in sel]
        scores = [F[j] - R[j, sel].mean() for j in cand]
        sel.append(cand[int(np.argmax(scores))])
    m = MRMR(k=5, relevance="f").fit(X, y)
    assert list(m.ranking_) == sel
    np.testing.assert_allclose(m.relevance_, F)


def test_discretised_against_second_implementation():
    X, y = _data(n=100, seed=8)
    nb = 5
    codes = np.column_stack([pd.qcut(X[:, j], nb, labels=False) for j in range(X.shape[1])])
    rel = np.array([mutual_info_score(y, codes[:, j]) for j in range(X.shape[1])])
    sel = [int(np.argmax(rel))]
    while len(sel) < 6:
        cand = [j for j in range(X.shape[1]) if j not in sel]
        scores = [rel[j] - np.mean([mutual_info_score(codes[:, j], codes[:, s]) for s in sel]) for j in cand]
        sel.append(cand[int(np.argmax(scores))])
    m = MRMR(k=6, discretize=nb).fit(X, y)
    np.testing.assert_allclose(m.relevance_, rel, atol=1e-12)
    assert list(m.ranking_) == sel


def test_transformer_behaviour():
    X, y = _data()
    df = pd.DataFrame(X, columns=[f"feat_{i}" for i in range(X.shape[1])])
    m = MRMR(k=4, random_state=0).fit(df, y)
    out = m.transform(df)
    assert list(out.columns) == list(m.get_feature_names_out())
    assert len(out.columns) == 4
    assert m.get_support().sum() == 4
    # seeded: a clone gives the same answer; all features if k exceeds their number
    np.testing.assert_array_equal(clone(m).fit(df, y).ranking_, m.ranking_)
    assert MRMR(k=50).fit(X, y).get_support().all()
    with pytest.raises(ValueError, match="scheme"):
        MRMR(scheme="MAX").fit(X, y)
    with pytest.raises(ValueError, match="binary"):
        MRMR().fit(X, np.arange(len(y)) % 3)
