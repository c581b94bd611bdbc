"""Steady-state serving: KV per request, batch limits, throughput, chunked prefill."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from perf_helpers import H100_BF16_FLOPS, H100_HBM_BYTES_PER_S, ideal

from fleetmix.arch import load_arch
from fleetmix.catalog import load_catalog
from fleetmix.perf import (
    Deployment,
    batch_limit,
    make_deployment,
    memory_fit,
    operating_point,
    output_throughput,
    prefill_time_s,
    step_time_s,
)
from fleetmix.perf.throughput import best_batch, kv_tokens_per_request


def deploy(arch: str = "llama-3.1-8b", accelerator: str = "h100-sxm", *, tp: int = 1,
           pp: int = 1, precision: str = "fp8", **kwargs: Any) -> Deployment:
    acc = load_catalog().accelerator(accelerator)
    return make_deployment(load_arch(arch), acc, tp=tp, pp=pp, ep=1, precision=precision,
                           **kwargs)


@pytest.mark.parametrize(("engine", "isl", "osl", "tokens"), [
    ("trtllm", 1000, 1000, 63 * 32),  # full: 2000 tokens -> 62.5 blocks of 32 -> 63 blocks
    ("trtllm", 1024, 1024, 2048),  # already whole blocks
    ("vllm", 1000, 1001, 94 * 16),  # on demand: 1000 + 500.5 -> 93.8 blocks of 16 -> 94
    ("sglang", 1000, 1001, 1501),  # on demand, 1-token pages: ceil(1500.5)
])
def test_kv_tokens_per_request(engine: str, isl: int, osl: int, tokens: int) -> None:
    assert kv_tokens_per_request(deploy(engine=engine), isl, osl) == tokens


def test_batch_limited_by_kv_cache() -> None:
    dep = deploy("llama-3.1-70b", tp=2)  # TRT-LLM: 2048 seqs, 8192-token budget
    limit = batch_limit(dep, 1000, 1000)
    kv_tokens = memory_fit(dep, 2000).kv_cache_tokens
    assert limit.limited_by == "kv_cache"
    assert limit.max_batch == kv_tokens // 2016  # 2016: 2000 tokens in blocks of 32
    # the other limits are looser: 2048 seqs, 8192 x 1000 / 2000 = 4096 by token budget
    assert limit.max_batch < 2048


def test_batch_limited_by_max_batch_seqs() -> None:
    limit = batch_limit(deploy(engine="vllm"), 1000, 1000)
    # 8B at fp8 holds ~0.9M KV tokens = ~600 requests of 1500; vLLM runs at most 256
    assert (limit.limited_by, limit.max_batch) == ("max_batch_seqs", 256)


def test_batch_limited_by_token_budget() -> None:
    limit = batch_limit(deploy(), 4000, 50)
    # each request spends 4050 budget slots over 50 steps: 8192 x 50 / 4050 = 101.1 -> 101
    assert (limit.limited_by, limit.max_batch) == ("token_budget", 101)
    assert limit.memory.kv_cache_tokens // kv_tokens_per_request(deploy(), 4000, 50) > 101


def test_batch_is_zero_when_one_request_does_not_fit() -> None:
    limit = batch_limit(deploy("llama-3.1-405b", precision="bf16"), 1000, 1000)
    assert (limit.max_batch, limit.limited_by) == (0, "kv_cache")
    assert not limit.memory.fits


def test_batch1_throughput_is_bounded_by_the_weight_read() -> None:
    dep = deploy(precision="bf16", efficiency=ideal())
    arch = load_arch("llama-3.1-8b")
    # every output token streams the body and lm_head once (embedding lookup not read)
    streamed_bytes = (arch.total_params - arch.embedding_params) * 2
    bound = H100_HBM_BYTES_PER_S / streamed_bytes  # ~209 tokens/s
    tput = float(output_throughput(dep, 128, 128, 1))
    assert tput <= bound
    assert tput == pytest.approx(bound, rel=0.03)


def test_output_throughput_is_batch_over_the_steady_step() -> None:
    dep = deploy()
    isl, osl, batch = 1000, 500, np.array([1.0, 8.0, 64.0])
    arrivals = batch / osl  # new requests per step replace finished ones
    step = step_time_s(dep, decode_seqs=batch, decode_context_tokens=isl + osl / 2,
                       prefill_tokens=arrivals * isl, prefill_attn_pairs=arrivals * isl**2 / 2,
                       prefill_seqs=arrivals)
    np.testing.assert_allclose(output_throughput(dep, isl, osl, batch), batch / step, rtol=1e-12)


def test_batching_raises_memory_bound_throughput() -> None:
    tput = output_throughput(deploy(), 1000, 1000, np.array([1.0, 2.0, 16.0]))
    # weights are read once per step whatever the batch: 2 sequences nearly double output
    assert float(tput[1]) > 1.8 * float(tput[0])
    assert float(tput[2]) > 10 * float(tput[0])


def test_best_batch_is_the_argmax() -> None:
    dep = deploy(efficiency=ideal(step_overhead_s=1e-3, seq_overhead_s=2e-4))
    best = best_batch(dep, 1000, 1000, 512)
    every = [float(output_throughput(dep, 1000, 1000, b)) for b in range(1, 513)]
    assert best is not None and every[best - 1] == max(every)


def test_best_batch_under_a_tpot_target() -> None:
    dep = deploy()
    batches = np.arange(1.0, 513.0)
    steps = batches / output_throughput(dep, 1000, 1000, batches)  # steady step = TPOT
    target_s = float(steps[99])  # the TPOT of batch 100
    best = best_batch(dep, 1000, 1000, 512, max_tpot_s=target_s)
    assert best is not None and float(steps[best - 1]) <= target_s
    assert best == 100  # throughput grows with batch here, so the largest batch in target wins
    assert best_batch(dep, 1000, 1000, 512, max_tpot_s=float(steps[0]) / 2) is None


def test_operating_point() -> None:
    dep = deploy()
    point = operating_point(dep, 1000, 1000, 32)
    assert point.tpot_s == point.step_time_s
    assert point.throughput_output_tokens_per_s == pytest.approx(32 / point.step_time_s)
    assert point.ttft_s == pytest.approx(prefill_time_s(dep, 1000, running=31))


def test_long_prompt_is_prefilled_in_chunks_of_the_step_budget() -> None:
    dep = deploy(precision="bf16")
    isl = 20_000  # 8192-token budget: chunks of 8192, 8192 and 3616
    sizes = [8192.0, 8192.0, 3616.0]
    before = [0.0, 8192.0, 16384.0]
    chunks = [
        step_time_s(dep, decode_seqs=0.0, decode_context_tokens=float(isl), prefill_tokens=s,
                    prefill_attn_pairs=s * b + s * s / 2, prefill_seqs=float(i == 2))
        for i, (s, b) in enumerate(zip(sizes, before, strict=True))
    ]
    assert prefill_time_s(dep, isl) == pytest.approx(sum(float(c) for c in chunks), rel=1e-12)
    assert prefill_time_s(dep, isl) > prefill_time_s(dep, 8192)


def test_chunked_prefill_adds_up_to_one_causal_pass() -> None:
    dep = deploy(precision="bf16", efficiency=ideal())
    arch = load_arch("llama-3.1-8b")
    isl = 20_000
    body_params = 32 * (arch.attn_params_per_layer + arch.dense_ffn_params_per_layer)
    matmul_s = 2 * body_params * isl / H100_BF16_FLOPS
    # the chunks' attention pairs sum to one causal pass: isl^2 / 2
    attention_s = 32 * (4 * 32 * 128) * isl**2 / 2 / H100_BF16_FLOPS
    lm_head_s = 128256 * 4096 * 2 / H100_HBM_BYTES_PER_S  # one sampled token
    assert prefill_time_s(dep, isl) == pytest.approx(matmul_s + attention_s + lm_head_s,
                                                     rel=0.03)


def test_running_decodes_shrink_the_prefill_chunk() -> None:
    base = ideal()
    taxed = ideal(step_overhead_s=1e-3, seq_overhead_s=1e-5)
    isl, running = 1000, 8000
    # 8192 - 8000 = 192 slots, raised to the 256-token floor: ceil(1000 / 256) = 4 chunks
    chunks = math.ceil(isl / 256)
    extra = (prefill_time_s(deploy(efficiency=taxed), isl, running)
             - prefill_time_s(deploy(efficiency=base), isl, running))
    # each chunk pays the step overhead and the running sequences; the last one samples
    assert extra == pytest.approx(chunks * 1e-3 + (chunks * running + 1) * 1e-5, rel=1e-9)
    assert prefill_time_s(deploy(), isl, running) > prefill_time_s(deploy(), isl, 0)
