"""Generated text of the report: the methods paragraph and the reporting checklists.

The methods paragraph is written from the resolved study configuration and the installed package
versions, so it always states what the run did.  The checklists are the Radiomics Quality Score
(RQS; Lambin et al., Nat Rev Clin Oncol 2017;14:749-762, 16 components, maximum 36 points) and
the topics of CLEAR (CheckList for EvaluAtion of Radiomics research; Kocak et al., Insights
Imaging 2023;14:75).  Items the run can answer are filled in (with the evidence); the rest are
marked "for the author".
"""

from __future__ import annotations

import platform
from typing import Any

from radiome import __version__
from radiome.features.settings import load_params
from radiome.provenance import package_versions

__all__ = ["checklist_rows", "methods_paragraph", "rqs_rows"]

AUTHOR = "for the author"

CLASSIFIER_NAMES = {
    "logistic": "logistic regression", "svm_linear": "linear SVM", "svm_rbf": "RBF-kernel SVM",
    "random_forest": "random forest", "extra_trees": "extremely randomised trees", "xgboost": "XGBoost",
    "lightgbm": "LightGBM", "knn": "k-nearest neighbours", "decision_tree": "decision tree",
    "naive_bayes": "Gaussian naive Bayes", "mlp": "multilayer perceptron", "adaboost": "AdaBoost",
    "gradient_boosting": "gradient boosting",
}

STEP_NAMES = {
    "zscore": "z-score standardisation", "variance": "removal of near-constant features",
    "icc": "reproducibility filtering (ICC)", "univariate": "univariate filtering",
    "correlation": "removal of highly correlated features", "mrmr": "mRMR ranking",
    "lasso": "LASSO logistic regression", "svm_rfe": "SVM recursive feature elimination",
}


def _join(items: list[str]) -> str:
    items = [i for i in items if i]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def methods_paragraph(study: Any, results: dict[str, Any]) -> list[str]:
    """The methods section as paragraphs of plain text (no HTML)."""
    v = study.validation
    sel = study.selection
    paras: list[str] = []
    n = sum(s["n"] for s in results.get("split", {}).values())
    splits = results.get("split", {})
    split_txt = _join([f"{splits[k]['n']} {k} ({splits[k]['n_events']} events)" for k in ("train", "test", "external")
                       if k in splits])
    if results.get("input") == "brain":
        b = study.brain
        names = {"alff": "ALFF", "falff": "fALFF", "reho": f"ReHo ({b.reho_neighbours} neighbours, {b.reho_convention})",
                 "dc": f"degree centrality (r > {b.dc_threshold:g}, binarised and weighted)", "vmhc": "VMHC",
                 "fc": f"ROI-to-ROI functional connectivity ({b.fc_kind}, Fisher z)",
                 "graph": "graph metrics (areas under the curve over densities "
                          f"{b.graph_densities[0]:g}-{b.graph_densities[1]:g})"}
        paras.append(
            f"Study population and split. {n} subjects were analysed ({split_txt}); the test set was drawn by "
            f"stratified random sampling ({1 - v.test_size:.0%}:{v.test_size:.0%}, seed {v.seed}) before any feature "
            "selection or model fitting."
        )
        paras.append(
            f"Brain features. From the preprocessed resting-state BOLD series (TR from the NIfTI header), radiome "
            f"{__version__} computed {_join([names[m] for m in b.metrics])}; ALFF/fALFF used the "
            f"{b.band[0]:g}-{b.band[1]:g} Hz band with the {b.alff_convention.upper()} convention, and voxel maps were "
            + ({"z": "z-standardised", "m": "divided by their mean", "none": "used unstandardised"}[b.standardize])
            + f" within each subject's brain mask before averaging over the regions of the atlas {b.atlas.name}."
        )
    elif results.get("input") == "table":
        paras.append(
            f"Study population. {n} patients were analysed from a feature table ({split_txt}); the features were "
            f"computed outside radiome and used as given. Patients were split into training and test sets by "
            f"stratified random sampling ({1 - v.test_size:.0%}:{v.test_size:.0%}, seed {v.seed}) unless the table "
            "assigned them."
        )
    else:
        p = load_params(study.features.params)
        st = p.setting
        types = _join([t + (f" (sigma {', '.join(f'{s:g}' for s in (c or {}).get('sigma', st.sigma))} mm)"
                            if t == "LoG" else "") for t, c in p.imageType.items()])
        classes = _join(list(p.featureClass))
        disc = f"a fixed bin count of {st.binCount}" if st.binCount else f"a fixed bin width of {st.binWidth:g}"
        resample = (f"resampled to {' x '.join(f'{s:g}' for s in st.resampledPixelSpacing)} mm "
                    f"({st.interpolator.removeprefix('sitk')} interpolation)" if st.resampledPixelSpacing
                    else "analysed at their acquired resolution")
        norm = (f"normalised (z-score, scale {st.normalizeScale:g})" if st.normalize else "not intensity-normalised")
        rois = _join(list(study.features.rois or study.rois))
        paras.append(
            f"Study population and split. {n} patients were analysed ({split_txt}). The hold-out test set was drawn "
            f"by stratified random sampling ({1 - v.test_size:.0%}:{v.test_size:.0%}, seed {v.seed}) before any "
            "feature selection or model fitting, and was used only for the final evaluation."
        )
        paras.append(
            f"Radiomics. Features were extracted from the ROIs {rois} with radiome {__version__}, whose feature "
            "definitions follow the Image Biomarker Standardisation Initiative (IBSI; Zwanenburg et al., Radiology "
            "2020) and reproduce PyRadiomics 3.1 (van Griethuysen et al., Cancer Res 2017) on its reference "
            f"images. Images were {resample} and {norm}; grey levels were discretised with {disc}"
            + (f"; texture matrices were computed in 2D (slice by slice, axis {st.force2Ddimension})" if st.force2D else "")
            + f". Feature classes: {classes}. Image types: {types}."
        )
    chain = [STEP_NAMES[s] for s in sel.chain if not (s == "icc" and not study.inputs.second_mask_column)]
    extra = []
    if "icc" in sel.chain and study.inputs.second_mask_column:
        extra.append(f"features with {sel.icc_kind} below {sel.icc_threshold:g} between the two readers' "
                     "segmentations were discarded")
    if "univariate" in sel.chain:
        extra.append(f"the univariate filter kept features with {'t-test' if sel.univariate_test == 'ttest' else 'Mann-Whitney U'} "
                     f"p < {sel.alpha:g}")
    if "mrmr" in sel.chain:
        extra.append(f"mRMR ({sel.mrmr_scheme}) kept the top {sel.mrmr_k}")
    paras.append(
        "Feature selection and Rad-score. On the training set only, the chain "
        f"{' -> '.join(chain)} was applied" + (f" ({'; '.join(extra)})" if extra else "") +
        f". The LASSO penalty was chosen by {sel.lasso_folds}-fold cross-validation of the binomial deviance "
        f"with the {'one-standard-error' if sel.lasso_rule == '1se' else 'minimum-deviance'} rule "
        "(reproducing R's glmnet), and the Rad-score is the LASSO linear predictor."
    )
    clfs = _join([CLASSIFIER_NAMES.get(c, c) for c in study.models.classifiers])
    paras.append(
        f"Models. The classifiers ({clfs}) were trained with the same selection chain refitted inside every "
        f"training fold and their hyper-parameters tuned by {study.models.search} search in {v.cv_folds}-fold "
        "stratified cross-validation on the training set (AUC), so no test patient influenced selection or "
        "tuning. The best classifier of each ROI set was the one with the highest inner cross-validated AUC. "
        + (f"A clinical model was built by multivariable logistic regression of the covariates with univariate "
           f"p < {study.clinical.p_threshold:g}" + (" and backward AIC elimination" if study.clinical.stepwise == "backward_aic" else "")
           + ", and a combined model (clinical predictors + Rad-score) was presented as a nomogram."
           if study.covariates else "A combined model was fitted on the Rad-score alone (no clinical covariates).")
    )
    ev = study.evaluation
    paras.append(
        f"Evaluation. Discrimination was measured by the AUC with {ev.ci_level:.0%} DeLong confidence intervals "
        f"and stratified bootstrap intervals ({ev.n_bootstrap} replicates); AUCs were compared with the paired "
        "DeLong test (pROC). Accuracy, sensitivity and specificity are given at the Youden-optimal threshold of "
        f"the training predictions. Calibration was assessed by calibration curves, the Hosmer-Lemeshow test "
        f"({ev.calibration_groups} groups), calibration intercept and slope and the Brier score (rms val.prob), "
        "and clinical utility by decision curve analysis (dcurves). SHAP values (Lundberg and Lee 2017) of the "
        "best classifier explain its predictions."
    )
    pk = package_versions()
    soft = _join([f"{k} {pk[k]}" for k in ("numpy", "scipy", "scikit-learn", "statsmodels", "SimpleITK", "xgboost-cpu",
                                           "lightgbm", "shap") if pk.get(k)])
    paras.append(
        f"Software. radiome {__version__} on Python {platform.python_version()} with {soft}. Every random step "
        f"used seed {v.seed}; the run's configuration, package versions and input checksums are in run.json."
    )
    return paras


def rqs_rows(study: Any, results: dict[str, Any]) -> list[dict[str, str]]:
    """The 16 RQS components: item, points the run supports, evidence or 'for the author'."""
    icc = any("icc" in s for s in results.get("radiomics", {}).values())
    has_test = "test" in results.get("split", {})
    has_ext = "external" in results.get("split", {})
    clinical = bool(results.get("clinical", {}).get("covariates"))
    rows = [
        ("Image protocol quality", "", AUTHOR),
        ("Multiple segmentations", "+1" if icc else "0",
         "two readers' segmentations; features filtered by ICC" if icc else AUTHOR),
        ("Phantom study on all scanners", "", AUTHOR),
        ("Imaging at multiple time points", "", AUTHOR),
        ("Feature reduction or adjustment for multiple testing", "+3",
         "selection chain with LASSO fitted on the training set only"),
        ("Multivariable analysis with non-radiomics features", "+1" if clinical else "0",
         "combined clinical + Rad-score model (nomogram)" if clinical else "no clinical covariates retained"),
        ("Detect and discuss biological correlates", "", AUTHOR),
        ("Cut-off analyses", "+1", "Youden threshold chosen on the training set, applied to the test set"),
        ("Discrimination statistics", "+2", "AUC with DeLong CI and bootstrap resampling"),
        ("Calibration statistics", "+2", "calibration curves, Hosmer-Lemeshow, intercept/slope, Brier score"),
        ("Prospective study registered in a trial database", "", AUTHOR),
        ("Validation", "+3" if has_ext else ("+2" if has_test else "-5"),
         "external cohort" if has_ext else ("internal hold-out test set" if has_test else "no validation")),
        ("Comparison to 'gold standard'", "", AUTHOR),
        ("Potential clinical utility", "+2", "decision curve analysis"),
        ("Cost-effectiveness analysis", "", AUTHOR),
        ("Open science and data", "+1", "open-source code (radiome) and the exact configuration (run.json); "
         "scans, segmentations and features: " + AUTHOR),
    ]
    return [{"item": a, "points": b, "evidence": c} for a, b, c in rows]


def checklist_rows(study: Any, results: dict[str, Any]) -> list[dict[str, str]]:
    """CLEAR topics the run documents (methods and results) and those left to the author."""
    table = results.get("input") in ("table", "brain")
    auto = [
        ("Study design / data", "Eligibility criteria, source of data, reference standard", AUTHOR),
        ("Study design / data", "Sample size and class balance",
         ", ".join(f"{k}: {s['n']} ({s['n_events']} events)" for k, s in results.get("split", {}).items())),
        ("Imaging", "Acquisition protocol, scanners, sequences", AUTHOR),
        ("Segmentation", "Method, readers and reproducibility",
         AUTHOR if table else ("two readers, ICC filtering" if study.inputs.second_mask_column else
                               "one segmentation per patient; method " + AUTHOR)),
        ("Pre-processing", "Resampling, normalisation, discretisation",
         "computed outside radiome: " + AUTHOR if table else "stated in Methods (from the parameter file)"),
        ("Feature extraction", "Software and version, IBSI compliance",
         AUTHOR if table else f"radiome {__version__}, IBSI-compliant definitions"),
        ("Feature extraction", "Feature classes and image filters", AUTHOR if table else "stated in Methods"),
        ("Data partitioning", "Split before any processing; no information leakage",
         "stratified hold-out before selection; selection refitted inside every CV fold"),
        ("Feature selection", "Methods and number of features selected",
         "; ".join(f"{k}: {len(v.get('selected_features', [])) - 1} features" for k, v in results.get("radiomics", {}).items())),
        ("Modelling", "Algorithms, hyper-parameter tuning", "stated in Methods; best parameters in results.json"),
        ("Modelling", "Comparison with a clinical / baseline model",
         "clinical, Rad-score and combined models compared (DeLong)"),
        ("Evaluation", "Performance metrics with uncertainty", "AUC (DeLong and bootstrap CI), accuracy, "
         "sensitivity, specificity"),
        ("Evaluation", "Calibration", "calibration curves, Hosmer-Lemeshow, Brier"),
        ("Evaluation", "Clinical utility", "decision curve analysis"),
        ("Evaluation", "Explainability", "SHAP summary of the best classifier"),
        ("Evaluation", "External validation", "external cohort evaluated" if "external" in results.get("split", {})
         else AUTHOR + " (no external cohort in this run)"),
        ("Open science", "Code, configuration and versions", "run.json, results.json, radiome source"),
        ("Open science", "Data availability", AUTHOR),
        ("Discussion", "Limitations, biological meaning, clinical implications", AUTHOR),
    ]
    return [{"section": a, "topic": b, "status": c} for a, b, c in auto]
