"""radiome: MRI radiomics and neuroimaging machine learning.

The package is organised by workflow stage, data flowing one way:
``io`` (images, masks, cohorts) -> ``preprocess`` -> ``segment`` -> ``features`` / ``fmri`` / ``dti``
-> ``select`` -> ``models`` -> ``evaluate`` -> ``report``; ``study`` wires a YAML study file through
them and ``cli`` is a thin command-line layer over the public functions.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("radiome")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
