"""glmnet's behaviour when coordinate descent runs out of passes: truncate the path and warn."""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.datasets import make_classification

from radiome.select._glmnet import lognet_path


def test_path_is_truncated_with_a_warning_not_an_error() -> None:
    X, y = make_classification(n_samples=150, n_features=20, n_informative=8, class_sep=2.0, random_state=0)
    full = lognet_path(X, y)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        short = lognet_path(X, y, maxit=30)
    assert any("truncated" in str(w.message) for w in caught)
    n = len(short.lambdas)
    assert 0 < n < len(full.lambdas)
    # the lambdas that did converge are glmnet's first ones
    np.testing.assert_allclose(short.lambdas, full.lambdas[:n], rtol=1e-12)


def test_null_model_at_1se_moves_down_the_path_to_keep_a_feature() -> None:
    """Pure noise: lambda.1se is the null model; with min_features=1 the first feature to enter is kept."""
    from radiome.select import LassoCV1SE

    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 15))
    y = np.tile([0, 1], 20)
    glmnet_choice = LassoCV1SE(min_features=0, n_folds=5).fit(X, y)
    assert not glmnet_choice.support_.any()  # glmnet's own answer: nothing
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        m = LassoCV1SE(n_folds=5).fit(X, y)
    assert m.lambda_moved_ and any("first on the path" in str(w.message) for w in caught)
    assert m.support_.sum() >= 1
    path = m.cv_result_.fit
    j = int(np.flatnonzero(np.count_nonzero(path.beta, axis=0) >= 1)[0])
    assert m.lambda_ == path.lambdas[j] and np.array_equal(m.coef_, path.beta[:, j])
