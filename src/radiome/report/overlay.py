"""Example image slices with ROI outlines for the report (one training patient per outcome group)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import SimpleITK as sitk

from radiome.errors import RadiomeError
from radiome.io.cohort import load_cohort
from radiome.io.images import read_image, read_mask

__all__ = ["example_panels"]

ROI_COLOURS = ["#E69F00", "#56B4E9", "#009E73", "#F0E442", "#CC79A7", "#D55E00", "#0072B2", "#FFFFFF"]


def _largest_slice(masks: dict[str, np.ndarray]) -> int:
    total = sum(m.reshape(m.shape[0], -1).sum(axis=1) for m in masks.values())
    return int(np.argmax(total))


def example_panels(study: Any, out: Path, per_group: int = 1) -> tuple[list[tuple[np.ndarray, dict[str, np.ndarray], str]],
                                                                       dict[str, str]]:
    """Panels for :func:`radiome.report.figures.roi_overlay_figure`: for the first ``per_group``
    training patients of each outcome group (in split.csv order), the axial slice (first array
    axis) with the largest total ROI area, and the ROI masks on it."""
    split = pd.read_csv(Path(out) / "split.csv", dtype={"patient_id": str})
    cohort = load_cohort(study)
    cases = {c.patient_id: c for c in cohort.cases}
    rois = list(study.features.rois or study.rois)
    colours = {r: ROI_COLOURS[i % len(ROI_COLOURS)] for i, r in enumerate(rois)}
    from radiome.study.stages import outcome_names

    names = outcome_names(study)
    panels = []
    train = split[split["split"] == "train"]
    for label in sorted(train["label"].unique()):
        for pid in train[train["label"] == label]["patient_id"].head(per_group):
            case = cases.get(pid)
            if case is None or case.image is None:
                continue
            try:
                img = sitk.GetArrayFromImage(read_image(case.image, patient=pid)).astype(float)
                masks = {}
                cache: dict[Path, np.ndarray] = {}
                for r in rois:
                    path = case.masks.get(study.roi_mask_column(r))
                    if path is None:
                        continue
                    if path not in cache:
                        cache[path] = sitk.GetArrayFromImage(read_mask(path, patient=pid))
                    masks[r] = cache[path] == study.rois[r].label
            except RadiomeError:
                continue
            if not masks or img.ndim != 3:
                continue
            k = _largest_slice(masks)
            panels.append((img[k], {r: m[k] for r, m in masks.items()},
                           f"{pid} ({names.get(int(label), label)}), slice {k}"))
    return panels, colours
