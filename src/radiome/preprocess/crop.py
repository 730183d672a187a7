"""ROI bounding box and cropping.

The bounding box is given as a tuple of slices in array order ``[z, y, x]``; cropping an array is
plain slicing, so every image type and family shares one crop without copying.
"""

from __future__ import annotations

import numpy as np


def bounding_box(mask: np.ndarray, pad: int = 0) -> tuple[slice, ...]:
    """Slices of the smallest box holding every ``True`` voxel, grown by ``pad`` (clipped to the array)."""
    idx = np.nonzero(mask)
    if not idx[0].size:
        raise ValueError("the mask is empty")
    return tuple(
        slice(max(int(i.min()) - pad, 0), min(int(i.max()) + 1 + pad, n)) for i, n in zip(idx, mask.shape)
    )


def bbox_size(bbox: tuple[slice, ...]) -> tuple[int, ...]:
    """Extent of each axis of a bounding box."""
    return tuple(s.stop - s.start for s in bbox)
