"""Study files: the typed schema and its loader (later: the runner that wires the stages)."""

from radiome.study.loader import load_study, parse_study
from radiome.study.schema import Checks, Covariate, Inputs, Outcome, Roi, Study, Validation

__all__ = ["Checks", "Covariate", "Inputs", "Outcome", "Roi", "Study", "Validation", "load_study", "parse_study"]
