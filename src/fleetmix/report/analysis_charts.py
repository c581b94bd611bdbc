"""Plotly figures of the analyses: break-even prices, policy costs, the frontier, Monte Carlo.

Each takes an analysis in its `to_dict()` form, already computed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from fleetmix.report._format import color_map, esc, money
from fleetmix.report.charts import styled

STAYS = "no price drops it"
FREE = "not chosen even free"


def _break_even(r: Mapping[str, Any], top: float) -> float | None:
    """Where the break-even price lies: the middle of the bracket between the price proven to
    keep (or win) the business and the price proven to lose it (out of the plan, it is lost
    at list price at the latest); `top` when an offering in the plan was not lost at any price
    tried; None when there is none (kept at any price, or not chosen even free)."""
    low, high = r.get("enter_below_usd_per_chip_hour"), r.get("leave_above_usd_per_chip_hour")
    if r["in_plan"] and high is None:
        return top
    if low is None:
        return None
    if high is None:
        high = r["list_usd_per_chip_hour"]
    return (float(low) + float(high)) / 2


def break_even_chart(offerings: Sequence[Mapping[str, Any]]) -> go.Figure:
    """Per offering: its list price (dot), joined to its break-even price (diamond).

    In the plan, it stays at any price below the diamond and is dropped above it; out of the
    plan, it wins business below the diamond. An arrow: no price tried drops it; a cross at
    zero: not chosen even free. The bracket and the reasons are on hover.
    """
    rows = sorted(offerings, key=lambda r: (r["vendor"], not r["in_plan"], r["offering"]))
    colors = color_map(r["vendor"] for r in rows)
    labels = [esc(f"{r['offering']}{' ●' if r['in_plan'] else ''}") for r in rows]
    top = max([float(r["list_usd_per_chip_hour"]) for r in rows]
              + [float(v) for r in rows for v in (r.get("enter_below_usd_per_chip_hour"),
                                                   r.get("leave_above_usd_per_chip_hour"))
                 if v is not None]) * 1.1
    fig = go.Figure()
    for vendor in dict.fromkeys(r["vendor"] for r in rows):
        mine = [(labels[i], r) for i, r in enumerate(rows) if r["vendor"] == vendor]
        hover = [_offering_hover(r) for _, r in mine]
        ends = [_break_even(r, top) for _, r in mine]
        xs: list[float | None] = []
        ys: list[str | None] = []
        for (label, r), end in zip(mine, ends, strict=True):
            if end is not None:
                xs += [r["list_usd_per_chip_hour"], end, None]
                ys += [label, label, None]
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", showlegend=False, hoverinfo="skip",
                                 line={"color": colors[vendor], "width": 2, "dash": "dot"}))
        fig.add_trace(go.Scatter(
            x=[r["list_usd_per_chip_hour"] for _, r in mine], y=[label for label, _ in mine],
            mode="markers", name=esc(vendor), legendgroup=esc(vendor), customdata=hover,
            marker={"color": colors[vendor], "size": 11, "line": {"color": "white", "width": 1}},
            hovertemplate="list price<br>%{customdata}<extra></extra>"))
        even = [(label, x, h) for (label, r), x, h in zip(mine, ends, hover, strict=True)
                if x is not None and x < top]
        fig.add_trace(go.Scatter(
            x=[x for _, x, _ in even], y=[label for label, _, _ in even], mode="markers",
            name=esc(f"{vendor} break-even"), legendgroup=esc(vendor), showlegend=False,
            customdata=[h for _, _, h in even],
            marker={"color": "white", "size": 12, "symbol": "diamond",
                    "line": {"color": colors[vendor], "width": 2.5}},
            hovertemplate="break-even %{x:$.2f}<br>%{customdata}<extra></extra>"))
    for name, symbol, x, stays in ((STAYS, "triangle-right", top, True),
                                   (FREE, "x", 0.0, False)):
        marked = [(labels[i], r) for i, r in enumerate(rows) if r["in_plan"] == stays and r.get(
            "leave_above_usd_per_chip_hour" if stays else "enter_below_usd_per_chip_hour")
            is None]
        if marked:
            fig.add_trace(go.Scatter(
                x=[x] * len(marked), y=[label for label, _ in marked], mode="markers",
                name=esc(name), marker={"symbol": symbol, "size": 11, "color": "#555"},
                customdata=[esc(r.get("note") or name) for _, r in marked],
                hovertemplate="%{y}: %{customdata}<extra></extra>"))
    fig.update_xaxes(title_text="$/chip-hour (dot: list price; diamond: break-even price)",
                     range=[-0.02 * top, top * 1.03])
    fig.update_yaxes(automargin=True, categoryorder="array", categoryarray=labels[::-1])
    return styled(fig, height=max(300, 110 + 28 * len(rows)))


def _offering_hover(r: Mapping[str, Any]) -> str:
    """Hover text (escaped, lines joined by <br>)."""
    parts = [f"{r['offering']} ({r['vendor']}, {r['accelerator']})",
             f"list {money(r['list_usd_per_chip_hour'])}/chip-hour, "
             f"{'in' if r['in_plan'] else 'not in'} the plan"]
    low, high = r.get("enter_below_usd_per_chip_hour"), r.get("leave_above_usd_per_chip_hour")
    if r["in_plan"]:
        parts.append(f"stays below {money(low)}" if low is not None else "")
        parts.append(f"dropped above {money(high)}" if high is not None else STAYS)
    else:
        parts.append(f"wins business below {money(low)}" if low is not None else FREE)
    if r.get("note"):
        parts.append(str(r["note"]))
    return "<br>".join(esc(p) for p in parts if p)


def vendor_chart(vendors: Sequence[Mapping[str, Any]]) -> go.Figure:
    """Per vendor: the average price the plan pays (list prices), and beside it the price at
    which its business is lost (in the plan) or won (out of it)."""
    colors = color_map(v["vendor"] for v in vendors)
    names = [esc(v["vendor"]) for v in vendors]
    paid = [float(v["list_usd_per_chip_hour"]) for v in vendors]
    threshold = [v.get("walk_away_usd_per_chip_hour") if v["in_plan"]
                 else v.get("enter_below_usd_per_chip_hour") for v in vendors]
    fig = go.Figure()
    fig.add_trace(go.Bar(
        x=names, y=paid, name="price paid (average, list)", text=[money(p) for p in paid],
        textposition="outside", marker_color=[colors[v["vendor"]] for v in vendors],
        hovertemplate="%{x}: %{text}/chip-hour at list prices<extra></extra>"))
    fig.add_trace(go.Bar(
        x=names, y=[t or 0.0 for t in threshold],
        name="walk-away price (in the plan) / wins below (out of it)",
        text=[money(t) if t is not None else ("no price loses it" if v["in_plan"]
                                              else "never chosen")
              for t, v in zip(threshold, vendors, strict=True)], textposition="outside",
        marker={"color": "rgba(255,255,255,0)", "line": {"color": "#333", "width": 2},
                "pattern": {"shape": "/", "fgcolor": "#999"}},
        customdata=[esc(v.get("note") or "") for v in vendors],
        hovertemplate="%{x}: %{text}<br>%{customdata}<extra></extra>"))
    top = max(paid + [float(t) for t in threshold if t is not None])
    fig.update_layout(barmode="group")
    fig.update_yaxes(title_text="$/chip-hour", range=[0, top * 1.25])
    return styled(fig, height=360)


def policy_cost_chart(policy_costs: Sequence[Mapping[str, Any]]) -> go.Figure:
    """What each rule of the policy adds to the plan's cost, $/hour."""
    rules = [p for p in policy_costs if p.get("premium_usd_per_hour") is not None]
    fig = go.Figure(go.Bar(
        y=[esc(p["rule"]) for p in rules], x=[p["premium_usd_per_hour"] for p in rules],
        orientation="h", marker_color="#e76f51",
        text=[money(p["premium_usd_per_hour"], "/h") for p in rules], textposition="auto",
        customdata=[esc(p.get("description", "")) for p in rules],
        hovertemplate="%{y}: %{customdata}<br>adds %{text}<extra></extra>"))
    fig.update_xaxes(title_text="what the rule adds to the plan, $/hour", rangemode="tozero")
    fig.update_yaxes(automargin=True)
    return styled(fig, height=max(220, 110 + 40 * len(rules)), showlegend=False)


def frontier_chart(front: Mapping[str, Any]) -> go.Figure:
    """Cost against the swept parameter (top) and the vendor shares of each plan (bottom)."""
    points = list(front["points"])
    param = str(front["parameter"])
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.6, 0.4],
                        vertical_spacing=0.08,
                        subplot_titles=("plan cost", "vendor share of chips"))
    xs = [p["value"] for p in points]
    ok = [p for p in points if p.get("cost_usd_per_hour") is not None]
    fig.add_trace(go.Scatter(
        x=[p["value"] for p in ok], y=[p["cost_usd_per_hour"] for p in ok],
        mode="lines+markers", name="cost", line={"color": "#264653", "width": 3},
        marker={"size": [16 if p.get("is_scenario_setting") else 8 for p in ok],
                "symbol": ["star" if p.get("is_scenario_setting") else "circle" for p in ok]},
        hovertemplate=f"{esc(param)} %{{x}}: $%{{y:,.2f}}/hour<extra></extra>"), row=1, col=1)
    bad = [p for p in points if p.get("cost_usd_per_hour") is None]
    if bad:
        floor = min((p["cost_usd_per_hour"] for p in ok), default=0.0)
        fig.add_trace(go.Scatter(
            x=[p["value"] for p in bad], y=[floor] * len(bad), mode="markers+text",
            name="no plan", text=[esc(p["status"]) for p in bad], textposition="top center",
            marker={"symbol": "x", "size": 12, "color": "#c0392b"},
            hovertemplate=f"{esc(param)} %{{x}}: %{{text}}<extra></extra>"), row=1, col=1)
    vendors = list(dict.fromkeys(v for p in points for v in p.get("vendor_share", {})))
    colors = color_map(vendors)
    for v in vendors:
        fig.add_trace(go.Bar(
            x=xs, y=[p.get("vendor_share", {}).get(v, 0.0) for p in points], name=esc(v),
            marker_color=colors[v],
            hovertemplate=f"{esc(v)}: %{{y:.0%}}<extra></extra>"), row=2, col=1)
    fig.update_layout(barmode="stack")
    reverse = param in ("max_vendor_share", "power_budget_kw")  # tighter to the right
    fig.update_xaxes(title_text=esc(param.replace("_", " ")), row=2, col=1,
                     autorange="reversed" if reverse else True)
    fig.update_yaxes(title_text="$/hour", row=1, col=1)
    fig.update_yaxes(title_text="share", tickformat=".0%", range=[0, 1], row=2, col=1)
    return styled(fig, height=560)


def montecarlo_histogram(costs: Sequence[float | None], stats: Mapping[str, float] | None,
                         nominal: float | None) -> go.Figure:
    """Distribution of the plan's cost over the runs, with the plan at list prices and the
    5th/50th/95th percentiles as vertical lines (on a hidden 0..1 axis, named in the legend)."""
    values = [float(c) for c in costs if c is not None and math.isfinite(c)]
    fig = go.Figure(go.Histogram(x=values, nbinsx=min(40, max(10, len(values) // 2)),
                                 marker_color="#2a9d8f", name="runs", showlegend=False,
                                 hovertemplate="$%{x}/hour: %{y} runs<extra></extra>"))
    lines = [(f"{q} {money(stats[q])}", stats[q], "#555", "dot")
             for q in ("p5", "p50", "p95") if stats and q in stats]
    if nominal is not None:
        lines.append((f"the plan at list prices {money(nominal)}", nominal, "#e76f51", "solid"))
    for name, x, color, dash in lines:
        fig.add_trace(go.Scatter(x=[x, x], y=[0, 1], yaxis="y2", mode="lines", name=esc(name),
                                 line={"color": color, "dash": dash, "width": 2.5},
                                 hovertemplate=f"{esc(name)}<extra></extra>"))
    fig.update_layout(yaxis2={"overlaying": "y", "range": [0, 1], "visible": False})
    fig.update_xaxes(title_text="plan cost, $/hour (feasible runs)")
    fig.update_yaxes(title_text="runs")
    return styled(fig, height=380)


def choice_frequency_chart(offerings: Sequence[Mapping[str, Any]]) -> go.Figure:
    """How often each offering is in the plan across the feasible runs, by vendor colour."""
    rows = sorted(offerings, key=lambda r: (r["chosen_fraction"], r["offering"]))
    colors = color_map(r["vendor"] for r in rows[::-1])
    fig = go.Figure()
    for vendor in dict.fromkeys(r["vendor"] for r in rows[::-1]):
        mine = [r for r in rows if r["vendor"] == vendor]
        fig.add_trace(go.Bar(
            y=[esc(r["offering"]) for r in mine], x=[r["chosen_fraction"] for r in mine],
            orientation="h", name=esc(vendor), marker_color=colors[vendor],
            text=[f"{r['chosen_fraction']:.0%}" for r in mine], textposition="auto",
            customdata=[esc(f"{r['accelerator']}; {r['mean_chip_share']:.0%} of chips on "
                            f"average, {r['nominal_chips']:.1f} chips in the plan at list "
                            f"prices") for r in mine],
            hovertemplate="%{y}: in %{x:.0%} of the runs<br>%{customdata}<extra></extra>"))
    fig.update_xaxes(title_text="share of the feasible runs whose plan buys it",
                     tickformat=".0%", range=[0, 1.02])
    fig.update_yaxes(automargin=True, categoryorder="array",
                     categoryarray=[esc(r["offering"]) for r in rows])
    return styled(fig, height=max(260, 110 + 26 * len(rows)))


def drivers_chart(drivers: Sequence[Mapping[str, Any]]) -> go.Figure:
    """Rank correlation of the cost with each draw, strongest at the top; pale bars are within
    what chance gives."""
    rows = list(drivers)[::-1]
    fig = go.Figure(go.Bar(
        y=[esc(d["draw"]) for d in rows], x=[d["spearman"] for d in rows], orientation="h",
        marker={"color": ["#e76f51" if d["spearman"] > 0 else "#457b9d" for d in rows],
                "opacity": [1.0 if d["significant"] else 0.35 for d in rows]},
        customdata=["beyond chance" if d["significant"] else "within chance" for d in rows],
        hovertemplate="%{y}: ρ = %{x:+.2f} (%{customdata})<extra></extra>"))
    fig.update_xaxes(title_text="Spearman ρ of the plan's cost with the draw", range=[-1, 1],
                     zeroline=True)
    fig.update_yaxes(automargin=True)
    return styled(fig, height=max(220, 100 + 24 * len(rows)), showlegend=False)
