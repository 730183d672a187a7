"""Fixtures: the aSAH reference data and the R-computed values of tests/data/stats."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

STATS = Path(__file__).resolve().parents[1] / "data" / "stats"


@pytest.fixture(scope="session")
def asah() -> pd.DataFrame:
    d = pd.read_csv(STATS / "asah.csv")
    d["wfns_num"] = d["wfns"].astype(float)
    return d


@pytest.fixture(scope="session")
def ref() -> dict[str, float]:
    r = pd.read_csv(STATS / "reference_values.csv")
    return dict(zip(r["quantity"], r["value"].astype(float), strict=True))


@pytest.fixture(scope="session")
def insample(asah: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """y and the in-sample fitted probabilities of glm(y ~ age + male + s100b + ndka)."""
    p = pd.read_csv(STATS / "asah_logistic_predictions.csv")
    assert (p["patient"].to_numpy() == asah["patient"].to_numpy()).all()
    return asah["y"].to_numpy(), p["p_logistic"].to_numpy(dtype=float)


@pytest.fixture(scope="session")
def external(asah: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """y and the predictions of the model fitted on patients 1-70, for patients 71-113."""
    p = pd.read_csv(STATS / "asah_external_predictions.csv")
    y = asah.set_index("patient").loc[p["patient"], "y"].to_numpy()
    return y, p["p_external"].to_numpy(dtype=float)


@pytest.fixture(scope="session")
def decision_reference() -> pd.DataFrame:
    return pd.read_csv(STATS / "asah_decision_curve.csv")
