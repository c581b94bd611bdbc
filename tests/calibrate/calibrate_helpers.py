"""Tiny architectures of every family the decoder builds (Hugging Face config.json shapes)."""

from __future__ import annotations

from typing import Any

from fleetmix.arch import Arch, from_hf_config

_BASE: dict[str, Any] = {
    "num_hidden_layers": 3, "hidden_size": 64, "vocab_size": 96,
    "max_position_embeddings": 256, "num_attention_heads": 4, "num_key_value_heads": 2,
    "intermediate_size": 128, "tie_word_embeddings": False,
}

CONFIGS: dict[str, dict[str, Any]] = {
    "llama": {"model_type": "llama"},
    "llama-tied": {"model_type": "llama", "tie_word_embeddings": True},
    "qwen2": {"model_type": "qwen2"},  # q/k/v biases, no o bias
    "qwen3": {"model_type": "qwen3", "head_dim": 32},  # q/k norms, head_dim != hidden/heads
    "mistral": {"model_type": "mistral", "sliding_window": 16},  # every layer slides
    "opt": {"model_type": "opt", "ffn_dim": 128, "enable_bias": True,
            "do_layer_norm_before": True, "word_embed_proj_dim": 64,
            "num_key_value_heads": 4},
    "mixtral": {"model_type": "mixtral", "num_local_experts": 4, "num_experts_per_tok": 2,
                "sliding_window": None},
    "qwen3_moe": {"model_type": "qwen3_moe", "head_dim": 16, "num_experts": 6,
                  "num_experts_per_tok": 2, "moe_intermediate_size": 32,
                  "decoder_sparse_step": 1, "mlp_only_layers": [0]},
}


def tiny_config(name: str, **overrides: Any) -> dict[str, Any]:
    return {**_BASE, **CONFIGS[name], **overrides}


def tiny_arch(name: str, **overrides: Any) -> Arch:
    return from_hf_config(tiny_config(name, **overrides), f"tiny-{name}", f"test:{name}")
