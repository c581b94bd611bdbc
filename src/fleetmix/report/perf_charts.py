"""Plotly figures of the performance model at work: latency against load per deployment, and
the errors of its predictions against published measurements."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from fleetmix.analyze.load_curves import LatencyCurve
from fleetmix.report._format import PALETTE, esc
from fleetmix.report.charts import styled

LOG_TICKS = [m * 10.0 ** e for e in range(-3, 4) for m in (1, 2, 5)]


def latency_chart(curves: Sequence[LatencyCurve], planned_fraction: float) -> go.Figure:
    """One workload's deployments: TTFT and TPOT against load (fraction of each replica's
    capacity), SLO targets dashed; hollow markers where the run did not sustain the load."""
    first = curves[0]
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.09, subplot_titles=(
        f"TTFT p{first.ttft_percentile}, s (log scale)", f"TPOT p{first.tpot_percentile}, ms"))
    for i, c in enumerate(curves):
        color = PALETTE[i % len(PALETTE)]
        xs = [p.load_fraction for p in c.points]
        symbols = ["circle" if p.sustained else "circle-open" for p in c.points]
        hover = [f"{p.rate_rps:.3g} req/s, {'sustained' if p.sustained else 'not sustained'}"
                 for p in c.points]
        name = esc(f"{c.deployment} ({c.capacity_rps:.3g} req/s)")
        for col, ys in ((1, [p.ttft_s for p in c.points]),
                        (2, [p.tpot_s * 1e3 for p in c.points])):
            fig.add_trace(go.Scatter(
                x=xs, y=[y if math.isfinite(y) else None for y in ys], mode="lines+markers",
                name=name, legendgroup=name, showlegend=col == 1, line={"color": color},
                marker={"symbol": symbols, "size": 9, "color": color}, customdata=hover,
                hovertemplate=f"{esc(c.deployment)}<br>load %{{x:.0%}}: %{{y:.3g}}<br>"
                              f"%{{customdata}}<extra></extra>"), row=1, col=col)
    for col, target in ((1, first.ttft_target_s), (2, None if first.tpot_target_s is None
                                                     else first.tpot_target_s * 1e3)):
        if target is not None:
            fig.add_hline(y=target, line={"dash": "dash", "color": "#c0392b"}, row=1, col=col)
            # NOTE: an annotation on a log axis takes log10(y); add_hline's would not.
            axis = "" if col == 1 else str(col)
            fig.add_annotation(text="SLO", x=1, xref=f"x{axis} domain", showarrow=False,
                               y=math.log10(target) if col == 1 else target, yref=f"y{axis}",
                               xanchor="right", yanchor="bottom", font={"color": "#c0392b"})
        fig.add_vline(x=1.0, line={"dash": "dot", "color": "#777"}, row=1, col=col)
        fig.add_vline(x=planned_fraction, line={"dash": "dot", "color": "#2a9d8f"}, row=1,
                      col=col)
    fig.update_xaxes(title_text="load (share of capacity)", tickformat=".0%")
    fig.update_yaxes(type="log", tickvals=LOG_TICKS, row=1, col=1)
    fig.update_yaxes(rangemode="tozero", row=1, col=2)
    return styled(fig, height=430, margin={"l": 60, "r": 30, "t": 40, "b": 50},
                  legend={"orientation": "h", "y": -0.2, "yanchor": "top", "x": 0})


@dataclass(frozen=True, kw_only=True)
class ErrorPoint:
    """One validation row: predicted against measured."""

    group: str  # the row of the chart, e.g. the accelerator
    series: str  # the colour, e.g. the metric
    rel_error: float  # (predicted - measured) / measured
    counted: bool  # False: shown, left out of the statistics
    hover: str


def model_error_chart(points: Sequence[ErrorPoint]) -> go.Figure:
    """Relative error of each validation row by group, the ±15% band shaded; hollow markers
    are rows left out of the statistics."""
    groups = sorted({p.group for p in points})
    series = list(dict.fromkeys(p.series for p in points))
    fig = go.Figure()
    fig.add_vrect(x0=-0.15, x1=0.15, fillcolor="#2a9d8f", opacity=0.08, line_width=0)
    fig.add_vline(x=0.0, line={"color": "#999"})
    for i, name in enumerate(series):
        mine = [p for p in points if p.series == name]
        fig.add_trace(go.Scatter(
            x=[p.rel_error for p in mine], y=[esc(p.group) for p in mine], mode="markers",
            name=esc(name), customdata=[esc(p.hover) for p in mine],
            marker={"size": 10, "color": PALETTE[i % len(PALETTE)], "opacity": 0.8,
                    "symbol": ["circle" if p.counted else "circle-open" for p in mine]},
            hovertemplate="%{x:+.1%}<br>%{customdata}<extra></extra>"))
    fig.update_xaxes(title_text="(predicted − measured) / measured", tickformat="+.0%",
                     zeroline=False)
    fig.update_yaxes(automargin=True, categoryorder="array",
                     categoryarray=[esc(g) for g in groups[::-1]])
    return styled(fig, height=max(260, 120 + 30 * len(groups)))
