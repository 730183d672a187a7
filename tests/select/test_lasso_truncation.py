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
