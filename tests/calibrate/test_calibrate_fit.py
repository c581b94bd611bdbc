"""Fits from microbenchmark rows to model rates (no torch needed)."""

from __future__ import annotations

import math

import pytest

from fleetmix.calibrate.fit import (
    attention_work,
    derive,
    fit_allreduce,
    fit_roofline,
    geometric_mean_rate,
    matmul_work,
)
from fleetmix.perf.profile import AllReduceRow, AttentionRow, MatmulRow, Measured, MemoryRow


def _gemm_rows(f_rate: float, b_rate: float, precision: str = "bf16") -> list[MatmulRow]:
    rows = []
    for m in (1, 4, 16, 64, 256, 1024):
        probe = MatmulRow(precision=precision, op="qkv", m=m, k=2048, n=3072, time_s=1.0)
        flops, moved = matmul_work(probe)
        rows.append(probe.model_copy(update={"time_s": max(flops / f_rate, moved / b_rate)}))
    return rows


def test_matmul_work_by_hand() -> None:
    row = MatmulRow(precision="bf16", op="o", m=2, k=3, n=5, time_s=1.0)
    assert matmul_work(row) == (2 * 2 * 3 * 5, (3 * 5 + 2 * 3 + 2 * 5) * 2.0)
    fp8 = row.model_copy(update={"precision": "fp8"})
    assert matmul_work(fp8)[1] == 3 * 5 + 2 * 3 + 2 * 5 * 2.0  # fp8 in, bf16 out


def test_roofline_fit_recovers_both_ceilings() -> None:
    rows = _gemm_rows(20e9, 10e9)
    work = [matmul_work(r) for r in rows]
    f_rate, b_rate = fit_roofline([w[0] for w in work], [w[1] for w in work],
                                  [r.time_s for r in rows])
    # grid of 96 points over a 4x-wider range than the data: within a few percent
    assert f_rate == pytest.approx(20e9, rel=0.05)
    assert b_rate == pytest.approx(10e9, rel=0.05)


def test_attention_work_by_hand() -> None:
    prefill = AttentionRow(phase="prefill", batch=2, context_tokens=3, heads=4, kv_heads=2,
                           head_dim=8, time_s=1.0)
    assert attention_work(prefill) == 4 * 4 * 8 * 2 * (3 * 4 / 2)  # 6 causal pairs per seq
    decode = prefill.model_copy(update={"phase": "decode"})
    assert attention_work(decode) == 2 * 3 * 2 * 2 * 8 * 2.0  # K and V, bf16


def test_geometric_mean_rate_balances_misses() -> None:
    assert geometric_mean_rate([1.0, 1.0], [1.0, 0.25]) == pytest.approx(2.0)


def test_allreduce_fit_recovers_latency_and_link() -> None:
    latency_s, link = 10e-6, 100e9
    devices = 4
    rows = [AllReduceRow(bytes=b, time_s=2 * math.log2(devices) * latency_s
                         + 2 * (devices - 1) / devices * b / link)
            for b in (1 << 16, 1 << 20, 1 << 24)]
    fit_latency_s, fit_link = fit_allreduce(rows, devices)
    assert fit_latency_s == pytest.approx(latency_s, rel=1e-6)
    assert fit_link == pytest.approx(link, rel=1e-6)
    with pytest.raises(ValueError, match="needs >= 2 devices"):
        fit_allreduce(rows, 1)


def test_derive_needs_bf16_and_both_attention_phases() -> None:
    attention = [AttentionRow(phase=p, batch=1, context_tokens=64, heads=4, kv_heads=2,  # type: ignore[arg-type]
                              head_dim=16, time_s=1e-3) for p in ("prefill", "decode")]
    memory = [MemoryRow(op="copy", bytes=1 << 20, time_s=1e-4)]
    derived = derive(Measured(matmul=_gemm_rows(20e9, 10e9) + _gemm_rows(80e9, 20e9, "fp32"),
                              attention=attention, memory=memory, dispatch_s=1e-6), 1)
    assert set(derived.matmul_flops_per_s) == {"bf16", "fp32"}
    assert derived.weight_bytes_per_s == pytest.approx(10e9, rel=0.05)  # bf16's, not fp32's
    assert derived.copy_bytes_per_s == pytest.approx(2 * (1 << 20) / 1e-4)
    assert derived.allreduce_link_bytes_per_s is None
    with pytest.raises(ValueError, match="no bf16 GEMM"):
        derive(Measured(matmul=_gemm_rows(80e9, 20e9, "fp32"), attention=attention,
                        memory=memory, dispatch_s=1e-6), 1)
    with pytest.raises(ValueError, match="prefill and decode"):
        derive(Measured(matmul=_gemm_rows(20e9, 10e9), attention=attention[:1],
                        memory=memory, dispatch_s=1e-6), 1)
