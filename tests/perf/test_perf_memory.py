"""Memory per chip: weights, KV cache per token, and the KV capacity left over (hand-worked)."""

from __future__ import annotations

import math
from typing import Any

import pytest

from fleetmix.arch import Arch, load_arch
from fleetmix.catalog import load_catalog
from fleetmix.perf import Deployment, default_kv_precision, make_deployment, memory_fit
from fleetmix.perf.memory import kv_bytes_per_token_per_chip, weight_bytes_per_chip

H100_USABLE_BYTES = 80e9 * 0.90  # 80 GB HBM3 x TRT-LLM free_gpu_memory_fraction 0.9


def make_arch(**overrides: Any) -> Arch:
    """A Llama-3.2-1B-shaped dense GQA model (16 layers, 32 heads, 8 KV heads of 64)."""
    fields: dict[str, Any] = {
        "name": "test-1b",
        "family": "llama",
        "num_layers": 16,
        "hidden_size": 2048,
        "num_heads": 32,
        "num_kv_heads": 8,
        "head_dim": 64,
        "intermediate_size": 8192,
        "vocab_size": 128256,
        "tie_word_embeddings": True,
        "max_context_tokens": 131072,
    }
    return Arch(**(fields | overrides))


def deploy(arch: Arch | str = "llama-3.1-8b", accelerator: str = "h100-sxm", *, tp: int = 1,
           pp: int = 1, precision: str = "bf16", **kwargs: Any) -> Deployment:
    """One replica with the vendor's default engine and shipped efficiencies."""
    arch_rec = load_arch(arch) if isinstance(arch, str) else arch
    acc = load_catalog().accelerator(accelerator)
    return make_deployment(arch_rec, acc, tp=tp, pp=pp, ep=1, precision=precision, **kwargs)


def test_fp8_weights_keep_embedding_and_lm_head_in_bf16() -> None:
    arch = load_arch("llama-3.1-70b")
    dep = deploy(arch, tp=2, precision="fp8")
    head = arch.embedding_params + arch.lm_head_params  # 2 x 128256 x 8192, untied
    assert head == 2 * 128256 * 8192
    # body at 1 byte (fp8), embedding + lm_head at 2 bytes (bf16), split over 2 TP ranks
    expected = ((arch.total_params - head) * 1 + head * 2) / 2
    assert weight_bytes_per_chip(dep) == pytest.approx(expected, rel=1e-12)
    # about 35.8 GB per chip: 70.6B params at ~1 byte, halved, plus 1 GB of bf16 tables
    assert 35e9 < weight_bytes_per_chip(dep) < 36.5e9


def test_bf16_weights_are_two_bytes_per_param_over_all_chips() -> None:
    arch = load_arch("llama-3.1-8b")
    dep = deploy(arch, tp=2, pp=2, precision="bf16")
    assert weight_bytes_per_chip(dep) == pytest.approx(arch.total_params * 2 / 4, rel=1e-12)


def test_kv_bytes_per_token_gqa_split_over_tp() -> None:
    dep = deploy("llama-3.1-70b", tp=2, precision="fp8")
    assert dep.kv_precision == "fp8"  # quantized deployments default to an fp8 KV cache
    # 80 layers x 8 KV heads x 128 x 2 (K and V) x 1 byte / 2 TP ranks
    assert kv_bytes_per_token_per_chip(dep) == 80 * 8 * 128 * 2 * 1 / 2 == 81_920
    bf16_kv = deploy("llama-3.1-70b", tp=2, precision="fp8", kv_precision="bf16")
    assert kv_bytes_per_token_per_chip(bf16_kv) == 2 * 81_920


def test_default_kv_precision_follows_weights_where_the_chip_has_fp8() -> None:
    catalog = load_catalog()
    assert default_kv_precision("fp8", catalog.accelerator("h100-sxm")) == "fp8"
    assert default_kv_precision("fp4", catalog.accelerator("b200")) == "fp8"
    assert default_kv_precision("bf16", catalog.accelerator("h100-sxm")) == "bf16"
    # TPU v5e has no fp8 unit, so its KV cache stays bf16
    assert default_kv_precision("fp8", catalog.accelerator("tpu-v5e")) == "bf16"


def test_mla_latent_cache_is_replicated_on_every_tp_rank() -> None:
    tp8 = deploy("deepseek-v3", tp=8, precision="fp8")
    # (kv_lora_rank 512 + rope key 64) elements x 61 layers x 1 byte, whole on each rank
    assert kv_bytes_per_token_per_chip(tp8) == (512 + 64) * 61 * 1 == 35_136
    assert kv_bytes_per_token_per_chip(deploy("deepseek-v3", tp=4, precision="fp8")) == 35_136


def test_gqa_heads_split_down_to_one_head_per_rank() -> None:
    # llama-3.1-8b has 8 KV heads: at tp=8 each rank holds exactly one
    dep = deploy("llama-3.1-8b", tp=8, precision="bf16")
    assert kv_bytes_per_token_per_chip(dep) == 32 * 1 * 128 * 2 * 2 == 16_384


def test_gqa_heads_are_replicated_once_tp_exceeds_kv_heads() -> None:
    arch = make_arch(num_heads=8, num_kv_heads=2, head_dim=256)
    one_head = 16 * 1 * (256 + 256) * 2.0  # layers x 1 KV head x (K + V) x bf16
    by_tp = {tp: kv_bytes_per_token_per_chip(deploy(arch, tp=tp)) for tp in (1, 2, 4, 8)}
    assert by_tp == {1: 2 * one_head, 2: one_head, 4: one_head, 8: one_head}


def test_pipeline_stage_holds_the_kv_of_its_own_layers() -> None:
    arch = make_arch(num_layers=15)
    per_layer = 8 * (64 + 64) * 2.0  # 8 KV heads x (K + V) x bf16
    assert kv_bytes_per_token_per_chip(deploy(arch)) == 15 * per_layer
    # ceil(15 / 2) = 8 layers on the largest stage
    assert kv_bytes_per_token_per_chip(deploy(arch, pp=2)) == 8 * per_layer


def test_sliding_layers_hold_only_the_window() -> None:
    arch = make_arch(num_sliding_layers=8, sliding_window_tokens=128)
    per_layer = 8 * (64 + 64) * 2.0
    dep = deploy(arch)
    # 8 full layers hold every token; 8 sliding layers hold 128 of 1024 tokens
    assert kv_bytes_per_token_per_chip(dep, 1024.0) == pytest.approx((8 + 8 * 128 / 1024)
                                                                     * per_layer)
    # shorter than the window: every layer holds every token
    assert kv_bytes_per_token_per_chip(dep, 100.0) == pytest.approx(16 * per_layer)
    # no context given: the long-context limit, full layers only
    assert kv_bytes_per_token_per_chip(dep) == 8 * per_layer


def test_405b_bf16_does_not_fit_one_h100() -> None:
    # vLLM's budget is 90% of the whole device (TensorRT-LLM's is 90% of what weights leave)
    fit = memory_fit(deploy("llama-3.1-405b", precision="bf16", engine="vllm"), need_tokens=2000)
    # 405B params x 2 bytes = 810 GB against 72 GB usable
    assert fit.weight_bytes > 800e9
    assert fit.usable_bytes == pytest.approx(H100_USABLE_BYTES)
    assert not fit.fits
    assert fit.kv_cache_tokens == 0
    assert fit.kv_budget_bytes < 0
    assert fit.needed_bytes > fit.usable_bytes
    text = fit.explain()
    assert "GB per chip" in text and "72.0 GB usable of 80.0 GB" in text


@pytest.mark.parametrize(("engine", "block"), [("trtllm", 32), ("vllm", 16), ("sglang", 1)])
def test_kv_cache_tokens_are_whole_engine_blocks(engine: str, block: int) -> None:
    dep = deploy("llama-3.1-8b", precision="fp8", engine=engine)
    fit = memory_fit(dep, need_tokens=2000)
    assert dep.engine.kv_block_tokens == block
    assert fit.kv_cache_tokens % block == 0
    # as many whole blocks as the budget holds, and not one more
    assert fit.kv_cache_tokens * fit.kv_bytes_per_token <= fit.kv_budget_bytes
    assert (fit.kv_cache_tokens + block) * fit.kv_bytes_per_token > fit.kv_budget_bytes
    assert fit.kv_budget_bytes == pytest.approx(
        fit.usable_bytes - fit.weight_bytes - fit.activation_bytes)
    # 8B at fp8 on one H100: 32 x 8 x 128 x 2 x 1 byte = 64 KiB per token, ~0.9M tokens
    assert fit.kv_bytes_per_token == 65_536
    assert 800_000 < fit.kv_cache_tokens < 1_000_000


def test_fits_is_the_kv_capacity_against_one_request() -> None:
    dep = deploy("llama-3.1-8b", precision="fp8")
    capacity = memory_fit(dep, need_tokens=2000).kv_cache_tokens
    assert memory_fit(dep, need_tokens=capacity).fits
    assert not memory_fit(dep, need_tokens=capacity + 1).fits


def test_more_tp_leaves_more_kv_room_per_replica() -> None:
    tp2 = memory_fit(deploy("llama-3.1-70b", precision="fp8", tp=2), need_tokens=2000)
    tp4 = memory_fit(deploy("llama-3.1-70b", precision="fp8", tp=4), need_tokens=2000)
    # twice the chips: more than twice the KV tokens (the weights take a smaller share)
    assert tp4.kv_cache_tokens > 2 * tp2.kv_cache_tokens
    assert math.isclose(tp4.weight_bytes * 2, tp2.weight_bytes)


def test_trtllm_kv_budget_is_a_fraction_of_the_memory_weights_leave() -> None:
    dep = deploy("llama-3.1-8b", precision="fp8")
    assert dep.engine.mem_fraction_of == "free"
    fit = memory_fit(dep, need_tokens=2000)
    free = 80e9 - fit.weight_bytes - fit.activation_bytes
    assert fit.kv_budget_bytes == pytest.approx(0.9 * free)
    assert fit.usable_bytes == pytest.approx(80e9 - 0.1 * free)
    too_big = memory_fit(deploy("llama-3.1-405b", precision="bf16"), need_tokens=2000)
    assert not too_big.fits and too_big.usable_bytes == pytest.approx(80e9)
