"""Shared by the perf tests: H100 figures and an efficiency of ideal hardware."""

from __future__ import annotations

from typing import Any

from fleetmix.perf import Efficiency

H100_BF16_FLOPS = 989e12  # dense bf16 peak, FLOP/s
H100_HBM_BYTES_PER_S = 3.35e12
H100_NVLINK_UNI_BYTES_PER_S = 450e9  # 900 GB/s bidirectional NVLink4, one direction


def ideal(**overrides: Any) -> Efficiency:
    """Every kernel at peak, no host or server overhead, no collective latency."""
    fields: dict[str, Any] = {
        "matmul_eff": 1.0, "attn_eff": 1.0, "mem_eff": 1.0, "comm_eff": 1.0,
        "step_overhead_s": 0.0, "seq_overhead_s": 0.0, "collective_latency_s": 0.0,
        "request_overhead_s": 0.0, "fitted": False, "source": "test: ideal hardware",
    }
    return Efficiency(**(fields | overrides))
