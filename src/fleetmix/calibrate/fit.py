"""From microbenchmark rows to the rates the performance model uses (no torch).

Each rate is a least-squares fit in log space, so a 2x miss counts the same either way:

- weight GEMMs: the roofline `t = max(flops / F, bytes / B)`, fitted over every shape of one
  precision (a grid search over F and B; decode shapes pin B, prefill shapes pin F);
- attention: one rate per phase, `t = work / R`, whose fit is the geometric mean of the rates
  measured (prefill: FLOP/s over context lengths; decode: KV bytes/s over batches and contexts);
- all-reduce: `t = a + b · bytes`, a linear fit; `a` spread over the 2·log2(n) steps of a
  recursive-doubling all-reduce is the per-step latency, and the ring's 2(n-1)/n of the message
  over `1/b` is the link bandwidth, as `perf.steptime` charges them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from fleetmix.perf.profile import AllReduceRow, AttentionRow, Derived, MatmulRow, Measured

ELEMENT_BYTES = {"fp32": 4.0, "bf16": 2.0, "fp16": 2.0, "fp8": 1.0}
"""Bytes per element of each precision the microbenchmarks run."""

_GRID = 96  # points per axis of the roofline grid search


def matmul_work(row: MatmulRow) -> tuple[float, float]:
    """(FLOPs, bytes) of one GEMM: weights at the row's precision, activations in and out
    (fp8 GEMMs take fp8 inputs and write bf16)."""
    wb = ELEMENT_BYTES[row.precision]
    out_bytes = 2.0 if row.precision == "fp8" else wb
    flops = 2.0 * row.m * row.k * row.n
    moved = row.k * row.n * wb + row.m * row.k * wb + row.m * row.n * out_bytes
    return flops, moved


def attention_work(row: AttentionRow) -> float:
    """Prefill: FLOPs of causal attention (4·heads·head_dim per pair, C(C+1)/2 pairs per
    sequence). Decode: KV-cache bytes read (bf16 K and V of every context token)."""
    if row.phase == "prefill":
        pairs = row.batch * row.context_tokens * (row.context_tokens + 1) / 2.0
        return 4.0 * row.heads * row.head_dim * pairs
    return row.batch * row.context_tokens * row.kv_heads * 2.0 * row.head_dim * 2.0


def fit_roofline(flops: Sequence[float], bytes_: Sequence[float], times_s: Sequence[float]
                 ) -> tuple[float, float]:
    """(FLOP/s, bytes/s) minimizing the squared log error of max(flops/F, bytes/B) against
    the measured times."""
    f = np.asarray(flops, dtype=np.float64)
    b = np.asarray(bytes_, dtype=np.float64)
    t = np.asarray(times_s, dtype=np.float64)
    if not (len(f) == len(b) == len(t) >= 1) or np.any(t <= 0):
        raise ValueError("fit_roofline needs one positive time per (flops, bytes) row")
    f_rates, b_rates = f / t, b / t
    grid_f = np.geomspace(f_rates.min() / 2.0, f_rates.max() * 2.0, _GRID)
    grid_b = np.geomspace(b_rates.min() / 2.0, b_rates.max() * 2.0, _GRID)
    # (F, B, row) predicted times
    pred = np.maximum(f[None, None, :] / grid_f[:, None, None],
                      b[None, None, :] / grid_b[None, :, None])
    loss = ((np.log(pred) - np.log(t)[None, None, :]) ** 2).sum(axis=2)
    i, j = np.unravel_index(int(np.argmin(loss)), loss.shape)
    return float(grid_f[i]), float(grid_b[j])


def geometric_mean_rate(work: Sequence[float], times_s: Sequence[float]) -> float:
    """The rate R minimizing the squared log error of work / R against the times."""
    logs = [math.log(w / t) for w, t in zip(work, times_s, strict=True)]
    return math.exp(sum(logs) / len(logs))


def fit_allreduce(rows: Sequence[AllReduceRow], devices: int) -> tuple[float, float]:
    """(latency per collective step in s, link bytes/s per direction) from all-reduce times."""
    if devices < 2 or len(rows) < 2:
        raise ValueError(f"an all-reduce fit needs >= 2 devices ({devices}) and >= 2 sizes "
                         f"({len(rows)})")
    x = np.array([r.bytes for r in rows], dtype=np.float64)
    t = np.array([r.time_s for r in rows], dtype=np.float64)
    slope, intercept = np.polyfit(x, t, 1)
    slope = max(float(slope), 1e-18)
    steps = 2.0 * math.log2(devices)
    ring = 2.0 * (devices - 1) / devices
    return max(float(intercept), 0.0) / steps, ring / slope


def derive(measured: Measured, devices: int) -> Derived:
    """Fit the model's rates to the measurements of one device."""
    matmul_rates: dict[str, float] = {}
    weight_bytes_per_s = None
    for precision in sorted({r.precision for r in measured.matmul}):
        rows = [r for r in measured.matmul if r.precision == precision]
        work = [matmul_work(r) for r in rows]
        f_rate, b_rate = fit_roofline([w[0] for w in work], [w[1] for w in work],
                                      [r.time_s for r in rows])
        matmul_rates[precision] = f_rate
        if precision == "bf16":
            weight_bytes_per_s = b_rate
    if weight_bytes_per_s is None:
        raise ValueError("no bf16 GEMM was measured; the model's weights stream in bf16")
    prefill = [r for r in measured.attention if r.phase == "prefill"]
    decode = [r for r in measured.attention if r.phase == "decode"]
    if not prefill or not decode:
        raise ValueError("attention needs prefill and decode rows")
    latency_s = link = None
    if measured.allreduce and devices > 1:
        latency_s, link = fit_allreduce(measured.allreduce, devices)
    return Derived(
        matmul_flops_per_s=matmul_rates,
        weight_bytes_per_s=weight_bytes_per_s,
        attention_flops_per_s=geometric_mean_rate([attention_work(r) for r in prefill],
                                                  [r.time_s for r in prefill]),
        kv_read_bytes_per_s=geometric_mean_rate([attention_work(r) for r in decode],
                                                [r.time_s for r in decode]),
        copy_bytes_per_s=max(2.0 * r.bytes / r.time_s for r in measured.memory),
        allreduce_link_bytes_per_s=link, collective_latency_s=latency_s,
    )
