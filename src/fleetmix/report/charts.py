"""Plotly figures of a plan: fleet by vendor and cloud, cost breakdown, baselines vs the plan.

Every figure is built from values the planner already computed; nothing here solves or
simulates. Text that came from the user (workload, offering names) is escaped: Plotly reads a
subset of HTML in labels. The analyses' figures are in `analysis_charts`.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from fleetmix.plan.result import Plan
from fleetmix.report._format import TIER_COLORS, color_map, esc, money

FONT = {"family": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif", "size": 13}


def styled(fig: go.Figure, *, height: int, title: str | None = None, **layout: Any
           ) -> go.Figure:
    """The house style: compact margins, legend on top, under the title when there is one
    (pinned to the figure's top edge so that a legend of two lines does not run into it); the
    template is the page's."""
    base: dict[str, Any] = {
        "height": height, "font": FONT,
        "margin": {"l": 60, "r": 30, "t": 100 if title else 40, "b": 50},
        "legend": {"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0},
        "title": {"text": esc(title), "x": 0, "xanchor": "left", "y": 1, "yref": "container",
                  "yanchor": "top", "pad": {"t": 10}, "font": {"size": 15}} if title else None}
    fig.update_layout(**(base | layout))
    return fig


def chips_by_period(plan: Plan, attr: str) -> dict[str, list[float]]:
    """Chips running per period, summed by a fleet-row attribute (vendor, cloud, ...)."""
    periods = 1 + max((r.period for r in plan.fleet), default=0)
    out: dict[str, list[float]] = defaultdict(lambda: [0.0] * periods)
    for r in plan.fleet:
        out[str(getattr(r, attr))][r.period] += r.replicas * r.chips
    return dict(sorted(out.items(), key=lambda kv: -sum(kv[1])))


def fleet_over_periods(plan: Plan) -> go.Figure:
    """Stacked bars of chips running per period, by vendor (top) and by cloud (bottom)."""
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.1,
                        subplot_titles=("chips running, by vendor", "chips running, by cloud"))
    by_vendor, by_cloud = chips_by_period(plan, "vendor"), chips_by_period(plan, "cloud")
    periods = list(range(len(next(iter(by_vendor.values()), []))))
    for row, groups, prefix, colors in ((1, by_vendor, "vendor", color_map(by_vendor)),
                                        (2, by_cloud, "cloud", color_map(by_cloud, {}))):
        for name, chips in groups.items():
            fig.add_trace(go.Bar(
                x=periods, y=chips, name=esc(name), marker_color=colors[name],
                legendgroup=prefix, legendgrouptitle_text=prefix,
                hovertemplate=f"{esc(name)}<br>period %{{x}}: %{{y}} chips<extra></extra>"),
                row=row, col=1)
    fig.update_layout(barmode="stack", bargap=0.15)
    fig.update_xaxes(title_text="period" + (" (hour of the day)" if len(periods) == 24 else ""),
                     row=2, col=1, dtick=1 if len(periods) <= 24 else None)
    fig.update_yaxes(title_text="chips")
    return styled(fig, height=560, legend={"orientation": "v", "x": 1.02, "y": 1})


def fleet_sunburst(plan: Plan) -> go.Figure:
    """Average chips running, vendor -> cloud -> accelerator."""
    periods = 1 + max((r.period for r in plan.fleet), default=0)
    chips: dict[tuple[str, ...], float] = defaultdict(float)
    for r in plan.fleet:
        avg = r.replicas * r.chips / periods
        for path in ((r.vendor,), (r.vendor, r.cloud), (r.vendor, r.cloud, r.accelerator)):
            chips[path] += avg
    colors = color_map(p[0] for p in chips)
    ids = ["/".join(p) for p in chips]
    fig = go.Figure(go.Sunburst(
        ids=[esc(i) for i in ids], labels=[esc(p[-1]) for p in chips],
        parents=[esc("/".join(p[:-1])) for p in chips], values=list(chips.values()),
        branchvalues="total", marker={"colors": [colors[p[0]] for p in chips]},
        hovertemplate="%{id}<br>%{value:.1f} chips on average<extra></extra>",
        insidetextorientation="radial"))
    return styled(fig, height=420, title="Where the chips come from (average over the day)",
                  margin={"l": 10, "r": 10, "t": 50, "b": 10})


def _spend(plan: Plan) -> tuple[dict[str, float], dict[str, dict[str, float]], dict[str, str]]:
    """($/hour by vendor, offering -> tier -> $/hour, offering -> vendor)."""
    by_vendor: dict[str, float] = defaultdict(float)
    by_offering: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    vendor_of = {}
    for p in plan.purchases:
        by_vendor[p["vendor"]] += p["usd_per_hour_avg"]
        by_offering[p["offering"]][p["tier"]] += p["usd_per_hour_avg"]
        vendor_of[p["offering"]] = p["vendor"]
    return dict(sorted(by_vendor.items(), key=lambda kv: -kv[1])), by_offering, vendor_of


def cost_by_vendor(plan: Plan) -> go.Figure:
    """Spend by vendor, a donut."""
    by_vendor, _, _ = _spend(plan)
    colors = color_map(by_vendor)
    fig = go.Figure(go.Pie(
        labels=[esc(v) for v in by_vendor], values=list(by_vendor.values()), hole=0.55,
        sort=False, marker={"colors": [colors[v] for v in by_vendor]},
        textinfo="label+percent", hovertemplate="%{label}: $%{value:,.2f}/hour<extra></extra>"))
    fig.add_annotation(text=f"{money(plan.cost_usd_per_hour)}<br>per hour", showarrow=False,
                       font={"size": 15})
    return styled(fig, height=340, showlegend=False, title="by vendor",
                  margin={"l": 10, "r": 10, "t": 50, "b": 10})


def cost_by_offering(plan: Plan) -> go.Figure:
    """Spend by offering, stacked by price tier, $/hour."""
    _, by_offering, vendor_of = _spend(plan)
    offerings = sorted(by_offering, key=lambda o: sum(by_offering[o].values()))
    tiers = sorted({t for spend in by_offering.values() for t in spend})
    labels = [esc(f"{o} ({vendor_of[o]})") for o in offerings]
    fig = go.Figure()
    for tier in tiers:
        fig.add_trace(go.Bar(
            y=labels, x=[by_offering[o].get(tier, 0.0) for o in offerings], orientation="h",
            name=esc(tier), marker_color=TIER_COLORS.get(tier, "#999"),
            hovertemplate=f"%{{y}}<br>{esc(tier)}: $%{{x:,.2f}}/hour<extra></extra>"))
    fig.update_layout(barmode="stack")
    fig.update_xaxes(title_text="$/hour, averaged over the periods")
    fig.update_yaxes(automargin=True)
    return styled(fig, height=max(340, 130 + 28 * len(offerings)),
                  title="by offering and price tier")


def vendor_share_chart(plan: Plan) -> go.Figure:
    """Each vendor's share of the chips and of the spend (a policy may cap either)."""
    vendors = list(dict.fromkeys([*plan.vendor_share, *plan.vendor_share_spend]))
    colors = color_map(vendors)
    fig = go.Figure()
    for v in vendors:
        shares = [plan.vendor_share.get(v, 0.0), plan.vendor_share_spend.get(v, 0.0)]
        fig.add_trace(go.Bar(
            x=["chips", "spend"], y=shares, name=esc(v), marker_color=colors[v],
            text=[f"{x:.0%}" for x in shares], textposition="inside",
            hovertemplate=f"{esc(v)}: %{{y:.1%}} of %{{x}}<extra></extra>"))
    fig.update_layout(barmode="stack")
    fig.update_yaxes(tickformat=".0%", range=[0, 1])
    return styled(fig, height=420, title="Vendor share of chips and of spend")


def baselines_chart(plan: Plan) -> go.Figure:
    """The plan's cost against the best single-accelerator fleet and the plan with no policy."""
    names = ["the plan"]
    costs: list[float | None] = [plan.cost_usd_per_hour]
    details = [f"{plan.status}, under the scenario's policy"]
    for key, base in plan.baselines.items():
        names.append(f"{key.replace('_', ' ')}<br>({esc(base.detail)})")
        costs.append(base.cost_usd_per_hour)
        details.append(base.status)
    text = [money(c, "/h") if c is not None else "no fleet" for c in costs]
    fig = go.Figure(go.Bar(
        x=[esc(names[0]), *names[1:]], y=[c or 0.0 for c in costs], text=text,
        textposition="outside", customdata=[esc(d) for d in details],
        marker_color=["#264653"] + ["#8ab17d" if (c or 0) >= (plan.cost_usd_per_hour or 0)
                                    else "#e9c46a" for c in costs[1:]],
        hovertemplate="%{x}: %{text}<br>%{customdata}<extra></extra>"))
    top = max((c for c in costs if c is not None), default=1.0)
    fig.update_yaxes(title_text="$/hour", range=[0, top * 1.18])
    return styled(fig, height=360, showlegend=False)
