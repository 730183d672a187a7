"""Benchmark the classifier zoo: hold-out + inner 5-fold search on a 150 x 1,500 radiomics-like table.

Every model of ``radiome.models.zoo`` goes through ``radiome.models.compare_models`` (scheme
``holdout``, 20 % stratified test set, inner stratified 5-fold grid or random search with a seed),
after a feature-selection chain fitted inside the training data (``radiome.select.default_chain()``
— z-score, Welch t-test filter, mRMR(20), LASSO at lambda.1se — or, with ``--selector kbest`` or
when ``radiome.select`` is missing, variance filter + ANOVA-F top 10).  The selector's fits are cached
and shared across models (same split, same folds), so the chain is fitted 6 times in all (5 inner
folds + the training set), not 6 times per grid point per model.

The requirement is under 2 minutes on 2 cores.  Pin the cores to measure it on a bigger machine:
``taskset -c 0,1 python benchmarks/models.py --jobs 2``.
"""

from __future__ import annotations

import argparse
import os
import time
import warnings

import numpy as np
import pandas as pd
from sklearn.datasets import make_classification


def synthetic(n: int = 150, p: int = 1500, seed: int = 2026) -> tuple[pd.DataFrame, np.ndarray]:
    """A radiomics-like table: 5 informative and 12 redundant (correlated) features, the rest noise."""
    X, y = make_classification(n_samples=n, n_features=p, n_informative=5, n_redundant=12,
                               n_clusters_per_class=1, class_sep=1.0, flip_y=0.05,
                               weights=[0.6, 0.4], shuffle=True, random_state=seed)
    cols = [f"original_feature_{i:04d}" for i in range(p)]
    return pd.DataFrame(X, columns=cols), y


def selector(kind: str):
    if kind == "chain":
        try:
            from radiome.select import default_chain

            return default_chain(), "radiome.select.default_chain() (mRMR 20 -> LASSO 1-SE)"
        except ImportError:
            pass
    from sklearn.feature_selection import SelectKBest, VarianceThreshold, f_classif
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    return (Pipeline([("variance", VarianceThreshold(0.0)), ("scale", StandardScaler()),
                      ("kbest", SelectKBest(f_classif, k=10))]),
            "VarianceThreshold -> StandardScaler -> SelectKBest(f_classif, k=10)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jobs", type=int, default=2, help="parallel jobs of the inner search")
    ap.add_argument("--search", choices=["grid", "random"], default="grid")
    ap.add_argument("--n-iter", type=int, default=6, help="random search: settings per model")
    ap.add_argument("--selector", choices=["chain", "kbest"], default="chain")
    ap.add_argument("--seed", type=int, default=2026)
    args = ap.parse_args()

    from radiome.models import MODEL_NAMES, compare_models

    X, y = synthetic(seed=args.seed)
    sel, sel_name = selector(args.selector)
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"data: {X.shape[0]} x {X.shape[1]}, {int(y.sum())} events; selector: {sel_name}")
    print(f"hold-out 20 %, inner 5-fold {args.search} search, seed {args.seed}, "
          f"--jobs {args.jobs}, {cpus} CPUs available")
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=UserWarning)
        cmp = compare_models(X, y, list(MODEL_NAMES), sel, scheme="holdout", seed=args.seed,
                             test_size=0.2, inner_cv=5, search=args.search, n_iter=args.n_iter,
                             n_jobs=args.jobs)
    total = time.perf_counter() - t0
    print(f"\n{'model':18s} {'seconds':>8s} {'inner AUC':>9s} {'train AUC':>9s} {'test AUC':>8s}"
          f"  {'n feat':>6s}  best parameters")
    for name, r in cmp.results.items():
        nfeat = len(r.selected_features) if r.selected_features is not None else -1
        best = ", ".join(f"{k.split('__')[-1]}={v}" for k, v in r.best_params.items())
        print(f"{name:18s} {r.seconds:8.2f} {r.inner_cv_auc:9.3f} {r.metric('auc', 'train'):9.3f}"
              f" {r.metric('auc', 'test'):8.3f}  {nfeat:6d}  {best}")
    print(f"\ntotal: {total:.1f} s for {len(MODEL_NAMES)} models (requirement: < 120 s on 2 cores);"
          f" the first model's time includes the 6 cached fits of the selector")


if __name__ == "__main__":
    main()
