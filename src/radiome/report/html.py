"""The self-contained HTML report of a ``radiome run``.

One file, ``report/report.html``: figures embedded as base64 PNG (300 dpi; the SVG and PDF of
each figure sit beside it in ``report/figures/``), CSS inline, no script and no external link, so
it opens offline and prints to PDF (print CSS breaks pages between sections).

Every number the report prints comes from ``results.json`` and carries its JSON path in a
``data-r`` attribute (``data-f`` gives the format), so a test can check the report against the
results file number by number.  Figures are drawn from the run folder's CSV files (predictions,
curves, LASSO path, SHAP values).
"""

from __future__ import annotations

import base64
import html
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from radiome import __version__
from radiome._atomic import write_text_atomic
from radiome.evaluate.baseline import format_p
from radiome.report import figures as fg
from radiome.report.text import checklist_rows, methods_paragraph, rqs_rows
from radiome.study.stages import read_csv_or_empty as _csv

__all__ = ["SECTIONS", "build_report", "fmt_value"]

SECTIONS = ("cohort", "images", "morphometry", "clinical", "selection", "models", "calibration", "decision", "nomogram", "shap",
            "comparison", "methods", "checklist")

TITLES = {
    "cohort": "Cohort and Table 1",
    "images": "Example images and ROIs",
    "morphometry": "Spine morphometry",
    "clinical": "Clinical model",
    "selection": "Feature selection and Rad-score",
    "models": "Model comparison and ROC curves",
    "calibration": "Calibration",
    "decision": "Decision curves",
    "nomogram": "Combined model and nomogram",
    "shap": "Model explanation (SHAP)",
    "comparison": "DeLong comparison of AUCs",
    "methods": "Methods",
    "checklist": "Reporting checklist (RQS and CLEAR)",
}

CSS = """
body{font-family:'DejaVu Sans',Helvetica,Arial,sans-serif;font-size:13px;color:#222;max-width:1100px;margin:24px auto;
padding:0 16px;line-height:1.45}
h1{font-size:22px;margin-bottom:4px}h2{font-size:17px;border-bottom:1px solid #ccc;padding-bottom:3px;margin-top:32px}
h3{font-size:14px;margin:18px 0 6px}.sub{color:#555;margin-top:0}
table{border-collapse:collapse;margin:8px 0 14px;font-size:12px}th,td{padding:3px 8px;text-align:left;vertical-align:top}
thead th{border-top:1.5px solid #222;border-bottom:1px solid #222}tbody tr:last-child td{border-bottom:1.5px solid #222}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}tr.lvl td:first-child{padding-left:22px;color:#444}
figure{margin:10px 0 18px;display:inline-block;vertical-align:top}figure img{max-width:100%;height:auto}
figcaption{font-size:11.5px;color:#444;max-width:640px}.figrow{display:flex;flex-wrap:wrap;gap:14px}
.figrow figure{flex:1 1 420px;max-width:520px}code,.formula{font-family:'DejaVu Sans Mono',monospace;font-size:11.5px}
.formula{background:#f5f5f5;padding:8px;white-space:pre-wrap;word-break:break-word}
nav ol{columns:2;font-size:12.5px}.author{color:#b35900}.note{color:#555;font-size:12px}
@media print{body{max-width:none;margin:0}section{page-break-before:always}section#cohort{page-break-before:auto}
nav{display:none}figure{page-break-inside:avoid}table{page-break-inside:avoid}}
"""


# ----------------------------------------------------------------------------------------------
# numbers with their results.json path
# ----------------------------------------------------------------------------------------------


def fmt_value(value: Any, f: str) -> str:
    """Format a results.json value as the report prints it: ``3`` (decimals), ``p`` (p-value),
    ``i`` (integer) or ``s`` (string as is)."""
    if f == "s":
        return "" if value is None else str(value)
    if value is None:
        return "-"
    if f == "p":
        return format_p(float(value)) or "-"
    if f == "i":
        return str(int(value))
    v = float(value)
    if not np.isfinite(v):
        return "-"
    return f"{v:.{int(f)}f}"


def resolve(results: dict[str, Any], path: str) -> Any:
    """The value at a dotted path of results.json (list indices as numbers)."""
    node: Any = results
    for part in path.split("."):
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


class Numbers:
    """Renders ``<span data-r=path data-f=fmt>value</span>`` from results.json."""

    def __init__(self, results: dict[str, Any]) -> None:
        self.results = results

    def __call__(self, path: str, f: str = "3") -> str:
        value = resolve(self.results, path)
        return f'<span data-r="{html.escape(path)}" data-f="{f}">{html.escape(fmt_value(value, f))}</span>'


def esc(x: Any) -> str:
    return html.escape("" if x is None else str(x))


def table(headers: list[str], rows: list[list[str]], numeric: set[int] = frozenset(), row_class: Callable[[int], str] | None = None) -> str:
    th = "".join(f'<th class="n">{h}</th>' if i in numeric else f"<th>{h}</th>" for i, h in enumerate(headers))
    body = []
    for r, row in enumerate(rows):
        cls = row_class(r) if row_class else ""
        tds = "".join(f'<td class="n">{c}</td>' if i in numeric else f"<td>{c}</td>" for i, c in enumerate(row))
        body.append(f'<tr class="{cls}">{tds}</tr>' if cls else f"<tr>{tds}</tr>")
    return f"<table><thead><tr>{th}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def embed_png(name: str, png: bytes, width_px: int, caption: str, links: dict[str, str], alt: str | None = None) -> str:
    """A ``<figure>`` with the PNG embedded (base64) at ``width_px`` CSS pixels, its caption and links to
    the figure's files (``{"SVG": "figures/x.svg"}``)."""
    b64 = base64.b64encode(png).decode("ascii")
    refs = " ".join(f'<a href="{esc(href)}">{esc(label)}</a>' for label, href in links.items())
    return (f'<figure data-figure="{esc(name)}" style="max-width:{width_px}px"><img alt="{esc(alt or caption)}" '
            f'style="width:{width_px}px" src="data:image/png;base64,{b64}">'
            f'<figcaption>{caption} <span class="note">({refs})</span></figcaption></figure>')


class Figures:
    """Saves figures under ``report/figures`` and returns their embedded ``<figure>`` HTML."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.files: list[Path] = []

    def __call__(self, fig, name: str, caption: str, alt: str | None = None) -> str:
        # CSS pixels: the figure's printed width, a little enlarged for the screen
        width_px = round(float(fig.get_size_inches()[0]) * 110)
        paths, png = fg.save_figure(fig, self.folder / name)
        self.files += paths
        return embed_png(name, png, width_px, caption, {p.suffix[1:].upper(): f"figures/{p.name}" for p in paths}, alt)


# ----------------------------------------------------------------------------------------------
# data access
# ----------------------------------------------------------------------------------------------


def key_models(results: dict[str, Any], set_name: str) -> list[str]:
    """The models drawn in the figures of one ROI set: clinical, Rad-score, best classifier, combined."""
    names = {m["model"] for m in results["metrics"]}
    best = results["radiomics"][set_name].get("best_classifier")
    cand = ["clinical", f"radscore[{set_name}]", f"{set_name}/{best}" if best else "", f"combined[{set_name}]"]
    return [c for c in cand if c in names]


def display_name(model: str) -> str:
    if model.startswith("radscore["):
        return f"Rad-score ({model[9:-1]})"
    if model.startswith("combined["):
        return f"Combined ({model[9:-1]})"
    if model == "clinical":
        return "Clinical"
    return model.replace("/", ": ")


def metric_index(results: dict[str, Any]) -> dict[tuple[str, str], int]:
    return {(m["model"], m["split"]): i for i, m in enumerate(results["metrics"])}


# ----------------------------------------------------------------------------------------------
# sections
# ----------------------------------------------------------------------------------------------


def _cohort(ctx: "_Ctx") -> str:
    r, N = ctx.results, ctx.N
    parts = ["<p>"]
    parts.append(", ".join(f"{esc(s)}: {N(f'split.{s}.n', 'i')} patients ({N(f'split.{s}.n_events', 'i')} events)"
                           for s in ("train", "test", "external") if s in r["split"]) + ".</p>")
    t1 = r.get("table1") or []
    if t1:
        groups = [c for c in t1[0] if c not in ("variable", "level", "type", "summary", "overall", "test", "p_value", "p",
                                                 "missing") and not any(c.startswith(p) for p in
                                                                        ("mean_", "sd_", "median_", "q1_", "q3_", "n_"))]
        rows = []
        for i, row in enumerate(t1):
            label = esc(row["level"]) if row["type"] == "level" else esc(row["variable"]) + (
                f' <span class="note">{esc(row["summary"])}</span>' if row.get("summary") else "")
            rows.append([label, N(f"table1.{i}.overall", "s"), *[N(f"table1.{i}.{g}", "s") for g in groups],
                         N(f"table1.{i}.p_value", "p") if row.get("p_value") is not None else "", esc(row.get("test") or "")])
        parts.append("<h3>Table 1. Baseline characteristics by outcome group</h3>")
        parts.append(table(["Characteristic", "Overall", *map(esc, groups), "p", "Test"], rows, {1, *range(2, 2 + len(groups)), 2 + len(groups)},
                           lambda k: "lvl" if t1[k]["type"] == "level" else ""))
        parts.append('<p class="note">Continuous variables: mean ± SD (t-test) when normal in every group by '
                     "Shapiro-Wilk, else median [Q1, Q3] (Mann-Whitney U); categorical: n (%) (chi-square with "
                     "Yates' correction, Fisher's exact test when an expected count is below 5).</p>")
    else:
        parts.append('<p class="note">No clinical covariates: no Table 1.</p>')
    return "".join(parts)


def _images(ctx: "_Ctx") -> str:
    if ctx.results.get("input") == "table":
        return '<p class="note">Feature-table study: no images.</p>'
    if ctx.results.get("input") == "brain":
        b = ctx.study.brain
        return (f'<p>Brain study: features are regional means of voxel-wise maps ({esc(", ".join(b.metrics))}) over '
                f"the atlas <code>{esc(b.atlas.name)}</code>, ROI-to-ROI connectivity and graph metrics; no ROI masks.</p>")
    from radiome.report.overlay import example_panels

    panels, colours = example_panels(ctx.study, ctx.out)
    if not panels:
        return '<p class="note">No example image could be read.</p>'
    fig = fg.roi_overlay_figure(panels, colours)
    return ctx.F(fig, "roi_examples", "Figure. Example axial slices (the slice with the largest ROI area) with the "
                 "ROI outlines, one patient of each outcome group from the training set.")


def _morphometry(ctx: "_Ctx") -> str:
    m = ctx.results.get("morphometry")
    if not m:
        return '<p class="note">No morphometry in this study (add a morphometry section or covariates with ' \
               "source: morphometry).</p>"
    N = ctx.N
    parts = [f"<p>Muscle cross-sectional area, fat infiltration ({N('morphometry.method', 's')} method, slice "
             f"{N('morphometry.slice', 's')}), gray values, asymmetry, vertebral body area and landmark angles were "
             f"measured for {N('morphometry.n_patients', 'i')} patients; {N('morphometry.n_with_messages', 'i')} "
             "had a message (missing landmark or ROI: that measure is NaN; see morphometry/morphometry.csv).</p>"]
    if m.get("covariates"):
        parts.append("<p>Measures used as clinical covariates: "
                     + ", ".join(f"<code>{esc(c)}</code>" for c in m["covariates"]) + " (Table 1 and the clinical "
                     "model).</p>")
    qa = ctx.out / "morphometry" / "qa"
    split = _csv(ctx.out / "split.csv")
    shown = []
    if not split.empty and qa.is_dir():
        for label in sorted(split["label"].unique()):
            ids = split[(split["split"] == "train") & (split["label"] == label)]["patient_id"]
            shown += [pid for pid in ids if (qa / f"{pid}.png").is_file()][:3]
    figs = []
    for pid in shown:
        figs.append(embed_png(f"morphometry_qa_{pid}", (qa / f"{pid}.png").read_bytes(), 340, esc(pid),
                              {"PNG": f"../morphometry/qa/{pid}.png"}, alt=f"QA {pid}"))
    if figs:
        parts.append('<p class="note">Quality-control gallery (three training patients per outcome group): muscle '
                     "outlines, fat pixels coloured, angles drawn. Every patient's image is in morphometry/qa/.</p>")
        parts.append(f'<div class="figrow">{"".join(figs)}</div>')
    return "".join(parts)


def _or_rows(ctx: "_Ctx", key: str, rows: list[dict]) -> list[list[str]]:
    N = ctx.N
    out = []
    for i, r in enumerate(rows):
        if r.get("term") == "(Intercept)":
            continue
        name = esc(r.get("variable")) + (f" [{esc(r['level'])}]" if r.get("level") not in (None, "") else "")
        if r.get("note") == "reference":
            out.append([name, "1 (reference)", "", ""])
            continue
        out.append([name, N(f"{key}.{i}.odds_ratio", "3"),
                    f"{N(f'{key}.{i}.or_ci_lower', '3')} - {N(f'{key}.{i}.or_ci_upper', '3')}", N(f"{key}.{i}.p", "p")])
    return out


def _clinical(ctx: "_Ctx") -> str:
    c = ctx.results["clinical"]
    if not c.get("univariate"):
        return '<p class="note">No clinical covariates in the study.</p>'
    parts = ["<h3>Univariable logistic regression (training set)</h3>",
             table(["Variable", "OR", "95 % CI", "p"], _or_rows(ctx, "clinical.univariate", c["univariate"]), {1, 2, 3})]
    if c.get("multivariate"):
        parts += ["<h3>Multivariable logistic regression: the clinical model</h3>",
                  table(["Variable", "OR", "95 % CI", "p"], _or_rows(ctx, "clinical.multivariate", c["multivariate"]),
                        {1, 2, 3})]
        if c.get("aic") is not None:
            parts.append(f"<p>AIC {ctx.N('clinical.aic', '2')}; n = {ctx.N('clinical.n', 'i')} "
                         f"({ctx.N('clinical.n_events', 'i')} events).</p>")
    for note in c.get("notes", []):
        parts.append(f'<p class="note">{esc(note)}</p>')
    return "".join(parts)


REGIONAL_PREFIXES = ("nodal_degree_auc_", "nodal_efficiency_auc_", "nodal_strength_auc_", "nodal_clustering_auc_",
                     "nodal_local_efficiency_auc_", "nodal_betweenness_auc_", "dti_FA_", "dti_MD_", "dti_AD_",
                     "dti_RD_", "t1_vol_", "t1_mean_", "gm_vol_", "alff_", "falff_", "reho_", "dcw_", "dc_", "vmhc_")


def brain_regions(features: list[str]) -> list[str]:
    """Atlas regions named in brain feature names (``reho_Insula_L``, ``fc_ACC_L__Insula_L``,
    ``nodal_degree_auc_PCC_R``, ``t1_vol_PFC_R``), in order of first appearance; global graph
    metrics (``graph_*``) name none."""
    out: list[str] = []
    for f in features:
        parts: list[str] = []
        if f.startswith("fc_") and "__" in f:
            parts = f[3:].split("__")
        else:
            prefix = next((p for p in REGIONAL_PREFIXES if f.startswith(p)), None)
            if prefix is not None:
                parts = [f[len(prefix):]]
        out += [p for p in parts if p and p not in out]
    return out


def _selection(ctx: "_Ctx") -> str:
    parts = []
    for set_name, entry in ctx.results["radiomics"].items():
        base = f"radiomics.{set_name}"
        folder = ctx.out / "models" / set_name
        parts.append(f"<h3>ROI set {esc(set_name)} ({esc(', '.join(entry['rois']))})</h3>")
        if "icc" in entry:
            parts.append(f"<p>Reproducibility: {ctx.N(base + '.icc.n_reproducible', 'i')} of "
                         f"{ctx.N(base + '.icc.n_features', 'i')} features had ICC at or above the threshold.</p>")
        lasso = entry.get("lasso") or {}
        if lasso:
            parts.append(f"<p>LASSO on {ctx.N(base + '.lasso.n_candidates', 'i')} candidate features: lambda.min = "
                         f"{ctx.N(base + '.lasso.lambda_min', '5')}, lambda.1se = {ctx.N(base + '.lasso.lambda_1se', '5')}; "
                         f"{ctx.N(base + '.lasso.n_selected', 'i')} features kept at lambda = "
                         f"{ctx.N(base + '.lasso.lambda', '5')}.</p>")
            path, cv = _csv(folder / "lasso_path.csv"), _csv(folder / "lasso_cv.csv")
            figs = []
            if not path.empty:
                figs.append(ctx.F(fg.lasso_path_figure(path, lasso["lambda_min"], lasso["lambda_1se"], f"LASSO path ({set_name})"),
                                  f"lasso_path_{set_name}", "Figure. LASSO coefficient paths with lambda.min and lambda.1se."))
            if not cv.empty:
                figs.append(ctx.F(fg.lasso_cv_figure(cv, lasso["lambda_min"], lasso["lambda_1se"], f"LASSO CV ({set_name})"),
                                  f"lasso_cv_{set_name}", "Figure. Cross-validated binomial deviance (mean ± SE) of the "
                                  "LASSO with lambda.min and lambda.1se."))
            parts.append(f'<div class="figrow">{"".join(figs)}</div>')
        rows = [[f"<code>{esc(s['feature'])}</code>", ctx.N(f"{base}.selected_features.{i}.coefficient", "4")]
                for i, s in enumerate(entry["selected_features"])]
        if ctx.results.get("input") == "brain":
            regions = brain_regions([s["feature"] for s in entry["selected_features"]])
            if regions:
                parts.append("<p>Regions of the selected features: " + ", ".join(f"<b>{esc(r)}</b>" for r in regions)
                             + ".</p>")
        parts.append(table(["Feature", "LASSO coefficient"], rows, {1}))
        parts.append(f'<p>Rad-score formula:</p><div class="formula">{ctx.N(base + ".radscore_formula", "s")}</div>')
        corr = _csv(folder / "selected_correlation.csv")
        if not corr.empty and corr.shape[0] >= 2:
            corr = corr.set_index(corr.columns[0])
            parts.append(ctx.F(fg.correlation_figure(corr, f"Selected features ({set_name})"), f"correlation_{set_name}",
                               "Figure. Pearson correlation of the selected features in the training set."))
    return "".join(parts)


def _models(ctx: "_Ctx") -> str:
    r, N = ctx.results, ctx.N
    idx = metric_index(r)
    preds = _csv(ctx.out / "evaluation" / "predictions.csv")
    from radiome.evaluate import roc_curve

    parts = ['<p class="note">AUC with 95 % DeLong CI; accuracy, sensitivity and specificity at the Youden threshold '
             "of the training predictions. The best classifier (marked *) is chosen by inner cross-validated AUC "
             "on the training set.</p>"]
    splits = [s for s in ("train", "test", "external") if s in r["split"]]
    models = list(dict.fromkeys(m["model"] for m in r["metrics"]))
    best = {f"{k}/{v.get('best_classifier')}" for k, v in r["radiomics"].items()}
    internal = {f"{k}/{c}": f"radiomics.{k}.classifiers.{c}.internal_validation"
                for k, v in r["radiomics"].items() for c, e in v["classifiers"].items() if e.get("internal_validation")}
    rows = []
    for m in models:
        row = [esc(display_name(m)) + (" *" if m in best else "")]
        if internal:
            base = internal.get(m)
            row.append(f"{N(base + '.auc')} ± {N(base + '.auc_sd')}" if base else "-")
        for s in splits:
            i = idx.get((m, s))
            if i is None:
                row += ["-"] * (4 if s != "train" else 1)
                continue
            row.append(f"{N(f'metrics.{i}.auc')} ({N(f'metrics.{i}.auc_delong_lower')}-{N(f'metrics.{i}.auc_delong_upper')})")
            if s != "train":
                row += [N(f"metrics.{i}.accuracy"), N(f"metrics.{i}.sensitivity"), N(f"metrics.{i}.specificity")]
        rows.append(row)
    heads = ["Model"]
    if internal:
        first = resolve(r, next(iter(internal.values())))
        heads.append("Internal validation AUC (mean ± SD)")
        parts.append(f'<p class="note">Internal validation on the training set: {esc(first["description"])}, with '
                     "selection and tuning redone in every resample.</p>")
    for s in splits:
        heads += [f"AUC {s} (95 % CI)"] + ([f"Accuracy {s}", f"Sensitivity {s}", f"Specificity {s}"] if s != "train" else [])
    parts.append(table(heads, rows, set(range(1, len(heads)))))
    for set_name in r["radiomics"]:
        figs = []
        for s in splits:
            curves, aucs = {}, {}
            for m in key_models(r, set_name):
                d = preds[(preds["model"] == m) & (preds["split"] == s) & preds["p"].notna()]
                i = idx.get((m, s))
                if d.empty or i is None or d["y"].nunique() < 2:
                    continue
                curves[display_name(m)] = roc_curve(d["y"].to_numpy(int), d["p"].to_numpy(float))
                mm = r["metrics"][i]
                aucs[display_name(m)] = (mm["auc"], mm["auc_delong_lower"], mm["auc_delong_upper"])
            if curves:
                figs.append(ctx.F(fg.roc_figure(curves, aucs, ctx.colours, f"ROC, {s} set ({set_name})"),
                                  f"roc_{set_name}_{s}", f"Figure. ROC curves in the {s} set, ROI set {esc(set_name)}; "
                                  "legend: AUC (95 % DeLong CI)."))
        parts.append(f'<div class="figrow">{"".join(figs)}</div>')
    return "".join(parts)


def _calibration(ctx: "_Ctx") -> str:
    from radiome.evaluate import calibration_curve

    r, N = ctx.results, ctx.N
    preds = _csv(ctx.out / "evaluation" / "predictions.csv")
    cal = {(c["model"], c["split"]): i for i, c in enumerate(r["calibration"])}
    hl = {(c["model"], c["split"]): i for i, c in enumerate(r["hosmer_lemeshow"])}
    parts, rows = [], []
    shown = list(dict.fromkeys(m for s in r["radiomics"] for m in key_models(r, s)))
    splits = [s for s in ("train", "test", "external") if s in r["split"]]
    for m in shown:
        for s in splits:
            i, j = cal.get((m, s)), hl.get((m, s))
            if i is None:
                continue
            rows.append([esc(display_name(m)), esc(s), N(f"calibration.{i}.Brier"), N(f"calibration.{i}.Intercept"),
                         N(f"calibration.{i}.Slope"), N(f"hosmer_lemeshow.{j}.statistic", "2") if j is not None else "-",
                         N(f"hosmer_lemeshow.{j}.p_value", "p") if j is not None else "-"])
    parts.append(table(["Model", "Set", "Brier", "Intercept", "Slope", "HL chi-square", "HL p"], rows, {2, 3, 4, 5, 6}))
    for set_name in r["radiomics"]:
        figs = []
        for s in splits:
            curves, stats = {}, {}
            for m in key_models(r, set_name):
                d = preds[(preds["model"] == m) & (preds["split"] == s) & preds["p"].notna()]
                if d.empty or d["y"].nunique() < 2 or (m, s) not in cal:
                    continue
                bins = 10 if len(d) >= 100 else 5
                curves[display_name(m)] = calibration_curve(d["y"].to_numpy(int), d["p"].to_numpy(float), bins=bins)
                c = r["calibration"][cal[(m, s)]]
                h = r["hosmer_lemeshow"][hl[(m, s)]] if (m, s) in hl else {}
                stats[display_name(m)] = (f"HL p {fmt_value(h.get('p_value'), 'p')}, Brier {fmt_value(c.get('Brier'), '3')}")
            if curves:
                figs.append(ctx.F(fg.calibration_figure(curves, stats, ctx.colours, f"Calibration, {s} set ({set_name})"),
                                  f"calibration_{set_name}_{s}", f"Figure. Calibration in the {s} set, ROI set "
                                  f"{esc(set_name)}: observed event rate per group of predicted risk (exact 95 % CI); "
                                  "legend: Hosmer-Lemeshow p and Brier score."))
        parts.append(f'<div class="figrow">{"".join(figs)}</div>')
    return "".join(parts)


def _decision(ctx: "_Ctx") -> str:
    r = ctx.results
    dca = _csv(ctx.out / "evaluation" / "decision_curve.csv")
    if dca.empty:
        return '<p class="note">No decision curve.</p>'
    parts = []
    for set_name in r["radiomics"]:
        figs = []
        for s in [s for s in ("train", "test", "external") if s in r["split"]]:
            curves = {display_name(m): dca[(dca["model"] == m) & (dca["split"] == s)] for m in key_models(r, set_name)}
            curves = {k: v for k, v in curves.items() if not v.empty}
            if curves:
                figs.append(ctx.F(fg.dca_figure(curves, ctx.colours, f"Decision curves, {s} set ({set_name})"),
                                  f"dca_{set_name}_{s}", f"Figure. Net benefit against threshold probability in the {s} "
                                  f"set, ROI set {esc(set_name)}, with the treat-all and treat-none strategies."))
        parts.append(f'<div class="figrow">{"".join(figs)}</div>')
    return "".join(parts)


def _nomogram(ctx: "_Ctx") -> str:
    parts = []
    for set_name, entry in ctx.results["radiomics"].items():
        base = f"radiomics.{set_name}.combined"
        parts.append(f"<h3>Combined model ({esc(set_name)})</h3>")
        parts.append(table(["Variable", "OR", "95 % CI", "p"], _or_rows(ctx, base, entry["combined"]), {1, 2, 3}))
        png = ctx.out / "combined" / set_name / "nomogram.png"
        if png.is_file():
            parts.append(embed_png(f"nomogram_{set_name}", png.read_bytes(), 700,
                                   f"Figure. Nomogram of the combined model ({esc(set_name)}): read each predictor's "
                                   "points, add them, and read the risk on the bottom axis.",
                                   {"SVG": f"../combined/{set_name}/nomogram.svg"}, alt=f"Nomogram {set_name}"))
    return "".join(parts)


def _shap(ctx: "_Ctx") -> str:
    parts = []
    for set_name, entry in ctx.results["radiomics"].items():
        folder = ctx.out / "models" / set_name
        vals, data = _csv(folder / "shap_values.csv"), _csv(folder / "shap_data.csv")
        if vals.empty:
            continue
        feats = [c for c in vals.columns if c not in (vals.columns[0], "split")]
        shap = entry.get("shap") or {}
        fig = fg.shap_summary_figure(vals[feats], data[feats], f"SHAP: {entry.get('best_classifier')} ({set_name})")
        parts.append(f"<h3>{esc(set_name)}: {ctx.N(f'radiomics.{set_name}.best_classifier', 's')}</h3>")
        parts.append(ctx.F(fig, f"shap_{set_name}", "Figure. SHAP summary of the best classifier: each point is a "
                           "patient, its position the feature's contribution to the predicted probability, its colour "
                           f"the feature value. Method: {esc(shap.get('method', ''))}."))
        rows = [[f"<code>{esc(k)}</code>", ctx.N(f"radiomics.{set_name}.shap.mean_abs.{k}", "4")]
                for k, _ in sorted((shap.get("mean_abs") or {}).items(), key=lambda kv: -kv[1])[:15]]
        if rows:
            parts.append(table(["Feature", "mean |SHAP|"], rows, {1}))
    return "".join(parts) or '<p class="note">No SHAP values.</p>'


def _comparison(ctx: "_Ctx") -> str:
    r, N = ctx.results, ctx.N
    keys = set(m for s in r["radiomics"] for m in key_models(r, s))
    shown = "external" if "external" in r["split"] else "test" if "test" in r["split"] else "train"
    rows = []
    for i, d in enumerate(r["delong"]):
        if d["model_a"] in keys and d["model_b"] in keys and d["split"] == shown:
            rows.append([esc(d["split"]), esc(display_name(d["model_a"])), esc(display_name(d["model_b"])),
                         N(f"delong.{i}.auc_a"), N(f"delong.{i}.auc_b"), N(f"delong.{i}.z", "2"), N(f"delong.{i}.p_value", "p")])
    if not rows:
        return '<p class="note">No pair of models to compare.</p>'
    return (f'<p class="note">Paired two-sided DeLong tests (pROC roc.test) of the headline models in the {shown} set; '
            "every model pair in every set is in evaluation/delong_matrix.csv.</p>" +
            table(["Set", "Model A", "Model B", "AUC A", "AUC B", "z", "p"], rows, {3, 4, 5, 6}))


def _methods(ctx: "_Ctx") -> str:
    return "".join(f"<p>{esc(p)}</p>" for p in methods_paragraph(ctx.study, ctx.results))


def _checklist(ctx: "_Ctx") -> str:
    rqs = rqs_rows(ctx.study, ctx.results)
    clear = checklist_rows(ctx.study, ctx.results)

    def cell(v: str) -> str:
        return f'<span class="author">{esc(v)}</span>' if "for the author" in v else esc(v)

    auto = sum(int(r["points"]) for r in rqs if r["points"].lstrip("+-").isdigit())
    return ("<h3>Radiomics Quality Score (Lambin et al. 2017)</h3>"
            f"<p>Points supported by this run: <b>{auto}</b> of 36; items marked for the author need the study "
            "protocol.</p>" +
            table(["RQS component", "Points", "Evidence"], [[esc(r["item"]), esc(r["points"]), cell(r["evidence"])] for r in rqs], {1})
            + "<h3>CLEAR topics (Kocak et al. 2023)</h3>"
            + table(["Section", "Topic", "This run"], [[esc(r["section"]), esc(r["topic"]), cell(r["status"])] for r in clear]))


BUILDERS: dict[str, Callable[["_Ctx"], str]] = {
    "cohort": _cohort, "images": _images, "morphometry": _morphometry, "clinical": _clinical, "selection": _selection, "models": _models,
    "calibration": _calibration, "decision": _decision, "nomogram": _nomogram, "shap": _shap,
    "comparison": _comparison, "methods": _methods, "checklist": _checklist,
}


class _Ctx:
    def __init__(self, study: Any, out: Path, results: dict[str, Any]) -> None:
        from radiome.study.stages import roi_sets

        # results.json sorts its keys; the report lists the ROI sets in the study's order
        order = [k for k in roi_sets(study) if k in results["radiomics"]]
        results = {**results, "radiomics": {k: results["radiomics"][k] for k in order
                                            + [k for k in results["radiomics"] if k not in order]}}
        self.study, self.out, self.results = study, out, results
        self.N = Numbers(results)
        self.F = Figures(out / "report" / "figures")
        self.colours = fg.ModelColours(["Clinical"])
        for s in results["radiomics"]:
            for m in key_models(results, s):
                self.colours(display_name(m))


def build_report(study: Any, out: Path) -> list[Path]:
    """Write ``<out>/report/report.html`` (and its figures) from results.json and the run folder."""
    out = Path(out)
    results = json.loads((out / "results.json").read_text())
    ctx = _Ctx(study, out, results)
    wanted = [s for s in SECTIONS if study.report.sections is None or s in study.report.sections]
    body, nav = [], []
    for name in wanted:
        content = BUILDERS[name](ctx)
        body.append(f'<section id="{name}"><h2>{TITLES[name]}</h2>{content}</section>')
        nav.append(f'<li><a href="#{name}">{TITLES[name]}</a></li>')
    authors = ", ".join(study.report.authors)
    doc = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{esc(study.report.title)}</title><style>{CSS}</style></head><body>"
        f"<header><h1>{esc(study.report.title)}</h1>"
        + (f'<p class="sub">{esc(authors)}</p>' if authors else "")
        + f'<p class="sub">Study: <span data-r="study" data-f="s">{esc(results["study"])}</span> &middot; '
        f"radiome {esc(__version__)}</p>"
        + (f"<p>{esc(study.description)}</p>" if study.description else "")
        + f"</header><nav><ol>{''.join(nav)}</ol></nav>{''.join(body)}"
        '<footer><p class="note">Every number above is in results.json (its JSON path is in the data-r attribute of '
        "each value); run.json records the configuration, package versions and input checksums.</p></footer>"
        "</body></html>\n"
    )
    target = write_text_atomic(out / "report" / "report.html", doc)
    return [*ctx.F.files, target]
