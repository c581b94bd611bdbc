"""The plan and its analyses as one self-contained HTML page with Plotly charts.

plotly.js is embedded once, inline, so the page opens with no network access; each figure is a
`<div class="fm-chart">` drawn by `Plotly.newPlot`, and `<meta name="fleetmix-figures">` says
how many there are (a browser test checks that each one drew). Every input but the plan is
optional: a section is drawn for each one given and the others are listed as not computed.
Nothing is computed here beyond sums for the charts; the caller runs the analyses.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import plotly.io as pio
from plotly.io.json import to_json_plotly
from plotly.offline import get_plotlyjs

from fleetmix import __version__
from fleetmix.analyze.load_curves import LoadCurves
from fleetmix.perf.validate import ValidationSummary
from fleetmix.plan.result import Plan
from fleetmix.report import sections as sec
from fleetmix.report._format import esc
from fleetmix.report._page import PAGE_CSS, PLOT_CONFIG_JS, TEMPLATE
from fleetmix.sim.validate import ServingSummary


class SupportsToDict(Protocol):
    def to_dict(self) -> Mapping[str, Any]: ...


Analysis = Mapping[str, Any] | SupportsToDict


def _as_dict(value: Analysis | None) -> Mapping[str, Any] | None:
    if value is None or isinstance(value, Mapping):
        return value
    return value.to_dict()


def render_report(plan: Plan, *, leverage: Analysis | None = None,
                  frontier: Analysis | None = None, montecarlo: Analysis | None = None,
                  load_curves: LoadCurves | None = None,
                  validation: ValidationSummary | None = None,
                  serving_validation: ServingSummary | None = None,
                  generated_at: dt.datetime | None = None) -> str:
    """The whole page as one string. Analyses are the objects (or their `to_dict()`)."""
    figs = sec.Figures()
    when = (generated_at or dt.datetime.now(dt.UTC)).strftime("%Y-%m-%d %H:%M UTC")
    lev, front, mc = _as_dict(leverage), _as_dict(frontier), _as_dict(montecarlo)
    parts = [sec.summary_section(plan)]
    if plan.feasible:
        parts += sec.plan_sections(plan, figs)
    missing = []
    if lev is not None:
        parts.append(sec.leverage_section(lev, figs))
    else:
        missing.append("break-even prices")
    if front is not None:
        parts.append(sec.frontier_section(front, figs))
    else:
        missing.append("frontier")
    if mc is not None:
        parts.append(sec.montecarlo_section(mc, plan, figs))
    else:
        missing.append("Monte Carlo")
    if load_curves is not None and load_curves.curves:
        parts.append(sec.latency_section(load_curves, figs))
    else:
        missing.append("latency against load")
    if validation is not None or serving_validation is not None:
        parts.append(sec.validation_section(validation, serving_validation, figs))
    else:
        missing.append("validation of the performance model")
    if plan.notes:
        parts.append(sec.section("notes", "Notes", "", "<ul>" + "".join(
            f"<li>{esc(n)}</li>" for n in plan.notes) + "</ul>"))
    return _page(plan, when, parts, missing, figs.count)


def _nav(sections: Sequence[sec.Section]) -> str:
    return "<nav>" + "".join(f'<a href="#{s.sid}">{esc(s.title)}</a>' for s in sections) \
        + "</nav>"


@functools.cache
def _template_json() -> str:
    """The Plotly template every chart of the page uses, as JSON."""
    return str(to_json_plotly(pio.templates[TEMPLATE].to_plotly_json()))


def _page(plan: Plan, when: str, sections: list[sec.Section], missing: list[str], figures: int
          ) -> str:
    footer = [f"fleetmix {esc(__version__)} · generated {esc(when)} · {figures} charts"]
    if missing:
        footer.append("not computed: " + esc(", ".join(missing)))
    return "".join([
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f'<meta name="fleetmix-figures" content="{figures}">',
        f"<title>fleetmix report: {esc(plan.scenario)}</title>",
        f"<style>{PAGE_CSS}</style>",
        f'<script type="text/javascript">{get_plotlyjs()}</script>',
        f"<script>{PLOT_CONFIG_JS}\nconst FLEETMIX_TEMPLATE = {_template_json()};</script>",
        "</head><body>",
        f'<header><div class="kicker">fleetmix report</div><h1>{esc(plan.scenario)}</h1>',
        f'<div class="meta">generated {esc(when)} · objective {esc(plan.objective)}</div>',
        "</header>", _nav(sections), "<main>", *(s.html for s in sections), "</main>",
        '<footer><p>' + "</p><p>".join(footer) + "</p></footer></body></html>"])
