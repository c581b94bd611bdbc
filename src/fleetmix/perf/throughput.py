"""Steady-state serving of a fixed request shape (ISL/OSL): batch limits, throughput, latency.

In steady state a continuous-batching engine keeps `batch` sequences decoding; every step each
emits a token, and the prompts of the requests that replace finished ones are prefilled in
chunks inside the same steps. Per step that is `batch` decode tokens at mean context ISL + OSL/2
and `batch × ISL / OSL` prefill tokens, so output throughput = batch / step time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from fleetmix.perf.deployment import Deployment
from fleetmix.perf.memory import MemoryFit, memory_fit
from fleetmix.perf.steptime import Array, step_time_s


def kv_tokens_per_request(dep: Deployment, isl: int, osl: int) -> int:
    """KV tokens the engine holds per running request, in whole blocks.

    Engines that reserve at admission (TRT-LLM's no-evict policy) hold ISL + OSL; engines that
    allocate on demand (vLLM, SGLang) hold ISL + OSL/2 on average across a staggered batch.
    """
    tokens = isl + osl if dep.engine.kv_reserve == "full" else isl + osl / 2
    block = dep.engine.kv_block_tokens
    return int(math.ceil(tokens / block) * block)


@dataclass(frozen=True, kw_only=True)
class BatchLimit:
    """The largest steady-state batch, and which limit set it."""

    max_batch: int
    limited_by: str  # "kv_cache", "max_batch_seqs" or "token_budget"
    memory: MemoryFit


def batch_limit(dep: Deployment, isl: int, osl: int) -> BatchLimit:
    """Largest number of concurrently running requests of this shape the replica holds."""
    fit = memory_fit(dep, isl + osl)
    by_kv = fit.kv_cache_tokens // kv_tokens_per_request(dep, isl, osl) if fit.fits else 0
    # Each request needs ISL + OSL token slots of step budget over its OSL decode steps.
    by_budget = int(dep.engine.max_batch_tokens * osl / (isl + osl))
    limits = {"kv_cache": by_kv, "max_batch_seqs": dep.engine.max_batch_seqs,
              "token_budget": max(by_budget, 1)}
    name = min(limits, key=lambda k: limits[k])
    return BatchLimit(max_batch=limits[name], limited_by=name, memory=fit)


def steady_step_time_s(dep: Deployment, isl: ArrayLike, osl: ArrayLike, batch: ArrayLike) -> Array:
    """Step time of the steady state with `batch` running requests (arrays broadcast)."""
    isl_a = np.asarray(isl, dtype=np.float64)
    osl_a = np.asarray(osl, dtype=np.float64)
    b = np.asarray(batch, dtype=np.float64)
    arrivals_per_step = b / osl_a
    return step_time_s(
        dep,
        decode_seqs=b,
        decode_context_tokens=isl_a + osl_a / 2.0,
        prefill_tokens=arrivals_per_step * isl_a,
        prefill_attn_pairs=arrivals_per_step * isl_a * isl_a / 2.0,
        prefill_seqs=arrivals_per_step,
    )


def output_throughput(dep: Deployment, isl: ArrayLike, osl: ArrayLike,
                      batch: ArrayLike) -> Array:
    """Output tokens per second of the replica at `batch` running requests."""
    b = np.asarray(batch, dtype=np.float64)
    out: Array = b / steady_step_time_s(dep, isl, osl, b)
    return out


def prefill_time_s(dep: Deployment, isl: int, running: int = 0) -> float:
    """Time to first token for one prompt of `isl` tokens while `running` others decode.

    The prompt is split into chunks of the step budget left after the decode tokens.
    """
    chunk = max(dep.engine.max_batch_tokens - running, 256)
    chunks = max(1, math.ceil(isl / chunk))
    sizes = np.full(chunks, float(chunk))
    sizes[-1] = isl - chunk * (chunks - 1)
    done_before = np.concatenate([[0.0], np.cumsum(sizes)[:-1]])
    steps = step_time_s(
        dep,
        decode_seqs=float(running),
        decode_context_tokens=float(isl),
        prefill_tokens=sizes,
        prefill_attn_pairs=sizes * done_before + sizes * sizes / 2.0,
        prefill_seqs=(np.arange(chunks) == chunks - 1).astype(np.float64),
    )
    return float(np.sum(steps))


@dataclass(frozen=True, kw_only=True)
class OperatingPoint:
    """Steady state of the replica at one batch size."""

    batch: int
    step_time_s: float
    throughput_output_tokens_per_s: float
    ttft_s: float  # prefill of one prompt among `batch - 1` decoding requests, no queueing
    tpot_s: float  # time between output tokens = step time


def operating_point(dep: Deployment, isl: int, osl: int, batch: int) -> OperatingPoint:
    step = float(steady_step_time_s(dep, isl, osl, batch))
    return OperatingPoint(
        batch=batch, step_time_s=step, throughput_output_tokens_per_s=batch / step,
        ttft_s=prefill_time_s(dep, isl, running=batch - 1), tpot_s=step,
    )


def best_batch(dep: Deployment, isl: int, osl: int, max_batch: int,
               max_tpot_s: float | None = None) -> int | None:
    """Batch in 1..max_batch with the highest throughput whose TPOT meets `max_tpot_s`.

    All batches are evaluated in one vector call. None when no batch meets the TPOT target.
    """
    batches: NDArray[np.float64] = np.arange(1, max_batch + 1, dtype=np.float64)
    step = steady_step_time_s(dep, isl, osl, batches)
    tput = batches / step
    if max_tpot_s is not None:
        tput = np.where(step <= max_tpot_s, tput, -np.inf)
        if not np.isfinite(tput).any():
            return None
    return int(batches[int(np.argmax(tput))])
