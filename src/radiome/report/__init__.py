"""The publication-ready report of a study run: figures (:mod:`radiome.report.figures`), generated
methods text and checklists (:mod:`radiome.report.text`) and the self-contained HTML file
(:mod:`radiome.report.html`)."""

from radiome.report.html import SECTIONS, build_report

__all__ = ["SECTIONS", "build_report"]
