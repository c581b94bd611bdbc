"""Microbenchmarks of the kernels a decoder step runs: weight GEMMs, memory copies, attention,
host dispatch, all-reduce. Each returns the profile rows of `fleetmix.perf.profile`."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

import torch
import torch.nn.functional as F

from fleetmix.arch.records import Arch
from fleetmix.calibrate.device import DTYPES, Device, attention, median_time_s
from fleetmix.calibrate.fit import attention_work
from fleetmix.perf.profile import AttentionRow, MatmulRow, MemoryRow


@dataclass(frozen=True, kw_only=True)
class Shapes:
    """The GEMM and attention shapes of one decoder layer (and its LM head)."""

    hidden: int
    q_dim: int  # heads × head_dim
    kv_dim: int  # kv_heads × head_dim
    ffn: int  # FFN (or one expert's) width
    gated: bool
    vocab: int
    heads: int
    kv_heads: int
    head_dim: int

    def gemms(self) -> dict[str, tuple[int, int]]:
        """op -> (in features k, out features n), as the decoder's fused projections."""
        return {
            "qkv": (self.hidden, self.q_dim + 2 * self.kv_dim),
            "o": (self.q_dim, self.hidden),
            "gate_up": (self.hidden, (2 if self.gated else 1) * self.ffn),
            "down": (self.ffn, self.hidden),
            "lm_head": (self.hidden, self.vocab),
        }


def shapes_of(arch: Arch) -> Shapes:
    ffn = arch.moe_intermediate_size if arch.is_moe else arch.intermediate_size
    return Shapes(hidden=arch.hidden_size, q_dim=arch.num_heads * arch.head_dim,
                  kv_dim=arch.num_kv_heads * arch.head_dim, ffn=ffn, gated=arch.ffn_gated,
                  vocab=arch.vocab_size, heads=arch.num_heads, kv_heads=arch.num_kv_heads,
                  head_dim=arch.head_dim)


QUICK_SHAPES = Shapes(hidden=256, q_dim=256, kv_dim=128, ffn=512, gated=True, vocab=1024,
                      heads=4, kv_heads=2, head_dim=64)
"""Tiny shapes for `calibrate --quick` (tests, smoke runs): seconds on any device."""


class _Rotating:
    """Calls `gemm(x, w)` with the next of several copies of the weight each time, so that
    weights come from device memory, as a decoder's do, not from a cache holding the last one."""

    def __init__(self, gemm: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
                 x: torch.Tensor, weights: list[torch.Tensor]) -> None:
        self.gemm, self.x, self.weights, self.i = gemm, x, weights, 0

    def __call__(self) -> torch.Tensor:
        self.i = (self.i + 1) % len(self.weights)
        return self.gemm(self.x, self.weights[self.i])


def _copies(k: int, n: int, element_bytes: int, pool_bytes: int) -> int:
    return max(1, min(64, math.ceil(pool_bytes / (k * n * element_bytes))))


def _fp8_weights(device: Device, k: int, n: int, copies: int) -> list[torch.Tensor] | None:
    """fp8 weights, or None where torch._scaled_mm does not run on the device."""
    fp8 = torch.float8_e4m3fnuz if device.type == "rocm" else torch.float8_e4m3fn
    dev = device.torch_device
    try:
        weights = [torch.randn(n, k, device=dev).to(fp8) for _ in range(copies)]
        _scaled_gemm(torch.randn(16, k, device=dev).to(fp8), weights[0])
        device.sync()
    except (RuntimeError, TypeError, AttributeError):
        return None
    return weights


def _scaled_gemm(x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    one = torch.ones((), device=x.device)
    return torch._scaled_mm(x, w.t(), scale_a=one, scale_b=one, out_dtype=torch.bfloat16)


def matmul_rows(device: Device, shapes: Shapes, tokens: Sequence[int],
                precisions: Sequence[str], *, repeats: int, pool_bytes: int
                ) -> list[MatmulRow]:
    """Weight GEMMs `x @ W.T` (W as nn.Linear stores it) at each token count and precision,
    cycling through copies of W that together take `pool_bytes` (more than the caches).

    The LM head runs only at decode-sized token counts (<= 128), as engines sample one token
    per sequence. fp8 runs through torch._scaled_mm with m padded to a multiple of 16.
    """
    rows = []
    dev = device.torch_device
    for precision in precisions:
        fp8 = precision == "fp8"
        for op, (k, n) in shapes.gemms().items():
            copies = _copies(k, n, 1 if fp8 else DTYPES[precision].itemsize, pool_bytes)
            if fp8:
                fp8_weights = _fp8_weights(device, k, n, copies)
                if fp8_weights is None:
                    break
                weights = fp8_weights
            else:
                weights = [torch.randn(n, k, device=dev, dtype=DTYPES[precision])
                           for _ in range(copies)]
            for m in tokens:
                if op == "lm_head" and m > 128:
                    continue
                m_run = max(16, math.ceil(m / 16) * 16) if fp8 else m
                x = torch.randn(m_run, k, device=dev)
                run = (_Rotating(_scaled_gemm, x.to(weights[0].dtype), weights) if fp8
                       else _Rotating(F.linear, x.to(weights[0].dtype), weights))
                time_s = median_time_s(run, device, repeats=repeats)
                rows.append(MatmulRow(precision=precision, op=op, m=m_run, k=k, n=n,
                                      time_s=time_s, flops_per_s=2.0 * m_run * k * n / time_s))
            del weights
    return rows


def memory_rows(device: Device, buffer_bytes: int, *, repeats: int) -> list[MemoryRow]:
    """Device-memory copy of a buffer much larger than the caches (counted read + write)."""
    n = buffer_bytes // 4
    src = torch.randn(n, device=device.torch_device)
    dst = torch.empty_like(src)
    time_s = median_time_s(lambda: dst.copy_(src), device, repeats=repeats)
    return [MemoryRow(op="copy", bytes=n * 4, time_s=time_s, bytes_per_s=2 * n * 4 / time_s)]


def attention_rows(device: Device, shapes: Shapes, contexts: Sequence[int],
                   decode_batches: Sequence[int], *, repeats: int) -> list[AttentionRow]:
    """Causal prefill of one sequence, and decode (one new token against a KV cache), in bf16."""
    dev, dtype = device.torch_device, torch.bfloat16
    h, kvh, d = shapes.heads, shapes.kv_heads, shapes.head_dim
    rows = []
    for ctx in contexts:
        q = torch.randn(1, h, ctx, d, device=dev, dtype=dtype)
        k = torch.randn(1, kvh, ctx, d, device=dev, dtype=dtype)
        v = torch.randn_like(k)
        time_s = median_time_s(partial(attention, q, k, v, causal=True), device,
                               repeats=repeats)
        rows.append(AttentionRow(phase="prefill", batch=1, context_tokens=ctx, heads=h,
                                 kv_heads=kvh, head_dim=d, time_s=time_s))
        for batch in decode_batches:
            q1 = torch.randn(batch, h, 1, d, device=dev, dtype=dtype)
            kc = torch.randn(batch, kvh, ctx, d, device=dev, dtype=dtype)
            vc = torch.randn_like(kc)
            time_s = median_time_s(partial(attention, q1, kc, vc, causal=False), device,
                                   repeats=repeats)
            rows.append(AttentionRow(phase="decode", batch=batch, context_tokens=ctx, heads=h,
                                     kv_heads=kvh, head_dim=d, time_s=time_s))
    return [r.model_copy(update={"rate": attention_work(r) / r.time_s}) for r in rows]


def dispatch_s(device: Device, *, repeats: int) -> float:
    """Host time of one tiny kernel: eager dispatch and launch, no work."""
    x = torch.zeros(1, device=device.torch_device)
    return median_time_s(lambda: x.add_(1.0), device, repeats=repeats)
