"""A profile document with realistic figures, built without torch (the shape `calibrate` writes)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from fleetmix.perf.profile import (
    AttentionRow,
    Derived,
    DeviceInfo,
    MatmulRow,
    Measured,
    MemoryRow,
    ProfileDoc,
    SoftwareInfo,
    save_profile,
)


def make_profile_doc(*, device_name: str = "NVIDIA H100 80GB HBM3", device_type: str = "cuda",
                     vendor: str | None = "nvidia", accelerator: str | None = "h100-sxm",
                     **derived: Any) -> ProfileDoc:
    """An H100-like profile: 600 TFLOP/s bf16 GEMMs, 2.8 TB/s weight streaming."""
    rates: dict[str, Any] = {
        "matmul_flops_per_s": {"bf16": 600e12, "fp8": 1100e12},
        "weight_bytes_per_s": 2.8e12, "attention_flops_per_s": 400e12,
        "kv_read_bytes_per_s": 2.0e12, "copy_bytes_per_s": 3.0e12,
    }
    return ProfileDoc(
        fleetmix_profile=1,
        device=DeviceInfo(name=device_name, type=device_type, count=1,  # type: ignore[arg-type]
                          vendor=vendor, memory_bytes=80e9),
        software=SoftwareInfo(torch="2.13.0", python="3.11.7"),
        measured_at=dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC),
        command="fleetmix calibrate --out test.yaml", accelerator=accelerator,
        measured=Measured(
            matmul=[MatmulRow(precision="bf16", op="qkv", m=4096, k=4096, n=6144, time_s=3.4e-4)],
            attention=[AttentionRow(phase="prefill", batch=1, context_tokens=2048, heads=32,
                                    kv_heads=8, head_dim=128, time_s=2e-4)],
            memory=[MemoryRow(op="copy", bytes=1 << 30, time_s=7e-4)], dispatch_s=5e-6),
        derived=Derived(**(rates | derived)),
    )


def cpu_profile_doc() -> ProfileDoc:
    """A CPU the catalog lacks: 20 GFLOP/s bf16, 10 GB/s."""
    return make_profile_doc(
        device_name="AMD EPYC (2 threads)", device_type="cpu", vendor="amd", accelerator=None,
        matmul_flops_per_s={"bf16": 20e9, "fp32": 100e9}, weight_bytes_per_s=10e9,
        attention_flops_per_s=25e9, kv_read_bytes_per_s=0.5e9, copy_bytes_per_s=15e9)


def write_profile(doc: ProfileDoc, path: Path) -> Path:
    save_profile(doc, path)
    return path
