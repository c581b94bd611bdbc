"""Reading Hugging Face config.json files: families, paths and error messages."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from fleetmix.arch import SUPPORTED_MODEL_TYPES, from_hf_config, load_arch
from fleetmix.errors import ArchConfigError, UnknownNameError


def llama_config(**overrides: Any) -> dict[str, Any]:
    """A Llama-3-8B config.json, as published."""
    config: dict[str, Any] = {
        "architectures": ["LlamaForCausalLM"],
        "hidden_size": 4096,
        "intermediate_size": 14336,
        "max_position_embeddings": 8192,
        "model_type": "llama",
        "num_attention_heads": 32,
        "num_hidden_layers": 32,
        "num_key_value_heads": 8,
        "rope_theta": 500000.0,
        "tie_word_embeddings": False,
        "vocab_size": 128256,
    }
    return config | overrides


def deepseek_v2_lite_config() -> dict[str, Any]:
    """deepseek-ai/DeepSeek-V2-Lite: MLA without query compression (q_lora_rank null)."""
    return {
        "model_type": "deepseek_v2",
        "hidden_size": 2048,
        "intermediate_size": 10944,
        "moe_intermediate_size": 1408,
        "n_routed_experts": 64,
        "n_shared_experts": 2,
        "num_experts_per_tok": 6,
        "first_k_dense_replace": 1,
        "moe_layer_freq": 1,
        "num_hidden_layers": 27,
        "num_attention_heads": 16,
        "num_key_value_heads": 16,
        "kv_lora_rank": 512,
        "q_lora_rank": None,
        "qk_nope_head_dim": 128,
        "qk_rope_head_dim": 64,
        "v_head_dim": 128,
        "vocab_size": 102400,
        "max_position_embeddings": 163840,
        "tie_word_embeddings": False,
    }


def opt_config(**overrides: Any) -> dict[str, Any]:
    """facebook/opt-13b's config.json (the keys the counts read, and a few more)."""
    config: dict[str, Any] = {
        "_remove_final_layer_norm": False,
        "activation_function": "relu",
        "architectures": ["OPTForCausalLM"],
        "do_layer_norm_before": True,
        "ffn_dim": 20480,
        "hidden_size": 5120,
        "max_position_embeddings": 2048,
        "model_type": "opt",
        "num_attention_heads": 40,
        "num_hidden_layers": 40,
        "vocab_size": 50272,
        "word_embed_proj_dim": 5120,
    }
    return config | overrides


def test_llama_defaults() -> None:
    arch = from_hf_config(llama_config(), "llama-3-8b", "config.json")
    assert arch.head_dim == 4096 // 32
    assert arch.total_params == 8_030_261_248
    assert arch.source == "config.json"
    no_kv = llama_config()
    del no_kv["num_key_value_heads"]
    assert from_hf_config(no_kv, "mha", "config.json").num_kv_heads == 32


def test_deepseek_v2_lite() -> None:
    arch = from_hf_config(deepseek_v2_lite_config(), "deepseek-v2-lite", "config.json")
    assert arch.is_mla and arch.q_lora_rank == 0
    assert arch.num_dense_layers == 1
    assert arch.total_params == pytest.approx(15.7e9, rel=0.015)  # published "15.7B"
    assert arch.active_matmul_params_per_token == pytest.approx(2.4e9, rel=0.03)  # "2.4B"


def test_opt_defaults() -> None:
    arch = from_hf_config(opt_config(), "opt-13b", "facebook/opt-13b")
    assert arch.family == "opt" and "opt" in SUPPORTED_MODEL_TYPES
    assert arch.total_params == 12_853_473_280
    # enable_bias and tie_word_embeddings default to true for OPT
    assert arch.attention_bias and arch.ffn_bias and arch.tie_word_embeddings
    assert (arch.ffn_gated, arch.norm_has_bias) == (False, True)
    assert (arch.learned_position_tokens, arch.max_context_tokens) == (2050, 2048)
    assert arch == load_arch("opt-13b")  # the built-in is this config


def test_opt_enable_bias_false_drops_every_linear_bias() -> None:
    with_bias = from_hf_config(opt_config(), "b", "c")
    no_bias = from_hf_config(opt_config(enable_bias=False), "n", "c")
    assert not no_bias.attention_bias and not no_bias.ffn_bias
    attn_biases, ffn_biases = 4 * 5120, 20480 + 5120
    per_layer = with_bias.attn_params_per_layer - no_bias.attn_params_per_layer
    assert per_layer == attn_biases
    assert with_bias.dense_ffn_params_per_layer - no_bias.dense_ffn_params_per_layer == ffn_biases
    assert with_bias.total_params - no_bias.total_params == 40 * (attn_biases + ffn_biases)


def test_opt_untied() -> None:
    tied = from_hf_config(opt_config(), "t", "c")
    untied = from_hf_config(opt_config(tie_word_embeddings=False), "u", "c")
    assert untied.total_params - tied.total_params == 50272 * 5120


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"ffn_dim": None},
            "config.json: field 'ffn_dim' is missing (expected a positive integer)",
        ),
        (
            {"word_embed_proj_dim": 512, "hidden_size": 1024, "num_attention_heads": 16},
            "config.json: word_embed_proj_dim (512) differs from hidden_size (1024); "
            "OPT's project_in/project_out embedding projections (opt-350m) are unsupported",
        ),
        (
            {"do_layer_norm_before": False},
            "field 'do_layer_norm_before' is False (expected true: post-LayerNorm OPT",
        ),
        ({"_remove_final_layer_norm": True}, "field '_remove_final_layer_norm' is True"),
        ({"enable_bias": "yes"}, "field 'enable_bias' is 'yes' (expected true or false)"),
    ],
)
def test_opt_field_errors(overrides: dict[str, Any], message: str) -> None:
    config = {k: v for k, v in opt_config(**overrides).items() if v is not None}
    with pytest.raises(ArchConfigError) as excinfo:
        from_hf_config(config, "x", "config.json")
    assert message in str(excinfo.value)


def test_qwen2_has_qkv_bias_and_optional_sliding_window() -> None:
    config = llama_config(model_type="qwen2", sliding_window=32768, use_sliding_window=False)
    arch = from_hf_config(config, "q", "config.json")
    assert arch.attention_bias and arch.num_sliding_layers == 0
    config |= {"use_sliding_window": True, "max_window_layers": 28}
    arch = from_hf_config(config, "q", "config.json")
    assert (arch.num_sliding_layers, arch.sliding_window_tokens) == (4, 32768)


def test_mistral_sliding_window_covers_every_layer() -> None:
    arch = from_hf_config(llama_config(model_type="mistral", sliding_window=4096), "m", "c")
    assert (arch.num_sliding_layers, arch.sliding_window_tokens) == (32, 4096)


def test_qwen3_moe_dense_layers() -> None:
    config = llama_config(
        model_type="qwen3_moe",
        num_experts=8,
        num_experts_per_tok=2,
        moe_intermediate_size=768,
        mlp_only_layers=[0, 5],
        decoder_sparse_step=2,
    )
    # dense: layers 0 and 5 (listed) and every even index (i+1 odd)
    assert from_hf_config(config, "q", "c").num_dense_layers == 17


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"hidden_size": None},
            "config.json: field 'hidden_size' is missing (expected a positive integer)",
        ),
        (
            {"hidden_size": "4096"},
            "config.json: field 'hidden_size' is '4096' (expected a positive integer)",
        ),
        (
            {"num_hidden_layers": 0},
            "config.json: field 'num_hidden_layers' is 0 (expected a positive integer)",
        ),
        (
            {"vocab_size": True},
            "config.json: field 'vocab_size' is True (expected a positive integer)",
        ),
        (
            {"tie_word_embeddings": "no"},
            "config.json: field 'tie_word_embeddings' is 'no' (expected true or false)",
        ),
        (
            {"num_key_value_heads": 5},
            "config.json: num_heads (32) must be divisible by num_kv_heads (5)",
        ),
        ({"model_type": None}, "config.json: field 'model_type' is missing (expected one of"),
    ],
)
def test_field_errors(overrides: dict[str, Any], message: str) -> None:
    config = {k: v for k, v in llama_config(**overrides).items() if v is not None}
    with pytest.raises(ArchConfigError) as excinfo:
        from_hf_config(config, "x", "config.json")
    assert message in str(excinfo.value)


def test_unsupported_model_type_lists_supported() -> None:
    with pytest.raises(ArchConfigError) as excinfo:
        from_hf_config(llama_config(model_type="mamba"), "x", "config.json")
    message = str(excinfo.value)
    assert "'mamba' is not supported" in message
    assert all(t in message for t in SUPPORTED_MODEL_TYPES)


def test_bad_layer_types() -> None:
    config = llama_config(model_type="gpt_oss", layer_types=["full_attention"] * 3)
    with pytest.raises(ArchConfigError, match="field 'layer_types'"):
        from_hf_config(config, "x", "config.json")


def test_loads_by_path_and_directory(tmp_path: Path) -> None:
    model_dir = tmp_path / "my-llama"
    model_dir.mkdir()
    (model_dir / "config.json").write_text(json.dumps(llama_config()))
    by_dir = load_arch(model_dir)
    by_file = load_arch(str(model_dir / "config.json"))
    assert by_dir == by_file
    assert by_dir.name == "my-llama"
    assert by_dir.source == str(model_dir / "config.json")
    other = tmp_path / "other.json"
    other.write_text(json.dumps(llama_config()))
    assert load_arch(other).name == "other"


def test_bad_json_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text('{\n  "model_type": "llama",\n  "hidden_size": 4096,,\n}\n')
    with pytest.raises(ArchConfigError) as excinfo:
        load_arch(path)
    assert f"{path}: invalid JSON at line 3" in str(excinfo.value)


def test_json_that_is_not_an_object(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text("[1, 2]")
    with pytest.raises(ArchConfigError, match="expected a JSON object, got list"):
        load_arch(path)


def test_missing_paths(tmp_path: Path) -> None:
    with pytest.raises(ArchConfigError, match=r"directory has no config\.json"):
        load_arch(tmp_path)
    with pytest.raises(ArchConfigError, match="no such file"):
        load_arch(tmp_path / "nope.json")
    with pytest.raises(ArchConfigError, match="no such file"):
        load_arch("models/nope")


def test_unknown_name_suggests_close_name() -> None:
    with pytest.raises(UnknownNameError) as excinfo:
        load_arch("llama-3.1-70")
    assert "llama-3.1-70b" in excinfo.value.suggestions
    assert "Did you mean 'llama-3.1-70b'" in str(excinfo.value)


def test_builtin_name_is_case_insensitive() -> None:
    assert load_arch("Llama-3.1-70B") is load_arch("llama-3.1-70b")
