"""Formatting shared by the HTML report's tables and charts: escaping, money, colours."""

from __future__ import annotations

import html
import math
from collections.abc import Iterable

# Brand-like colours so that a vendor looks the same in every chart; others cycle PALETTE.
VENDOR_COLORS = {"nvidia": "#76b900", "amd": "#d6212e", "google": "#4285f4", "aws": "#ff9900",
                 "microsoft": "#7f5ccf", "intel": "#0071c5"}
PALETTE = ("#17becf", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#1f77b4", "#9467bd",
           "#2ca02c", "#ff7f0e", "#d62728")
TIER_COLORS = {"on_demand": "#5b8def", "spot": "#a0c4ff", "reserved_1y": "#f4a259",
               "reserved_3y": "#e76f51", "quoted": "#8e7dbe"}


def esc(text: object) -> str:
    """Text for HTML (and for Plotly labels, which read a subset of HTML)."""
    return html.escape(str(text), quote=True)


def money(value: float | None, per: str = "") -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    text = f"${value:,.0f}" if abs(value) >= 100 else f"${value:,.2f}"
    return text + per


def pct(value: float | None, digits: int = 0) -> str:
    return "—" if value is None else f"{value:.{digits}%}"


def color_map(names: Iterable[str], known: dict[str, str] | None = None) -> dict[str, str]:
    """A colour per name: the known one, else the next of PALETTE (in first-seen order)."""
    known = VENDOR_COLORS if known is None else known
    out: dict[str, str] = {}
    spare = iter(PALETTE * 8)
    for name in names:
        if name not in out:
            out[name] = known.get(name) or next(spare)
    return out
