"""The data every feature family works on: one cropped image region with its ROI.

A :class:`RoiImage` is built once per (image type, ROI) by the extractor and handed to each
feature family. It holds the image cropped to the ROI's bounding box (no padding, as PyRadiomics
passes it to its feature classes), the boolean ROI mask, the voxel spacing and the settings. The
products several families need are computed once on first use and cached on the object:

* ``values``: the ROI intensities as float64 (first-order statistics);
* ``levels``: the discretised ROI (levels >= 1 per ROI voxel, and as an image of the crop with 0
  outside), the grey levels present with their counts and each voxel's grey-level index (texture
  families and first-order entropy/uniformity), see :mod:`radiome.preprocess.discretise`.

Products that depend on the mask only (neighbour pairs, run lines, zone graphs) go through
:meth:`RoiImage.mask_cache` into ``mask_store``, a dict the extractor shares between all image types
of one ROI, so they are computed once per ROI rather than once per filtered image.

Arrays are in SimpleITK/numpy order ``[z, y, x]`` and ``spacing`` follows the same order.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from radiome.preprocess.discretise import discretise


@dataclass(frozen=True, eq=False)
class Levels:
    """A discretised ROI.

    ``voxels`` holds the grey level (>= 1) of every ROI voxel in C order of the mask; ``array`` is
    the same as an image of the crop (0 outside the ROI), built on first use. ``gray_levels`` are
    the levels present (ascending) and ``counts`` their voxel counts; ``index`` maps every ROI voxel
    to the position of its level in ``gray_levels`` (0..G-1).
    """

    voxels: np.ndarray  # int64, (N,) levels of the ROI voxels, C order
    gray_levels: np.ndarray  # sorted unique levels present in the ROI
    n_levels: int  # the largest level present (PyRadiomics' Ng)
    counts: np.ndarray  # (G,) voxels per level present
    index: np.ndarray  # (N,) intp, position of each voxel's level in gray_levels
    mask: np.ndarray = field(repr=False)

    @classmethod
    def from_voxels(cls, voxels: np.ndarray, mask: np.ndarray) -> Levels:
        """The :class:`Levels` of the discretised ROI voxels ``voxels`` (C order of ``mask``)."""
        voxels = np.asarray(voxels, dtype=np.int64)
        if voxels.size and voxels.min() >= 0 and voxels.max() <= 16 * voxels.size + (1 << 16):
            # bincount instead of np.unique: no sort, and the index comes from a lookup table
            full = np.bincount(voxels)
            gl = np.flatnonzero(full)
            lut = np.cumsum(full > 0) - 1
            index = lut[voxels]
            counts = full[gl]
        else:
            gl, index, counts = np.unique(voxels, return_inverse=True, return_counts=True)
            index = index.reshape(-1)
        return cls(voxels, gl, int(gl.max()) if gl.size else 0, counts, index.astype(np.intp, copy=False), mask)

    @cached_property
    def array(self) -> np.ndarray:
        """The levels as an image of the crop: int64, 0 outside the ROI."""
        arr = np.zeros(self.mask.shape, dtype=np.int64)
        arr[self.mask] = self.voxels
        return arr


@dataclass(eq=False)
class RoiImage:
    """A cropped image and its ROI mask, with lazily computed shared products.

    ``image`` keeps the pixel type of the (filtered) image as PyRadiomics reads it, so that binning
    sees exactly the same numbers; ``values`` is the float64 copy of the ROI intensities.
    """

    image: np.ndarray
    mask: np.ndarray
    spacing: tuple[float, ...]  # [z, y, x] order, mm
    settings: Mapping[str, Any] = field(default_factory=dict)
    image_type: str = "original"
    mask_store: dict[Hashable, Any] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if self.image.shape != self.mask.shape:
            raise ValueError(f"image shape {self.image.shape} differs from mask shape {self.mask.shape}")
        self.mask = np.asarray(self.mask, dtype=bool)

    @property
    def profile(self) -> str:
        return str(self.settings.get("profile", "pyradiomics"))

    @cached_property
    def _roi_intensities(self) -> np.ndarray:
        """ROI intensities in the image's own pixel type (C order); shared by values and levels."""
        return self.image[self.mask]

    @cached_property
    def values(self) -> np.ndarray:
        """ROI intensities (float64, in C order of the voxels)."""
        return self._roi_intensities.astype(np.float64)

    @cached_property
    def n_voxels(self) -> int:
        return int(self.mask.sum())

    @cached_property
    def levels(self) -> Levels:
        """The ROI discretised with ``binWidth`` / ``binCount`` under the active profile."""
        s = self.settings
        range_min = None
        rr = s.get("resegmentRange")
        if rr and s.get("resegmentMode", "absolute") == "absolute":
            range_min = float(min(rr))
        binned = discretise(
            self._roi_intensities,
            bin_width=s.get("binWidth", 25),
            bin_count=s.get("binCount"),
            profile=self.profile,  # type: ignore[arg-type]
            range_min=range_min,
        )
        return Levels.from_voxels(binned, self.mask)

    def cache(self, key: Hashable, factory: Any) -> Any:
        """Per-object memo for products shared between families (e.g. neighbour statistics)."""
        store = self.__dict__.setdefault("_shared", {})
        if key not in store:
            store[key] = factory()
        return store[key]

    def mask_cache(self, key: Hashable, factory: Any) -> Any:
        """Memo for products that depend only on the mask (and settings in ``key``), not on intensities.

        The extractor hands the *same* ``mask_store`` dict to the RoiImages of every image type of
        one ROI, so voxel-pair indices, run-line layouts or neighbour graphs are built once per ROI
        and reused by all filtered images. ``key`` must include every setting the product depends on.
        """
        if key not in self.mask_store:
            self.mask_store[key] = factory()
        return self.mask_store[key]
