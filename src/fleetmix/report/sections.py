"""The sections of the HTML report: each turns one input (the plan, an analysis, the load
curves, the validation summaries) into HTML and charts. `Figures` numbers the page's charts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import plotly.graph_objects as go
from plotly.io.json import to_json_plotly

from fleetmix.analyze.load_curves import LoadCurves
from fleetmix.perf.validate import ValidationSummary
from fleetmix.plan.result import Plan
from fleetmix.report import analysis_charts as ac
from fleetmix.report import charts, html_tables
from fleetmix.report import perf_charts as pc
from fleetmix.report._format import esc, money
from fleetmix.sim.validate import ServingSummary

MAX_DRIVERS = 12  # Monte Carlo draws shown, by |rank correlation|


class Figures:
    """Numbers the figures of a page and turns each into a div and the script that draws it."""

    def __init__(self) -> None:
        self.count = 0

    def embed(self, fig: go.Figure, caption: str = "") -> str:
        self.count += 1
        fid = f"fig-{self.count}"
        plotly_json = fig.to_plotly_json()
        # NOTE: the page's template is set once, in the browser (FLEETMIX_TEMPLATE): copying
        # it into every figure in Python took most of the page's build time.
        plotly_json["layout"].pop("template", None)
        # to_json_plotly escapes <, > and / (\u003c...): no text can close the <script>
        spec = to_json_plotly({"data": plotly_json["data"], "layout": plotly_json["layout"]})
        cap = f"<figcaption>{esc(caption)}</figcaption>" if caption else ""
        return (f'<figure class="chart"><div class="fm-chart" id="{fid}"></div>{cap}</figure>'
                f"<script>(function () {{ const f = {spec}; "
                f"f.layout.template = FLEETMIX_TEMPLATE; "
                f'Plotly.newPlot("{fid}", f.data, f.layout, FLEETMIX_PLOT_CONFIG); }})();'
                f"</script>")


@dataclass(frozen=True, kw_only=True)
class Section:
    sid: str  # the anchor the navigation bar links to
    title: str
    html: str


def section(sid: str, title: str, intro: str, body: str) -> Section:
    intro_html = f'<p class="intro">{esc(intro)}</p>' if intro else ""
    return Section(sid=sid, title=title,
                   html=f'<section id="{sid}"><h2>{esc(title)}</h2>{intro_html}{body}</section>')


def pair(left: str, right: str) -> str:
    """Two charts side by side, the second twice as wide."""
    return f'<div class="pair"><div>{left}</div><div>{right}</div></div>'


def _cards(plan: Plan) -> str:
    gap = plan.model.get("mip_gap")
    items = [("status", plan.status + (f" (gap {gap:.2%})" if gap else "")),
             ("cost", money(plan.cost_usd_per_hour, "/hour")),
             ("power at peak", "—" if plan.power_kw is None else f"{plan.power_kw:,.1f} kW"),
             ("vendors (chips)", ", ".join(f"{v} {s:.0%}" for v, s in plan.vendor_share.items())
              or "—")]
    single = plan.baselines.get("single_accelerator")
    if single and single.cost_usd_per_hour and plan.cost_usd_per_hour is not None:
        change = plan.cost_usd_per_hour / single.cost_usd_per_hour - 1
        items.append(("vs the best single accelerator", f"{change:+.1%}"))
    return '<div class="cards">' + "".join(
        f'<div class="card"><div class="label">{esc(k)}</div><div class="value">{esc(v)}</div>'
        f"</div>" for k, v in items) + "</div>"


def summary_section(plan: Plan) -> Section:
    parts = [_cards(plan)]
    if not plan.feasible:
        parts.append("<h3>No plan: why</h3><ul>" + "".join(
            f"<li>{esc(line)}</li>" for line in plan.explanation) + "</ul>")
        return section("plan", "Plan", "", "".join(parts))
    parts += ["<h3>What to buy</h3>", html_tables.purchases_table(plan),
              "<h3>What runs at each workload's peak</h3>", html_tables.peak_fleet_table(plan)]
    if plan.verification:
        parts += ["<h3>Verification: the planned fleet simulated at its demand</h3>",
                  html_tables.verification_table(plan)]
    return section("plan", "Plan", "", "".join(parts))


def plan_sections(plan: Plan, figs: Figures) -> list[Section]:
    out = []
    if plan.fleet:
        out.append(section(
            "fleet", "Fleet by vendor and cloud",
            "Chips running in each period, and where they come from over the day.",
            figs.embed(charts.fleet_over_periods(plan))
            + pair(figs.embed(charts.vendor_share_chart(plan)),
                    figs.embed(charts.fleet_sunburst(plan)))))
    if plan.purchases:
        out.append(section("cost", "Cost breakdown",
                            "Spend averaged over the periods, by vendor, offering and price tier.",
                            pair(figs.embed(charts.cost_by_vendor(plan)),
                                  figs.embed(charts.cost_by_offering(plan)))))
    if plan.baselines:
        out.append(section(
            "baselines", "The plan against its baselines",
            "The best fleet on a single accelerator with no policy rule, and the best mix with "
            "no policy rule: what the mix saves and what the policy costs.",
            figs.embed(charts.baselines_chart(plan))))
    return out


def leverage_section(lev: Mapping[str, Any], figs: Figures) -> Section:
    body = []
    if lev.get("offerings"):
        body += [figs.embed(ac.break_even_chart(lev["offerings"]),
                            "● marks offerings in the plan. Hover for the prices and reasons."),
                 "<details><summary>Break-even prices as a table</summary>",
                 html_tables.leverage_table(lev["offerings"]), "</details>"]
    if lev.get("vendors"):
        body += ["<h3>Vendors: walk-away prices</h3>", figs.embed(ac.vendor_chart(lev["vendors"]),
                 "In the plan: the average $/chip-hour at which the vendor's business would be "
                 "lost (all of its offerings priced up together). Out of it: the price below "
                 "which it would win business.")]
    costs = list(lev.get("policy_costs") or [])
    together = lev.get("no_policy_usd_per_hour")
    if len(costs) > 1 and together is not None:
        costs.append({"rule": "all rules together", "description": "every rule switched off",
                      "cost_usd_per_hour": together,
                      "premium_usd_per_hour": lev["cost_usd_per_hour"] - together})
    if costs:
        body.append("<h3>What each policy rule costs</h3>")
        if any(abs(p.get("premium_usd_per_hour") or 0.0) >= 0.005 for p in costs):
            body.append(figs.embed(ac.policy_cost_chart(costs)))
        body.append(html_tables.policy_cost_table(costs))
    return section("leverage", "Break-even prices", "The price at which each offering enters "
                    "or leaves the plan, found by re-solving it at other prices (within the "
                    "solver's gap).", "".join(body))


def frontier_section(front: Mapping[str, Any], figs: Figures) -> Section:
    notes = "".join(f"<p class=note>{esc(n)}</p>" for n in front.get("notes", []))
    return section("frontier", f"Frontier: cost against {front['parameter']}",
                    "Each point is the plan solved with the parameter at that value, everything "
                    "else as in the scenario; the star is the scenario's own setting.",
                    figs.embed(ac.frontier_chart(front)) + notes)


def montecarlo_section(mc: Mapping[str, Any], plan: Plan, figs: Figures) -> Section:
    runs = list(mc.get("per_run") or [])
    stats = mc.get("cost_usd_per_hour")
    nominal = (mc.get("nominal") or {}).get("cost_usd_per_hour", plan.cost_usd_per_hour)
    infeasible = float(mc.get("infeasible_fraction") or 0.0)
    line = (f"{len(runs)} runs (seed {mc.get('seed')}), {infeasible:.1%} without a feasible "
            f"plan")
    if stats:
        line += (f"; mean {money(stats['mean'])}/hour, sd {money(stats['sd'])}, "
                 f"5–95% {money(stats['p5'])}–{money(stats['p95'])}")
    body = figs.embed(ac.montecarlo_histogram(
        [r.get("cost_usd_per_hour") for r in runs], stats, nominal), line + ".")
    if mc.get("offerings"):
        body += "<h3>How often each offering is chosen</h3>" + figs.embed(
            ac.choice_frequency_chart(mc["offerings"]))
    drivers = list(mc.get("drivers") or [])[:MAX_DRIVERS]
    if drivers:
        body += "<h3>What moves the cost</h3>" + figs.embed(
            ac.drivers_chart(drivers), "Pale bars: a correlation that chance alone gives "
                                       "(5%, corrected for the number of draws).")
    source = ("the scenario's uncertainty section" if mc.get("uncertainty_source") == "scenario"
              else "the default uncertainty (the scenario has no uncertainty section)")
    notes = "".join(f"<p class=note>{esc(n)}</p>" for n in mc.get("notes") or [])
    return section("montecarlo", "Monte Carlo: cost under uncertainty",
                    f"The plan re-solved with prices, demand and supply drawn from {source}.",
                    body + notes)


def latency_section(curves: LoadCurves, figs: Figures) -> Section:
    body = []
    for workload in dict.fromkeys(c.workload for c in curves.curves):
        mine = [c for c in curves.curves if c.workload == workload]
        body += [f"<h3>Workload {esc(workload)}</h3>",
                 figs.embed(pc.latency_chart(mine, curves.planned_load_fraction))]
    if curves.omitted:
        body.append(f"<p class=note>Not drawn (used less): {esc(', '.join(curves.omitted))}</p>")
    return section(
        "latency", "Latency against load",
        f"One replica of each deployment the plan uses, simulated at fractions of its capacity "
        f"({curves.requests_per_point}+ requests per point). Dashed red: the SLO; dotted: the "
        f"capacity (100%) and the load the plan puts on a replica "
        f"({curves.planned_load_fraction:.0%}); hollow markers: the load was not sustained.",
        "".join(body))


def _perf_points(summary: ValidationSummary) -> list[pc.ErrorPoint]:
    out = []
    for r in summary.rows:
        m = r.measurement
        if r.rel_error is not None:
            out.append(pc.ErrorPoint(
                group=m.accelerator, series=m.metric, rel_error=r.rel_error, counted=r.included,
                hover=f"{m.arch} x{m.chips} {m.precision} {m.engine} {m.isl}/{m.osl} "
                      f"conc {m.concurrency or 'max'}: measured {m.value:,.1f}, predicted "
                      f"{r.predicted:,.1f}"))
    return out


def _serving_points(summary: ServingSummary) -> list[pc.ErrorPoint]:
    out = []
    for r in summary.rows:
        m = r.measurement
        if r.rel_error is not None:
            out.append(pc.ErrorPoint(
                group=m.accelerator, series=f"{m.metric} {m.statistic}", rel_error=r.rel_error,
                counted=not r.excluded,
                hover=f"{m.arch} x{m.chips} {m.precision} {m.engine} {m.isl}/{m.osl} conc "
                      f"{m.concurrency}: measured {m.value_ms:,.1f} ms, simulated "
                      f"{r.predicted_ms:,.1f} ms"))
    return out


def _errors(points: list[pc.ErrorPoint], figs: Figures) -> str:
    if not points:
        return "<p class=note>No row could be predicted (the table says why).</p>"
    return figs.embed(pc.model_error_chart(points))


def validation_section(perf: ValidationSummary | None, serving: ServingSummary | None,
                figs: Figures) -> Section:
    body = []
    if perf is not None:
        body += ["<h3>Step-time model against published measurements</h3>",
                 _errors(_perf_points(perf), figs),
                 f"<details><summary>The {len(perf.rows)} rows (as <code>fleetmix validate"
                 f"</code> prints them)</summary>", html_tables.validation_table(perf),
                 "</details>"]
    if serving is not None:
        body += ["<h3>Serving simulation against published benchmarks</h3>",
                 _errors(_serving_points(serving), figs),
                 f"<details><summary>The {len(serving.rows)} rows (as <code>fleetmix validate "
                 f"--serving</code> prints them)</summary>", html_tables.serving_validation_table(
                     serving), "</details>"]
    return section("validation", "How good the performance model is",
                    "Predicted against measured, by accelerator; shaded: within ±15%; hollow: "
                    "rows left out of the statistics (the tables say why).", "".join(body))
