"""Rendering: Rich tables for the terminal, and the plan with its analyses as one
self-contained HTML page (Plotly). Nothing here computes: the analyses come from `analyze`."""

from fleetmix.report.html import render_report

__all__ = ["render_report"]
