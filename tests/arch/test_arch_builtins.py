"""Built-in architectures against the parameter counts their publishers give."""

from __future__ import annotations

from importlib import resources

import pytest

from fleetmix.arch import builtin_archs, builtin_names, load_arch

REL_TOL = 0.015

# name -> published total parameters
PUBLISHED_TOTAL_PARAMS = {
    "llama-2-70b": 68.98e9,
    "llama-3-8b": 8.03e9,
    "llama-3.1-8b": 8.03e9,
    "llama-3.2-1b": 1.24e9,
    "llama-3-70b": 70.55e9,
    "llama-3.1-70b": 70.55e9,
    "llama-3.3-70b": 70.55e9,
    "llama-3.1-405b": 405.85e9,
    "mixtral-8x7b": 46.7e9,
    "qwen3-32b": 32.8e9,
    "qwen3-235b-a22b": 235e9,
    "deepseek-v3": 671e9,  # main model; the 14B MTP module is not counted
    "gpt-oss-120b": 116.83e9,  # OpenAI model card
    "gpt-oss-20b": 20.91e9,
    "opt-13b": 12.85e9,  # HF facebook/opt-13b: 12,853,473,280; the OPT paper's "13B"
}


def test_names_match_data_files() -> None:
    data = resources.files("fleetmix.arch") / "data"
    files = {p.name.removesuffix(".json") for p in data.iterdir() if p.name.endswith(".json")}
    assert files == set(builtin_names())
    assert [a.name for a in builtin_archs()] == list(builtin_names())


@pytest.mark.parametrize("name", builtin_names())
def test_builtin_has_hf_source(name: str) -> None:
    arch = load_arch(name)
    assert "/" in arch.source  # an HF repo id such as "meta-llama/Llama-3.1-70B-Instruct"
    assert load_arch(name) is arch  # cached


@pytest.mark.parametrize(("name", "published"), sorted(PUBLISHED_TOTAL_PARAMS.items()))
def test_total_params_match_published(name: str, published: float) -> None:
    assert load_arch(name).total_params == pytest.approx(published, rel=REL_TOL)


def test_dense_models_use_every_param() -> None:
    for arch in builtin_archs():
        if not arch.is_moe:
            assert arch.active_params_per_token == arch.total_params


def test_exact_totals_match_hf_safetensors() -> None:
    # Parameter counts of the published safetensors checkpoints.
    assert load_arch("llama-3.1-8b").total_params == 8_030_261_248
    assert load_arch("llama-3.1-70b").total_params == 70_553_706_496
    assert load_arch("llama-3.1-405b").total_params == 405_853_388_800
    assert load_arch("llama-3.2-1b").total_params == 1_235_814_400  # tied embeddings
    assert load_arch("mixtral-8x7b").total_params == 46_702_792_704
    assert load_arch("opt-13b").total_params == 12_853_473_280  # tied, learned positions


def test_opt_13b_counts() -> None:
    arch = load_arch("opt-13b")
    assert arch.total_params == pytest.approx(12_853_473_280, rel=0.005)
    assert (arch.num_layers, arch.hidden_size, arch.num_heads) == (40, 5120, 40)
    assert (arch.intermediate_size, arch.vocab_size) == (20480, 50272)
    assert not arch.ffn_gated and arch.ffn_bias and arch.attention_bias
    assert arch.tie_word_embeddings and arch.lm_head_params == 0
    # fc1 (5120 -> 20480) and fc2 (20480 -> 5120), each with a bias
    assert arch.dense_ffn_params_per_layer == 2 * 5120 * 20480 + 20480 + 5120
    assert arch.attn_params_per_layer == 4 * (5120 * 5120 + 5120)  # q, k, v, out_proj + biases
    assert arch.norm_params == (2 * 40 + 1) * 2 * 5120  # LayerNorm weight + bias
    assert arch.position_embedding_params == (2048 + 2) * 5120  # OPT's offset of 2
    # lookups (token, position) and norms are not matmuls; the tied lm_head is
    non_matmul = arch.embedding_params + arch.position_embedding_params + arch.norm_params
    lm_head = 50272 * 5120
    assert arch.active_matmul_params_per_token == arch.total_params - non_matmul + lm_head
    assert arch.attention_kind == "MHA"
    assert arch.kv_cache_bytes_per_token(2.0) == 40 * 2 * 5120 * 2


def test_mixtral_active() -> None:
    # Mistral's "12.9B active" counts the embedding and lm_head.
    assert load_arch("mixtral-8x7b").active_params_per_token == pytest.approx(12.9e9, rel=REL_TOL)


def test_qwen3_moe_active() -> None:
    assert load_arch("qwen3-235b-a22b").active_params_per_token == pytest.approx(22e9, rel=REL_TOL)


def test_deepseek_v3_active() -> None:
    arch = load_arch("deepseek-v3")
    # "37B activated": 36.6B in matmuls, 37.6B with the embedding table.
    assert arch.active_matmul_params_per_token == pytest.approx(37e9, rel=REL_TOL)
    assert arch.active_params_per_token == pytest.approx(37e9, rel=0.02)
    assert (arch.num_dense_layers, arch.num_moe_layers) == (3, 58)


@pytest.mark.parametrize(("name", "active"), [("gpt-oss-120b", 5.13e9), ("gpt-oss-20b", 3.61e9)])
def test_gpt_oss_active(name: str, active: float) -> None:
    # OpenAI's card counts the unembedding but not the embedding: our matmul count.
    arch = load_arch(name)
    assert arch.active_matmul_params_per_token == pytest.approx(active, rel=0.005)
    sinks = arch.num_layers * arch.num_heads
    non_matmul = arch.embedding_params + arch.norm_params + sinks
    assert arch.active_params_per_token - arch.active_matmul_params_per_token == non_matmul


def test_gpt_oss_120b_breakdown_matches_model_card() -> None:
    arch = load_arch("gpt-oss-120b")
    moe = arch.num_moe_layers * (
        arch.num_experts * arch.expert_params + arch.router_params_per_layer
    )
    assert moe == pytest.approx(114.71e9, rel=0.001)
    assert arch.num_layers * arch.attn_params_per_layer == pytest.approx(0.96e9, rel=0.01)
    assert arch.embedding_params + arch.lm_head_params == pytest.approx(1.16e9, rel=0.01)
    assert (arch.num_sliding_layers, arch.sliding_window_tokens) == (18, 128)


def test_summary_rows() -> None:
    rows = {a.name: a.summary() for a in builtin_archs()}
    assert rows["gpt-oss-120b"]["experts"] == "128 (top-4)"
    assert rows["deepseek-v3"]["experts"] == "256+1 shared (top-8)"
    assert rows["deepseek-v3"]["attention"] == "MLA"
    assert rows["llama-3.1-70b"]["attention"] == "GQA"
    assert rows["llama-3.1-70b"]["experts"] == "-"
    assert rows["llama-3.1-70b"]["kv_bytes_per_token_bf16"] == 327_680
    assert rows["llama-3.1-70b"]["max_context_tokens"] == 131_072
    assert (rows["llama-3.1-70b"]["ffn"], rows["llama-3.1-70b"]["norm"]) == ("gated", "RMSNorm")
    assert rows["llama-3.1-70b"]["positions"] == "rotary"
    assert (rows["opt-13b"]["ffn"], rows["opt-13b"]["norm"]) == ("2-matrix +bias", "LayerNorm")
    assert rows["opt-13b"]["positions"] == "learned"
