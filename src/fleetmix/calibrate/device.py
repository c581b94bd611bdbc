"""The local PyTorch device: what it is, how to wait for it, how to time a kernel on it."""

from __future__ import annotations

import os
import platform
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import torch
import torch.nn.functional as F

from fleetmix.errors import InputError
from fleetmix.perf.profile import DeviceInfo, SoftwareInfo

DeviceType = Literal["cuda", "rocm", "xpu", "cpu"]

DTYPES: dict[str, torch.dtype] = {
    "fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16,
}

_SAMPLE_MIN_S = 2e-3  # a timed sample of a fast kernel loops it at least this long


@dataclass(frozen=True)
class Device:
    """One local device (index 0 of its kind) and how many of its kind are present."""

    torch_device: torch.device
    type: DeviceType
    name: str
    count: int
    vendor: str | None  # catalog vendor, None when not detected
    memory_bytes: float

    def sync(self) -> None:
        """Wait for queued kernels (no-op on the CPU, where kernels are synchronous)."""
        if self.type in ("cuda", "rocm"):
            torch.cuda.synchronize(self.torch_device)
        elif self.type == "xpu":
            torch.xpu.synchronize(self.torch_device)

    def info(self) -> DeviceInfo:
        threads = torch.get_num_threads() if self.type == "cpu" else None
        return DeviceInfo(name=self.name, type=self.type, count=self.count, vendor=self.vendor,
                          memory_bytes=self.memory_bytes, threads=threads)


def _cpu_field(key: str) -> str | None:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith(key):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def _cpu_device() -> Device:
    vendor = {"GenuineIntel": "intel", "AuthenticAMD": "amd"}.get(_cpu_field("vendor_id") or "")
    name = _cpu_field("model name") or platform.processor() or platform.machine()
    try:
        memory = float(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        memory = 1.0
    return Device(torch.device("cpu"), "cpu", f"{name} ({torch.get_num_threads()} threads)", 1,
                  vendor, memory)


def detect_device(kind: str | None = None) -> Device:
    """The first accelerator torch sees (CUDA/ROCm, then XPU), else the CPU; `kind` forces
    one ("cuda", "xpu" or "cpu")."""
    if kind not in (None, "cuda", "xpu", "cpu"):
        raise InputError(f"--device {kind!r}: expected cuda, xpu or cpu")
    if kind in (None, "cuda") and torch.cuda.is_available():
        props = torch.cuda.get_device_properties(0)
        rocm = torch.version.hip is not None
        return Device(torch.device("cuda", 0), "rocm" if rocm else "cuda",
                      torch.cuda.get_device_name(0), torch.cuda.device_count(),
                      "amd" if rocm else "nvidia", float(props.total_memory))
    xpu: Any = getattr(torch, "xpu", None)
    if kind in (None, "xpu") and xpu is not None and xpu.is_available():
        props = xpu.get_device_properties(0)
        return Device(torch.device("xpu", 0), "xpu", str(xpu.get_device_name(0)),
                      int(xpu.device_count()), "intel", float(props.total_memory))
    if kind not in (None, "cpu"):
        raise InputError(f"--device {kind}: no {kind} device is available to torch")
    return _cpu_device()


def software_info() -> SoftwareInfo:
    driver = None
    nvidia = Path("/proc/driver/nvidia/version")
    if nvidia.is_file():
        first = nvidia.read_text().splitlines()[:1]
        driver = first[0].strip() if first else None
    return SoftwareInfo(torch=torch.__version__, python=platform.python_version(),
                        cuda=torch.version.cuda, hip=torch.version.hip, driver=driver)


def median_time_s(fn: Callable[[], object], device: Device, *, warmup: int = 1,
                  repeats: int = 5) -> float:
    """Median seconds of one call of `fn`: `warmup` calls first, then `repeats` samples, each
    synchronized. A call shorter than a couple of ms is looped inside a sample; a call longer
    than a second gets at most 3 samples."""
    for _ in range(max(warmup, 1)):
        fn()
    device.sync()
    start = time.perf_counter()
    fn()
    device.sync()
    once_s = time.perf_counter() - start
    if once_s >= _SAMPLE_MIN_S:
        inner, samples = 1, [once_s]
    else:
        inner, samples = min(1000, int(_SAMPLE_MIN_S / max(once_s, 1e-7))), []
    wanted = min(repeats, 3) if once_s > 1.0 else max(repeats, 1)
    while len(samples) < wanted:
        start = time.perf_counter()
        for _ in range(inner):
            fn()
        device.sync()
        samples.append((time.perf_counter() - start) / inner)
    return statistics.median(samples)


def attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, *, causal: bool,
              mask: torch.Tensor | None = None) -> torch.Tensor:
    """scaled_dot_product_attention with grouped KV heads: q (B, H, S, D), k/v (B, KVH, C, D).

    The decoder and the microbenchmark both call this, so they run the same kernel.
    """
    groups = q.shape[1] // k.shape[1]
    if groups > 1 and _HAS_ENABLE_GQA:
        return F.scaled_dot_product_attention(q, k, v, attn_mask=mask,
                                              is_causal=causal and mask is None,
                                              enable_gqa=True)
    if groups > 1:  # torch < 2.5: expand the KV heads
        k, v = k.repeat_interleave(groups, dim=1), v.repeat_interleave(groups, dim=1)
    return F.scaled_dot_product_attention(q, k, v, attn_mask=mask,
                                          is_causal=causal and mask is None)


_HAS_ENABLE_GQA = tuple(int(x) for x in torch.__version__.split(".")[:2]) >= (2, 5)
