"""The study file: a typed schema (pydantic) for the YAML that describes one study.

Each workflow stage owns one top-level section; later stages add their sections here as new fields
of :class:`Study`. Every model forbids unknown keys, so a typo (``outcom:``) is reported with its
key path and line instead of being ignored. Paths are resolved by :func:`radiome.study.load_study`
against the study file's folder.

Example (the lumbar pain study)::

    name: Lumbar pain radiomics
    inputs:
      manifest: manifest.csv        # patient_id, image, mask[, outcome, covariates, cohort]
      clinical: clinical.csv        # optional, joined on the id column
    rois: {MF_L: 1, MF_R: 2, ES_L: 3, ES_R: 4}
    outcome: {column: pain_group, positive: severe}
    covariates: [age, {name: sex, categorical: true, reference: F}, bmi]
    validation: {test_size: 0.2, cv_folds: 5, seed: 42}
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

RoiName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9_+\-.]*$")]
"""ROI names start with a letter and use letters, digits, ``_ - + .`` (they become feature-name prefixes)."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Inputs(_Section):
    """Where the cohort is: a manifest with one row per patient (images and masks), or a feature
    table (features already computed: the image stages are skipped), and optional extra tables."""

    manifest: Path | None = Field(
        None, description="CSV/TSV/XLSX with one row per patient; relative paths in it resolve against its folder."
    )
    features: Path | None = Field(
        None,
        description="Instead of a manifest: a feature table (CSV/TSV/XLSX/Parquet), one row per patient with "
        "the id, the outcome, feature columns and optional clinical and cohort columns.",
    )
    feature_columns: list[str] | None = Field(
        None, description="Feature columns of the feature table; default: every numeric column that is not the "
        "id, outcome, a covariate or the cohort column.",
    )
    clinical: Path | None = Field(None, description="Optional clinical table joined on the id column.")
    id_column: str = "patient_id"
    image_column: str = "image"
    mask_column: str = Field("mask", description="Default mask column for ROIs that do not name one.")
    cohort_column: str = Field("cohort", description="Optional column with train/test/external per patient.")
    second_mask_column: str | None = Field(
        None, description="Column with a second reader's (or second session's) mask, for ICC reproducibility."
    )

    @model_validator(mode="before")
    @classmethod
    def _id_shorthand(cls, v: object) -> object:
        # `id: ID` is shorthand for `id_column: ID` (feature-table studies)
        if isinstance(v, dict) and "id" in v:
            v = dict(v)
            if "id_column" in v:
                raise ValueError("give either 'id' or 'id_column', not both")
            v["id_column"] = v.pop("id")
        return v

    @model_validator(mode="after")
    def _one_source(self) -> "Inputs":
        if (self.manifest is None) == (self.features is None):
            raise ValueError("give exactly one of 'manifest' (images and masks) or 'features' (a feature table)")
        if self.features is not None and self.second_mask_column:
            raise ValueError("'second_mask_column' needs images and masks: not available with a feature table")
        return self


class Roi(_Section):
    """A region of interest: a label value in a mask column of the manifest."""

    label: Annotated[int, Field(ge=1)]
    mask_column: str | None = Field(None, description="Mask column; defaults to inputs.mask_column.")


class Outcome(_Section):
    """The outcome to model. Only binary outcomes for now."""

    column: str
    type: Literal["binary"] = "binary"
    positive: str | int | float | bool | None = Field(
        None,
        description="Value of the positive class (e.g. 'severe'); required unless the column is coded 0/1.",
    )


class Covariate(_Section):
    """A clinical covariate; numeric unless ``categorical`` (then ``reference`` is the baseline level).

    ``source: morphometry`` takes the value from the run's ``morphometry.csv`` (a measure such as
    ``MF_L_fat_rate``) instead of the manifest or clinical table."""

    name: str
    categorical: bool = False
    reference: str | int | float | None = None
    source: Literal["clinical", "morphometry"] = "clinical"
    scale: float = Field(1.0, description="Multiply a numeric covariate by this before Table 1 and the models, e.g. "
                         "100 for a rate in percent (odds ratio per percentage point).")

    @model_validator(mode="after")
    def _scale_numeric(self) -> "Covariate":
        if self.scale != 1.0 and self.categorical:
            raise ValueError("'scale' applies to numeric covariates only")
        if self.scale == 0:
            raise ValueError("'scale' must not be 0")
        return self

    @model_validator(mode="after")
    def _reference_needs_categorical(self) -> "Covariate":
        if self.reference is not None and not self.categorical:
            raise ValueError("'reference' is only meaningful with 'categorical: true'")
        return self


class GeometryToleranceSpec(_Section):
    spacing: Annotated[float, Field(ge=0)] = 1e-3
    origin: Annotated[float, Field(ge=0)] = 1e-3
    direction: Annotated[float, Field(ge=0)] = 1e-4


class Checks(_Section):
    """Settings of ``radiome validate``."""

    min_roi_voxels: Annotated[int, Field(ge=1)] = Field(
        10, description="An ROI with fewer voxels than this is reported (texture features need a few voxels)."
    )
    geometry_tolerance: GeometryToleranceSpec = GeometryToleranceSpec()


class Validation(_Section):
    """How models are validated (the lumbar pain study: stratified 8:2 hold-out, 5-fold inner CV)."""

    scheme: Literal["holdout", "repeated_kfold", "nested_cv", "bootstrap"] = Field(
        "holdout", description="holdout (default), repeated stratified k-fold, nested CV, or bootstrap optimism."
    )
    test_size: Annotated[float, Field(gt=0, lt=1)] = 0.2
    cv_folds: Annotated[int, Field(ge=2)] = 5
    repeats: Annotated[int, Field(ge=1)] = Field(10, description="Repeats of repeated k-fold.")
    bootstrap: Annotated[int, Field(ge=10)] = Field(200, description="Bootstrap samples for optimism correction.")
    seed: int = 42


class ClinicalSection(_Section):
    """The clinical model: univariate logistic screening, then multivariate on p < threshold."""

    p_threshold: Annotated[float, Field(gt=0, le=1)] = 0.05
    stepwise: Literal["none", "backward_aic"] = "none"
    missing: Literal["drop", "impute_median", "error"] = Field(
        "drop", description="Missing covariate values: drop the patient, impute the training median, or stop."
    )


class SelectionSection(_Section):
    """Feature selection chain, fitted on training data only (the lumbar pain study's by default)."""

    chain: list[Literal["zscore", "variance", "icc", "univariate", "correlation", "mrmr", "lasso", "svm_rfe"]] = [
        "zscore",
        "icc",
        "univariate",
        "mrmr",
        "lasso",
    ]
    icc_threshold: Annotated[float, Field(ge=0, le=1)] = 0.75
    icc_kind: Literal["ICC(2,1)", "ICC(3,1)"] = "ICC(2,1)"
    univariate_test: Literal["ttest", "mannwhitney"] = "ttest"
    alpha: Annotated[float, Field(gt=0, le=1)] = 0.05
    correlation_threshold: Annotated[float, Field(gt=0, le=1)] = 0.9
    mrmr_k: Annotated[int, Field(ge=1)] = 20
    mrmr_scheme: Literal["MID", "MIQ"] = "MID"
    lasso_rule: Literal["1se", "min"] = "1se"
    lasso_folds: Annotated[int, Field(ge=3)] = 10


MODEL_NAMES = (
    "logistic",
    "svm_linear",
    "svm_rbf",
    "random_forest",
    "extra_trees",
    "xgboost",
    "lightgbm",
    "knn",
    "decision_tree",
    "naive_bayes",
    "mlp",
    "adaboost",
    "gradient_boosting",
)


class ModelsSection(_Section):
    """Which classifiers to compare and how their hyper-parameters are tuned (inside training data)."""

    classifiers: list[str] = list(MODEL_NAMES)
    search: Literal["grid", "random"] = "grid"
    n_iter: Annotated[int, Field(ge=1)] = 20
    roi_sets: dict[str, list[str]] | None = Field(
        None, description="Named ROI groups modelled separately, e.g. {MF: [MF_L, MF_R], ES: [ES_L, ES_R]}."
    )

    @field_validator("classifiers")
    @classmethod
    def _known(cls, v: list[str]) -> list[str]:
        bad = [m for m in v if m not in MODEL_NAMES]
        if bad:
            raise ValueError(f"unknown classifier(s) {', '.join(bad)}; use {', '.join(MODEL_NAMES)}")
        if not v:
            raise ValueError("name at least one classifier")
        return v


class EvaluationSection(_Section):
    """Evaluation: confidence intervals, calibration and decision curves."""

    n_bootstrap: Annotated[int, Field(ge=100)] = 2000
    ci_level: Annotated[float, Field(gt=0.5, lt=1)] = 0.95
    calibration_groups: Annotated[int, Field(ge=3)] = 10
    dca_thresholds: tuple[float, float, float] = Field(
        (0.01, 0.99, 0.01), description="Decision-curve thresholds: start, stop, step."
    )


class MorphometrySection(_Section):
    """Lumbar spine morphometry (``radiome.spine``) as a stage of ``radiome run``: muscle CSA, fat
    infiltration, gray values, asymmetry, vertebral area and landmark angles per patient."""

    method: Literal["otsu", "reference", "gmm", "dixon"] = Field(
        "otsu", description="Fat infiltration method: Otsu inside the muscle, a fraction of the subcutaneous-fat "
        "reference ROI, a two-component Gaussian mixture, or a Dixon fat-fraction map."
    )
    slice: str | int = Field("auto", description="auto (nearest the L4-5 disc landmarks, else the ROI's middle "
                             "slice), all, or a slice index.")
    landmarks: Path | None = Field(None, description="Landmark CSV (patient, name, x, y, z in mm); default: "
                                   "landmarks.csv beside the manifest.")
    qa: bool = Field(True, description="Write a QA image per patient (the report shows a gallery).")
    dixon_column: str | None = Field(None, description="Manifest column with each patient's Dixon fat-fraction "
                                     "map (method: dixon).")
    disc_label: int | None = Field(None, description="Mask label of the L4-5 disc: places the auto slice when a "
                                   "patient has no facet landmarks.")

    @model_validator(mode="after")
    def _dixon_needs_column(self) -> "MorphometrySection":
        if self.method == "dixon" and not self.dixon_column:
            raise ValueError("method dixon needs dixon_column (the manifest column of the fat-fraction maps)")
        return self

    @field_validator("slice")
    @classmethod
    def _slice(cls, v: str | int) -> str | int:
        if isinstance(v, str) and v not in ("auto", "all"):
            try:
                return int(v)
            except ValueError:
                raise ValueError("slice must be 'auto', 'all' or a slice index") from None
        return v


class BrainSection(_Section):
    """Brain MRI features (``modality: fmri``): voxel-wise rs-fMRI maps summarised over an atlas,
    ROI-to-ROI connectivity and graph metrics, optional DTI scalars and T1 regional volumes; they
    become the feature table of the modelling stages."""

    atlas: Path = Field(description="Labelled atlas NIfTI on the subjects' (template) grid.")
    labels: Path | None = Field(None, description="Atlas label table (index, name); default: roi_<label> names.")
    metrics: list[Literal["alff", "falff", "reho", "dc", "fc", "graph", "vmhc"]] = [
        "alff", "falff", "reho", "dc", "fc", "graph"]
    band: tuple[float, float] = Field((0.01, 0.08), description="ALFF/fALFF frequency band in Hz.")
    alff_convention: Literal["dpabi", "afni", "cpac"] = "dpabi"
    reho_neighbours: Literal[7, 19, 27] = 27
    reho_convention: Literal["dpabi", "afni"] = "dpabi"
    dc_threshold: Annotated[float, Field(gt=0, lt=1)] = 0.25
    standardize: Literal["z", "m", "none"] = Field("z", description="Maps standardised in the brain mask before the "
                                                   "regional means: z (zALFF...), m (mALFF...) or none.")
    fc_kind: Literal["correlation", "partial correlation"] = "correlation"
    graph_densities: tuple[float, float, float] = Field((0.1, 0.4, 0.05), description="start, stop, step")
    graph_n_random: Annotated[int, Field(ge=1)] = 5
    tr: Annotated[float, Field(gt=0)] | None = Field(None, description="TR in s; default: from the NIfTI header.")
    dwi_column: str | None = Field(None, description="Manifest column of DWI NIfTIs (with bval_column, bvec_column).")
    bval_column: str | None = None
    bvec_column: str | None = None
    t1_labels_column: str | None = Field(None, description="Manifest column of T1 label images (regional volumes).")
    gm_column: str | None = Field(None, description="Manifest column of grey-matter probability maps.")
    clean: bool = Field(False, description="Denoise the BOLD series first (nilearn signal.clean): detrend, regress "
                        "confounds, filter. Off by default: fMRIPrep/DPARSF outputs are usually cleaned already.")
    detrend: bool = True
    high_pass: Annotated[float, Field(gt=0)] | None = None
    low_pass: Annotated[float, Field(gt=0)] | None = None
    confounds_column: str | None = Field(None, description="Manifest column of per-subject confounds tables (TSV).")
    confound_columns: list[str] = Field([], description="Confound table columns to regress; default: all numeric.")

    @model_validator(mode="after")
    def _confounds_need_clean(self) -> "BrainSection":
        if self.confounds_column and not self.clean:
            raise ValueError("confounds_column needs clean: true")
        return self


class ReportSection(_Section):
    """The HTML report."""

    title: str = "Radiomics study report"
    authors: list[str] = []
    sections: list[str] | None = Field(None, description="Sections to include; default: all.")


class FeaturesSection(_Section):
    """Radiomics extraction (``radiome extract``): PyRadiomics parameters and which ROIs."""

    params: Path | dict[str, Any] | None = Field(
        None, description="A PyRadiomics parameter file (relative to the study file) or the same layout inline."
    )
    rois: list[str] | None = Field(None, description="ROIs to extract; default: all ROIs of the study.")
    jobs: Annotated[int, Field(ge=1)] = Field(2, description="Worker processes.")
    scheduler: str | None = Field(
        None, description="Dask scheduler address (tcp://host:port) to run on a cluster instead of local processes."
    )


class Study(_Section):
    """A whole study file."""

    name: str = "study"
    description: str | None = None
    modality: Literal["radiomics", "fmri"] = Field(
        "radiomics", description="radiomics (images and ROI masks) or fmri (brain MRI features, see 'brain')."
    )
    inputs: Inputs
    rois: dict[RoiName, Roi] = Field(default_factory=dict, description="Required with a manifest; none with a "
                                     "feature table.")
    outcome: Outcome | None = None
    covariates: list[Covariate] = []
    checks: Checks = Checks()
    validation: Validation = Validation()
    features: FeaturesSection = FeaturesSection()
    clinical: ClinicalSection = ClinicalSection()
    selection: SelectionSection = SelectionSection()
    models: ModelsSection = ModelsSection()
    evaluation: EvaluationSection = EvaluationSection()
    brain: BrainSection | None = Field(None, description="Brain features of a modality: fmri study.")
    morphometry: MorphometrySection | None = Field(
        None, description="Run spine morphometry (needed by covariates with source: morphometry)."
    )
    report: ReportSection = ReportSection()
    output_dir: Path = Field(Path("results"), description="Where results go; relative to the study file.")

    @model_validator(mode="before")
    @classmethod
    def _inputs_outcome_shorthand(cls, v: object) -> object:
        # `inputs: {features: t.csv, id: ID, outcome: Target}`: the outcome named under inputs
        if isinstance(v, dict) and isinstance(v.get("inputs"), dict) and "outcome" in v["inputs"]:
            v = dict(v)
            inputs = dict(v["inputs"])
            col = inputs.pop("outcome")
            v["inputs"] = inputs
            if v.get("outcome") is not None:
                raise ValueError("the outcome is named twice: under inputs and in the outcome section")
            v["outcome"] = col if isinstance(col, dict) else {"column": col}
        return v

    @model_validator(mode="after")
    def _morphometry_covariates(self) -> "Study":
        if any(c.source == "morphometry" for c in self.covariates):
            if self.inputs.features is not None:
                raise ValueError("covariates with source: morphometry need images (not a feature-table study)")
            if self.morphometry is None:
                self.morphometry = MorphometrySection()
        return self

    @property
    def morphometry_covariates(self) -> list[str]:
        return [c.name for c in self.covariates if c.source == "morphometry"]

    @model_validator(mode="after")
    def _brain(self) -> "Study":
        if self.modality == "fmri":
            if self.brain is None:
                raise ValueError("modality fmri needs a 'brain' section (atlas, metrics)")
            if self.inputs.manifest is None:
                raise ValueError("modality fmri needs inputs.manifest (one row per subject: BOLD and brain mask)")
            if self.rois:
                raise ValueError("rois: a brain study has no ROIs (the atlas regions are the ROIs)")
        elif self.brain is not None:
            raise ValueError("the 'brain' section needs 'modality: fmri'")
        return self

    @property
    def is_brain(self) -> bool:
        """True for a brain MRI study (``modality: fmri``): features from the atlas, no ROI masks."""
        return self.modality == "fmri"

    @model_validator(mode="after")
    def _rois_with_images(self) -> "Study":
        if self.inputs.manifest is not None and not self.rois and self.modality == "radiomics":
            raise ValueError("rois: name at least one ROI (name: label value) for an image study")
        if self.inputs.features is not None and self.rois:
            raise ValueError("rois: a feature-table study has no ROIs (the features are given)")
        return self

    @property
    def is_table(self) -> bool:
        """True for a feature-table study (no images)."""
        return self.inputs.features is not None

    @field_validator("rois", mode="before")
    @classmethod
    def _roi_shorthand(cls, v: object) -> object:
        # `MF_L: 1` is shorthand for `MF_L: {label: 1}`
        if isinstance(v, dict):
            return {k: ({"label": x} if isinstance(x, int) and not isinstance(x, bool) else x) for k, x in v.items()}
        return v

    @field_validator("covariates", mode="before")
    @classmethod
    def _covariate_shorthand(cls, v: object) -> object:
        if isinstance(v, list):
            return [{"name": x} if isinstance(x, str) else x for x in v]
        return v

    @model_validator(mode="after")
    def _unique_names(self) -> "Study":
        names = [c.name for c in self.covariates]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"covariates listed twice: {', '.join(dup)}")
        if self.outcome is not None and self.outcome.column in names:
            raise ValueError(f"the outcome column {self.outcome.column!r} is also listed as a covariate")
        return self

    def roi_mask_column(self, roi: str) -> str:
        """The manifest column holding the mask of ``roi``."""
        return self.rois[roi].mask_column or self.inputs.mask_column

    @model_validator(mode="after")
    def _feature_rois_exist(self) -> "Study":
        unknown = [r for r in (self.features.rois or []) if r not in self.rois]
        for group in (self.models.roi_sets or {}).values():
            unknown += [r for r in group if r not in self.rois]
        if unknown:
            raise ValueError(f"features.rois / models.roi_sets name ROIs not defined under rois: {', '.join(unknown)}")
        return self

    @property
    def mask_columns(self) -> list[str]:
        """Every mask column the study reads, first reader first."""
        if self.modality == "fmri":
            return [self.inputs.mask_column]  # the brain mask
        cols = list(dict.fromkeys(self.roi_mask_column(r) for r in self.rois))
        if self.inputs.second_mask_column and self.inputs.second_mask_column not in cols:
            cols.append(self.inputs.second_mask_column)
        return cols
