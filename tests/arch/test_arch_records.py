"""Arch validation and hand-worked counts."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from fleetmix.arch import Arch, load_arch


def make_arch(**overrides: Any) -> Arch:
    """A Llama-3-8B-shaped dense GQA model; override any field."""
    fields: dict[str, Any] = {
        "name": "test-8b",
        "family": "llama",
        "num_layers": 32,
        "hidden_size": 4096,
        "num_heads": 32,
        "num_kv_heads": 8,
        "head_dim": 128,
        "intermediate_size": 14336,
        "vocab_size": 128256,
        "max_context_tokens": 8192,
    }
    return Arch(**(fields | overrides))


def make_moe_arch(**overrides: Any) -> Arch:
    """A Mixtral-8x7B-shaped MoE."""
    moe: dict[str, Any] = {
        "family": "mixtral",
        "vocab_size": 32000,
        "num_experts": 8,
        "num_experts_per_token": 2,
        "moe_intermediate_size": 14336,
    }
    return make_arch(**(moe | overrides))


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"num_kv_heads": 5}, "num_heads (32) must be divisible by num_kv_heads (5)"),
        ({"hidden_size": 0}, "hidden_size (0) must be > 0"),
        ({"num_experts": -1}, "num_experts (-1) must be >= 0"),
        ({"name": ""}, "name must not be empty"),
        ({"num_experts_per_token": 2}, "num_experts_per_token (2) must be 0 when num_experts"),
        (
            {"num_sliding_layers": 40, "sliding_window_tokens": 128},
            "num_sliding_layers (40) must be <= num_layers (32)",
        ),
        ({"num_sliding_layers": 16}, "must both be 0 or both be > 0"),
        ({"qk_rope_head_dim": 64}, "qk_rope_head_dim (64) must be 0 when kv_lora_rank is 0"),
    ],
)
def test_invalid_dense(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        make_arch(**overrides)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"num_experts_per_token": 9}, r"num_experts_per_token \(9\) must be in 1..num_experts"),
        ({"num_experts_per_token": 0}, r"num_experts_per_token \(0\) must be in 1"),
        ({"moe_intermediate_size": 0}, r"moe_intermediate_size \(0\) must be > 0"),
        ({"num_dense_layers": 32}, r"num_dense_layers \(32\) must be < num_layers \(32\)"),
    ],
)
def test_invalid_moe(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make_moe_arch(**overrides)


def test_invalid_mla() -> None:
    dsv3 = load_arch("deepseek-v3")
    with pytest.raises(ValueError, match=r"head_dim \(128\) must equal qk_nope_head_dim"):
        dataclasses.replace(dsv3, head_dim=128)
    with pytest.raises(ValueError, match=r"num_kv_heads \(8\) must equal num_heads \(128\)"):
        dataclasses.replace(dsv3, num_kv_heads=8)


def test_dense_counts_by_hand() -> None:
    arch = make_arch()
    # q, o: 4096*4096 each; k, v: 4096*(8*128) each
    assert arch.attn_params_per_layer == 2 * 4096 * 4096 + 2 * 4096 * 1024
    assert arch.dense_ffn_params_per_layer == 3 * 4096 * 14336
    assert arch.norm_params == (2 * 32 + 1) * 4096
    assert arch.embedding_params == arch.lm_head_params == 128256 * 4096
    assert (arch.num_moe_layers, arch.num_ffn_dense_layers) == (0, 32)
    assert arch.router_params_per_layer == 0
    assert not arch.is_moe and not arch.is_mla
    assert arch.attention_kind == "GQA"


def test_tied_embeddings() -> None:
    untied, tied = make_arch(), make_arch(tie_word_embeddings=True)
    assert tied.lm_head_params == 0
    assert untied.total_params - tied.total_params == 128256 * 4096
    # the tied lm_head still runs a matmul
    assert tied.active_matmul_params_per_token == untied.active_matmul_params_per_token


def test_attention_bias() -> None:
    q_out, kv_out = 32 * 128, 2 * 8 * 128
    base = make_arch().attn_params_per_layer
    assert make_arch(attention_bias=True).attn_params_per_layer == base + q_out + kv_out + 4096
    qwen2 = make_arch(family="qwen2", attention_bias=True)  # no o_proj bias
    assert qwen2.attn_params_per_layer == base + q_out + kv_out


def test_ungated_ffn_layernorm_and_learned_positions() -> None:
    base = make_arch()
    opt_like = make_arch(
        ffn_gated=False, ffn_bias=True, norm_has_bias=True, learned_position_tokens=8194
    )
    assert opt_like.dense_ffn_params_per_layer == 2 * 4096 * 14336 + 14336 + 4096
    assert make_arch(ffn_gated=False).dense_ffn_params_per_layer == 2 * 4096 * 14336
    assert make_arch(ffn_bias=True).dense_ffn_params_per_layer == (
        3 * 4096 * 14336 + 2 * 14336 + 4096
    )
    assert opt_like.norm_params == 2 * base.norm_params
    assert opt_like.position_embedding_params == 8194 * 4096
    assert base.position_embedding_params == 0
    ffn_delta = base.dense_ffn_params_per_layer - opt_like.dense_ffn_params_per_layer
    assert base.total_params - opt_like.total_params == (
        32 * ffn_delta - base.norm_params - 8194 * 4096
    )
    assert opt_like.active_params_per_token == opt_like.total_params
    # the position table is a lookup, not a matmul
    assert opt_like.active_matmul_params_per_token == (
        base.active_matmul_params_per_token - 32 * ffn_delta
    )


def test_ungated_experts() -> None:
    arch = make_moe_arch(ffn_gated=False, ffn_bias=True)
    assert arch.expert_params == 2 * 4096 * 14336 + 14336 + 4096


def test_position_table_must_cover_context() -> None:
    with pytest.raises(ValueError, match=r"learned_position_tokens \(100\) must be 0 or >= "):
        make_arch(learned_position_tokens=100)
    with pytest.raises(ValueError, match=r"learned_position_tokens \(-1\) must be >= 0"):
        make_arch(learned_position_tokens=-1)


def test_moe_counts() -> None:
    arch = make_moe_arch()
    expert = 3 * 4096 * 14336
    assert arch.expert_params == expert
    assert arch.router_params_per_layer == 4096 * 8
    assert arch.num_moe_layers == 32
    assert arch.total_params - arch.active_params_per_token == 32 * 6 * expert


def test_gpt_oss_expert_and_router_biases() -> None:
    arch = load_arch("gpt-oss-120b")
    assert arch.expert_params == 3 * 2880 * 2880 + 3 * 2880  # gate_up (2*2880) + down (2880)
    assert arch.router_params_per_layer == 2880 * 128 + 128


def test_matmul_flops_exclude_embedding() -> None:
    arch = make_arch()
    assert arch.active_matmul_params_per_token == (
        arch.total_params - arch.embedding_params - arch.norm_params
    )


def test_attention_flops_per_context_token() -> None:
    # 2*H*head_dim for QK^T + 2*H*head_dim for softmax·V
    assert make_arch().attn_flops_per_token_per_context_token == 4 * 32 * 128
    # MLA absorbed: 2*128*(512+64) + 2*128*512
    assert load_arch("deepseek-v3").attn_flops_per_token_per_context_token == 278_528


def test_kv_cache_llama_3_1_70b_bf16() -> None:
    arch = load_arch("llama-3.1-70b")
    assert arch.kv_elements_per_token_per_layer == 2 * 8 * 128
    per_token = 80 * 8 * 128 * 2 * 2  # layers * kv heads * head_dim * (k, v) * bytes
    assert per_token == 327_680
    assert arch.kv_cache_bytes_per_token(2.0) == per_token
    assert arch.kv_cache_bytes_per_token(2.0, context_tokens=4096) == per_token
    assert arch.kv_cache_bytes_per_sequence(2.0, 1000) == 1000 * per_token


def test_kv_cache_deepseek_v3_mla() -> None:
    arch = load_arch("deepseek-v3")
    assert arch.kv_elements_per_token_per_layer == 512 + 64
    assert arch.kv_cache_bytes_per_token(2.0) == (512 + 64) * 61 * 2  # 70,272 bytes


def test_kv_cache_gpt_oss_sliding_layers() -> None:
    arch = load_arch("gpt-oss-120b")
    layer_bytes = 2 * 8 * 64 * 2  # (k, v) * kv heads * head_dim * bf16 = 2048 per token
    assert arch.num_full_attention_layers == 18
    # long context: 18 full layers per token + 18 sliding layers holding 128 tokens each
    context = 131_072
    expected = 18 * layer_bytes + 18 * layer_bytes * 128 / context  # 36,864 + 36
    assert arch.kv_cache_bytes_per_token(2.0, context_tokens=context) == pytest.approx(expected)
    assert arch.kv_cache_bytes_per_token(2.0, context_tokens=context) == pytest.approx(36_900)
    # within the window every layer caches every token
    assert arch.kv_cache_bytes_per_token(2.0, context_tokens=100) == 36 * layer_bytes
    # None: the long-context limit, full layers only
    assert arch.kv_cache_bytes_per_token(2.0) == 18 * layer_bytes


def test_kv_cache_rejects_empty_context() -> None:
    with pytest.raises(ValueError, match=r"context_tokens \(0\) must be > 0"):
        make_arch().kv_cache_bytes_per_token(2.0, context_tokens=0)


def test_attention_kind() -> None:
    assert make_arch(num_kv_heads=32).attention_kind == "MHA"
    assert make_arch(num_kv_heads=1).attention_kind == "MQA"
    assert load_arch("deepseek-v3").attention_kind == "MLA"
