"""HTML tables of the report: what to buy, what runs at peak, verification, break-even prices,
validation of the performance model. Every cell is escaped here."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from fleetmix.perf.validate import ValidationSummary
from fleetmix.plan.result import Plan
from fleetmix.report._format import esc, money, pct
from fleetmix.sim.validate import ServingSummary

Cell = str | tuple[str, str]  # text, or (text, css class)


def table(headers: Sequence[str], rows: Sequence[Sequence[Cell]], *,
          numeric: Sequence[str] = (), wrap: Sequence[str] = (), caption: str = "") -> str:
    """An escaped HTML table; columns named in `numeric` are right-aligned, those in `wrap`
    (free text) wrap, the others keep to one line."""
    right = {i for i, h in enumerate(headers) if h in numeric}
    wrapping = {i for i, h in enumerate(headers) if h in wrap}
    head = "".join(f"<th{_class('num' if i in right else '')}>{esc(h)}</th>"
                   for i, h in enumerate(headers))
    body = []
    for row in rows:
        cells = []
        for i, cell in enumerate(row):
            text, cls = (cell, "") if isinstance(cell, str) else cell
            classes = " ".join(c for c in (cls, "num" if i in right else "",
                                           "wrap" if i in wrapping else "") if c)
            cells.append(f"<td{_class(classes)}>{esc(text)}</td>")
        body.append(f"<tr>{''.join(cells)}</tr>")
    cap = f"<caption>{esc(caption)}</caption>" if caption else ""
    return (f'<div class="table-wrap"><table>{cap}<thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(body)}</tbody></table></div>")


def _class(classes: str) -> str:
    return f' class="{esc(classes)}"' if classes else ""


def purchases_table(plan: Plan) -> str:
    rows: list[list[Cell]] = []
    for p in sorted(plan.purchases, key=lambda p: -p["usd_per_hour_avg"]):
        counts = p["instances_by_period"]
        span = f"{min(counts)}–{max(counts)}" if min(counts) != max(counts) else str(counts[0])
        rows.append([p["offering"], p["vendor"], p["accelerator"],
                     p["tier"] + (" (all day)" if p["committed"] else ""), span,
                     str(p["chips_peak"]), f"{p['price_usd_per_chip_hour']:.2f}",
                     money(p["usd_per_hour_avg"])])
    return table(("offering", "vendor", "accelerator", "tier", "instances", "peak chips",
                  "$/chip-hour", "$/hour (avg)"), rows,
                 numeric=("instances", "peak chips", "$/chip-hour", "$/hour (avg)"))


def peak_fleet_table(plan: Plan) -> str:
    """Replicas serving each workload in its verified (else busiest) period."""
    peak = {v.workload: v.period for v in plan.verification}
    load: dict[tuple[str, int], float] = defaultdict(float)
    for r in plan.fleet:
        load[(r.workload, r.period)] += r.replicas * r.capacity_rps
    for w in {r.workload for r in plan.fleet} - set(peak):
        peak[w] = max((p for (name, p) in load if name == w), key=lambda p: load[(w, p)])
    rows: list[list[Cell]] = []
    chosen = [r for r in plan.fleet if r.period == peak.get(r.workload)]
    for r in sorted(chosen, key=lambda r: (r.workload, -r.replicas * r.capacity_rps)):
        total = load[(r.workload, r.period)]
        rows.append([r.workload, str(r.period), r.accelerator, r.offering, r.tier,
                     str(r.replicas), f"{r.chips} × tp{r.tp}" + (f" pp{r.pp}" if r.pp > 1 else "")
                     + (f" ep{r.ep}" if r.ep > 1 else ""), r.precision, r.engine or "—",
                     f"{r.capacity_rps:.2f}",
                     pct(r.replicas * r.capacity_rps / total if total else None)])
    return table(("workload", "period", "accelerator", "offering", "tier", "replicas",
                  "chips × layout", "precision", "engine", "req/s each", "share"), rows,
                 numeric=("period", "replicas", "req/s each", "share"))


def verification_table(plan: Plan) -> str:
    rows: list[list[Cell]] = []
    for v in plan.verification:
        met: Cell = "—" if v.slo_met is None else (("yes", "good") if v.slo_met
                                                   else ("NO", "bad"))
        rows.append([v.workload, str(v.period), f"{v.rate_rps:.3g}", str(v.replicas), v.slo,
                     met, "—" if v.ttft_p99_s is None else f"{v.ttft_p99_s:.2f}",
                     "—" if v.tpot_p99_s is None else f"{v.tpot_p99_s * 1e3:.0f}", v.note])
    return table(("workload", "period", "req/s", "replicas", "SLO", "met", "TTFT p99 s",
                  "TPOT p99 ms", "note"), rows,
                 numeric=("period", "req/s", "replicas", "TTFT p99 s", "TPOT p99 ms"),
                 wrap=("note",))


def leverage_table(offerings: Sequence[Mapping[str, Any]]) -> str:
    rows: list[list[Cell]] = []
    for r in sorted(offerings, key=lambda r: (not r["in_plan"], r["vendor"], r["offering"])):
        rows.append([r["offering"], r["vendor"], ("yes", "good") if r["in_plan"] else "no",
                     money(r["list_usd_per_chip_hour"]),
                     money(r.get("enter_below_usd_per_chip_hour")),
                     money(r.get("leave_above_usd_per_chip_hour")), str(r.get("note") or "")])
    return table(("offering", "vendor", "in plan", "list $/chip-h", "in below", "out above",
                  "note"), rows, numeric=("list $/chip-h", "in below", "out above"),
                 wrap=("note",))


def policy_cost_table(policy_costs: Sequence[Mapping[str, Any]]) -> str:
    rows: list[list[Cell]] = [
        [p["rule"], str(p.get("description", "")), money(p.get("cost_usd_per_hour"), "/h"),
         money(p.get("premium_usd_per_hour"), "/h")] for p in policy_costs]
    return table(("rule", "what it says", "plan without it", "the rule costs"), rows,
                 numeric=("plan without it", "the rule costs"), wrap=("what it says",))


def _error_cell(err: float | None, excluded: bool) -> Cell:
    if err is None:
        return ("—", "muted")
    if excluded:
        return (f"{err:+.1%} (excl.)", "muted")
    return (f"{err:+.1%}", "good" if abs(err) <= 0.15 else "warn" if abs(err) <= 0.3 else "bad")


def _reasons(reasons: Iterable[str]) -> str:
    """' Excluded: N rows: why; ...' for the non-empty reasons, in first-seen order."""
    counts = Counter(r for r in reasons if r)
    return "".join(f" Excluded, {n} rows: {why}." for why, n in counts.items())


def validation_table(summary: ValidationSummary) -> str:
    """The estimator against published measurements (what `fleetmix validate` prints)."""
    rows: list[list[Cell]] = []
    for row in summary.rows:
        m = row.measurement
        rows.append([m.arch, m.accelerator, str(m.chips), m.precision, m.engine,
                     f"{m.isl}/{m.osl}", "max" if m.concurrency is None else str(m.concurrency),
                     m.metric, f"{m.value:,.1f}",
                     f"error: {row.error}" if row.predicted is None else f"{row.predicted:,.1f}",
                     _error_cell(row.rel_error, bool(m.exclude_reason)),
                     m.source.split(" (")[0]])
    caption = (f"{summary.included_count} rows counted: median |error| "
               f"{summary.median_abs_error:.1%} (throughput rows "
               f"{summary.median_abs_error_throughput:.1%}), max {summary.max_abs_error:.1%}."
               + _reasons(r.measurement.exclude_reason for r in summary.rows))
    return table(("arch", "accelerator", "chips", "prec", "engine", "ISL/OSL", "conc",
                  "metric", "measured", "predicted", "error", "source"), rows,
                 numeric=("chips", "conc", "measured", "predicted", "error"), caption=caption)


def serving_validation_table(summary: ServingSummary) -> str:
    """Simulated serving latency against published benchmarks (`fleetmix validate
    --serving`)."""
    rows: list[list[Cell]] = []
    for row in summary.rows:
        m = row.measurement
        rows.append([m.arch, m.accelerator, str(m.chips), m.precision, m.engine,
                     "—" if m.isl is None else f"{m.isl}/{m.osl}",
                     str(m.concurrency) if m.concurrency else f"{m.request_rate} req/s",
                     f"{m.metric} {m.statistic}", f"{m.value_ms:,.1f}",
                     "—" if row.predicted_ms is None else f"{row.predicted_ms:,.1f}",
                     ("excluded", "muted") if row.excluded else
                     _error_cell(row.rel_error, False),
                     m.source.split("/")[2] if m.source.startswith("http")
                     else m.source.split("@")[0]])
    counted = sum(not r.excluded for r in summary.rows)
    caption = (f"{counted} rows counted: median |error| TTFT "
               f"{summary.median_abs_error('ttft'):.1%}, TPOT "
               f"{summary.median_abs_error('tpot'):.1%}."
               + _reasons(r.excluded for r in summary.rows))
    return table(("arch", "accelerator", "chips", "prec", "engine", "ISL/OSL", "load",
                  "metric", "measured ms", "simulated ms", "error", "source"), rows,
                 numeric=("chips", "load", "measured ms", "simulated ms", "error"),
                 caption=caption)
