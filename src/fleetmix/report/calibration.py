"""Rich tables of `fleetmix calibrate` and `fleetmix measure`. Rendering only."""

from __future__ import annotations

from collections.abc import Mapping

from rich.table import Table

from fleetmix.calibrate.prediction import MeasureResult
from fleetmix.perf.engines import Efficiency
from fleetmix.perf.profile import AcceleratorProfile


def _ms(value_s: float | None) -> str:
    return "-" if value_s is None else f"{value_s * 1e3:,.2f}"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:+.1%}"


def profile_table(profile: AcceleratorProfile, efficiencies: Mapping[str, Efficiency]) -> Table:
    """The fitted rates of a profile, and the efficiencies they give (per precision)."""
    doc, d = profile.doc, profile.doc.derived
    table = Table(title=f"Profile of {doc.device.name} ({doc.device.type}, torch "
                        f"{doc.software.torch}); catalog match: {doc.accelerator or 'none'}")
    table.add_column("rate")
    table.add_column("measured", justify="right")
    for precision, rate in d.matmul_flops_per_s.items():
        table.add_row(f"{precision} GEMM compute", f"{rate / 1e12:,.3f} TFLOP/s")
    table.add_row("bf16 GEMM weight streaming", f"{d.weight_bytes_per_s / 1e9:,.1f} GB/s")
    table.add_row("memory copy (read + write)", f"{d.copy_bytes_per_s / 1e9:,.1f} GB/s")
    table.add_row("prefill attention (bf16)", f"{d.attention_flops_per_s / 1e12:,.3f} TFLOP/s")
    table.add_row("decode attention KV reads", f"{d.kv_read_bytes_per_s / 1e9:,.1f} GB/s")
    if d.allreduce_link_bytes_per_s is not None:
        table.add_row("all-reduce link (one way)", f"{d.allreduce_link_bytes_per_s / 1e9:,.1f}"
                      " GB/s")
    table.add_row("kernel dispatch", f"{doc.measured.dispatch_s * 1e6:,.1f} us")
    for precision, eff in efficiencies.items():
        table.add_row(f"efficiency at {precision}",
                      f"matmul {eff.matmul_eff:.2f}, attn {eff.attn_eff:.2f}, mem "
                      f"{eff.mem_eff:.2f}, kv {eff.kv_read_eff:.2f}")
    return table


def measure_table(result: MeasureResult) -> Table:
    """Measured step times against each predictor's, with the error."""
    labels = list(result.predictors)
    table = Table(title=f"{result.arch}: {result.layers} of {result.full_layers} layers, "
                        f"bf16, on {result.device}")
    for col in ("phase", "batch", "context", "measured ms"):
        table.add_column(col, justify="left" if col == "phase" else "right")
    for label in labels:
        table.add_column(f"{label} ms", justify="right")
        table.add_column(f"{label} err", justify="right")
    table.add_column(f"measured x{result.full_layers}L ms", justify="right")
    for row in result.rows:
        cells = [row.phase, str(row.batch), str(row.context_tokens), _ms(row.measured_s)]
        for label in labels:
            cells += [_ms(row.predicted_s.get(label)), _pct(row.error(label))]
        table.add_row(*cells, _ms(row.measured_full_s))
    medians = []
    for label in labels:
        parts = [f"{phase} {m:.1%}" for phase in ("prefill", "decode")
                 if (m := result.median_abs_error(label, phase)) is not None]
        medians.append(f"{label}: {', '.join(parts)}")
    table.caption = ("median |error| " + "; ".join(medians) + ". " if medians
                     else "no prediction (no catalog match, no --profile). ") + " ".join(
        result.notes)
    return table
