"""Build `Arch` records from Hugging Face config.json files, built-in or on disk.

Built-ins are the published config.json files in `fleetmix/arch/data/<name>.json`, plus a
top-level `"_fleetmix_source"` key with the HF repo id they were copied from. They are read on
first use, never at import.

NOTE(arch): DeepSeek-V3's multi-token-prediction layer (`num_nextn_predict_layers`, 14B params)
is not part of the 671B main model and is ignored: inference without speculative decoding never
runs it.

NOTE(arch): OPT (model_type "opt") is read for its pre-LayerNorm shape (every size but 350m):
opt-350m's post-LayerNorm layout and its word_embed_proj_dim projections raise ArchConfigError.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from fleetmix.arch._fields import FieldReader
from fleetmix.arch.records import Arch
from fleetmix.errors import ArchConfigError, UnknownNameError

_BUILTIN_NAMES = (
    "llama-2-70b",
    "llama-3-8b",
    "llama-3-70b",
    "llama-3.1-8b",
    "llama-3.1-70b",
    "llama-3.1-405b",
    "llama-3.2-1b",
    "llama-3.3-70b",
    "mixtral-8x7b",
    "qwen3-32b",
    "qwen3-235b-a22b",
    "deepseek-v3",
    "gpt-oss-20b",
    "gpt-oss-120b",
    "opt-13b",
)
_LAYER_TYPES = ("full_attention", "sliding_attention")

_MoeReader = Callable[[FieldReader, int], dict[str, Any]]  # (reader, num_layers) -> Arch fields


def _moe_local_experts(r: FieldReader, num_layers: int) -> dict[str, Any]:
    """Mixtral, gpt-oss: every layer is MoE and an expert is intermediate_size wide."""
    top_k_key = "num_experts_per_tok" if r.has("num_experts_per_tok") else "experts_per_token"
    return {
        "num_experts": r.int_("num_local_experts"),
        "num_experts_per_token": r.int_(top_k_key),
        "moe_intermediate_size": r.int_("intermediate_size"),
    }


def _moe_qwen3(r: FieldReader, num_layers: int) -> dict[str, Any]:
    """Qwen3-MoE: layer i is dense if listed in mlp_only_layers or (i+1) % step != 0."""
    step = r.int_("decoder_sparse_step", 1)
    mlp_only = set(r.int_list("mlp_only_layers", maximum=num_layers))
    dense = sum(1 for i in range(num_layers) if i in mlp_only or (i + 1) % step)
    return {
        "num_experts": r.int_("num_experts"),
        "num_experts_per_token": r.int_("num_experts_per_tok"),
        "moe_intermediate_size": r.int_("moe_intermediate_size"),
        "num_dense_layers": dense,  # NOTE(arch): counted, wherever they sit
    }


def _moe_deepseek(r: FieldReader, num_layers: int) -> dict[str, Any]:
    """DeepSeek-V2/V3: layer i is MoE if i >= first_k_dense_replace and i % moe_layer_freq == 0."""
    if not r.has("n_routed_experts"):  # null: a dense DeepSeek model
        return {}
    first_dense = r.int_("first_k_dense_replace", 0, minimum=0)
    freq = r.int_("moe_layer_freq", 1)
    dense = sum(1 for i in range(num_layers) if i < first_dense or i % freq)
    return {
        "num_experts": r.int_("n_routed_experts"),
        "num_experts_per_token": r.int_("num_experts_per_tok"),
        "moe_intermediate_size": r.int_("moe_intermediate_size"),
        "num_shared_experts": r.int_("n_shared_experts", 0, minimum=0),
        "num_dense_layers": dense,
    }


_MOE_READERS: dict[str, _MoeReader] = {
    "mixtral": _moe_local_experts,
    "gpt_oss": _moe_local_experts,
    "qwen3_moe": _moe_qwen3,
    "deepseek_v2": _moe_deepseek,
    "deepseek_v3": _moe_deepseek,
}
_DENSE_FAMILIES = ("llama", "mistral", "qwen2", "qwen3", "opt")
SUPPORTED_MODEL_TYPES = (*_DENSE_FAMILIES, *_MOE_READERS)
_MLA_FAMILIES = ("deepseek_v2", "deepseek_v3")
_QWEN_FAMILIES = ("qwen2", "qwen3", "qwen3_moe")
_ALL_SLIDING_FAMILIES = ("mistral", "mixtral")  # a non-null sliding_window applies to every layer
# attention_bias when the key is absent; qwen2 always has q/k/v biases, Mistral never
_DEFAULT_ATTN_BIAS = {"gpt_oss": True}
_FIXED_ATTN_BIAS = {"qwen2": True, "mistral": False, "mixtral": False}
_DEFAULT_TIED_EMBEDDINGS = {"opt": True}  # tie_word_embeddings when the key is absent
# OPTLearnedPositionalEmbedding has max_position_embeddings + 2 rows (fairseq's padding offset)
_OPT_POSITION_OFFSET = 2


def _attention_fields(r: FieldReader, family: str) -> dict[str, Any]:
    heads = r.int_("num_attention_heads")
    if family in _MLA_FAMILIES:
        nope, rope = r.int_("qk_nope_head_dim"), r.int_("qk_rope_head_dim")
        return {
            "num_heads": heads,
            "num_kv_heads": heads,  # MLA: every head reads the shared latent
            "head_dim": nope + rope,
            "q_lora_rank": r.int_("q_lora_rank", 0, minimum=0),
            "kv_lora_rank": r.int_("kv_lora_rank"),
            "qk_nope_head_dim": nope,
            "qk_rope_head_dim": rope,
            "v_head_dim": r.int_("v_head_dim"),
        }
    hidden = r.int_("hidden_size")
    if not r.has("head_dim") and hidden % heads:
        raise ArchConfigError(
            f"{r.source}: field 'head_dim' is missing and hidden_size ({hidden}) is not "
            f"divisible by num_attention_heads ({heads}) (expected a positive integer)"
        )
    return {
        "num_heads": heads,
        "num_kv_heads": r.int_("num_key_value_heads", heads),
        "head_dim": r.int_("head_dim", hidden // heads),
    }


def _sliding_fields(r: FieldReader, family: str, num_layers: int) -> dict[str, Any]:
    """Which layers use a sliding window, from layer_types or the family's older keys."""
    if r.has("layer_types"):
        types = r.str_list("layer_types", _LAYER_TYPES, num_layers)
        num_sliding = types.count("sliding_attention")
    elif family == "gpt_oss":  # transformers' default: even layers slide
        num_sliding = (num_layers + 1) // 2
    elif family in _QWEN_FAMILIES and r.bool_("use_sliding_window", False):
        # Qwen: layers with index >= max_window_layers slide
        num_sliding = num_layers - min(num_layers, r.int_("max_window_layers", minimum=0))
    elif family in _ALL_SLIDING_FAMILIES and r.has("sliding_window"):
        num_sliding = num_layers
    else:
        num_sliding = 0
    if num_sliding == 0:
        return {}
    return {"num_sliding_layers": num_sliding, "sliding_window_tokens": r.int_("sliding_window")}


def _attention_bias(r: FieldReader, family: str) -> bool:
    if family == "opt":  # enable_bias covers q, k, v, out_proj (and fc1, fc2)
        return r.bool_("enable_bias", True)
    if family in _FIXED_ATTN_BIAS:
        return _FIXED_ATTN_BIAS[family]
    return r.bool_("attention_bias", _DEFAULT_ATTN_BIAS.get(family, False))


def _opt_fields(r: FieldReader) -> dict[str, Any]:
    """OPT: ReLU fc1/fc2 FFN, LayerNorms, learned positions; only the pre-LayerNorm layout."""
    hidden = r.int_("hidden_size")
    proj = r.int_("word_embed_proj_dim", hidden)
    if proj != hidden:
        raise ArchConfigError(
            f"{r.source}: word_embed_proj_dim ({proj}) differs from hidden_size ({hidden}); "
            f"OPT's project_in/project_out embedding projections (opt-350m) are unsupported"
        )
    if not r.bool_("do_layer_norm_before", True):
        raise r.error("do_layer_norm_before", "true: post-LayerNorm OPT (opt-350m) is unsupported")
    if r.bool_("_remove_final_layer_norm", False):
        raise r.error("_remove_final_layer_norm", "false: OPT without a final norm is unsupported")
    if not r.bool_("layer_norm_elementwise_affine", True):
        raise r.error(
            "layer_norm_elementwise_affine", "true: LayerNorm without weights is unsupported"
        )
    return {
        "intermediate_size": r.int_("ffn_dim"),
        "ffn_gated": False,
        "ffn_bias": r.bool_("enable_bias", True),
        "norm_has_bias": True,
        "learned_position_tokens": r.int_("max_position_embeddings") + _OPT_POSITION_OFFSET,
    }


def _ffn_fields(r: FieldReader, family: str) -> dict[str, Any]:
    """Dense FFN width and layout, and the family's norm and position fields."""
    if family == "opt":
        return _opt_fields(r)
    if r.bool_("mlp_bias", False):
        raise r.error("mlp_bias", "false: FFN biases are not modelled for this family")
    return {"intermediate_size": r.int_("intermediate_size")}


def from_hf_config(config: Mapping[str, Any], name: str, source: str) -> Arch:
    """Read a Hugging Face config.json dict (see SUPPORTED_MODEL_TYPES) into an `Arch`.

    `source` names the file or repo in error messages and becomes `Arch.source`. Unknown keys
    are ignored; a missing or mistyped key the counts need raises ArchConfigError.
    """
    r = FieldReader(config, source)
    family = r.str_("model_type", f"one of {', '.join(SUPPORTED_MODEL_TYPES)}")
    if family not in SUPPORTED_MODEL_TYPES:
        raise ArchConfigError(
            f"{source}: model_type {family!r} is not supported; supported: "
            f"{', '.join(SUPPORTED_MODEL_TYPES)}"
        )
    num_layers = r.int_("num_hidden_layers")
    moe_reader = _MOE_READERS.get(family)
    fields: dict[str, Any] = {
        "name": name,
        "family": family,
        "num_layers": num_layers,
        "hidden_size": r.int_("hidden_size"),
        "vocab_size": r.int_("vocab_size"),
        "tie_word_embeddings": r.bool_(
            "tie_word_embeddings", _DEFAULT_TIED_EMBEDDINGS.get(family, False)
        ),
        "max_context_tokens": r.int_("max_position_embeddings"),
        "attention_bias": _attention_bias(r, family),
        "source": source,
        **_ffn_fields(r, family),
        **_attention_fields(r, family),
        **_sliding_fields(r, family, num_layers),
        **(moe_reader(r, num_layers) if moe_reader else {}),
    }
    try:
        return Arch(**fields)
    except ValueError as e:
        raise ArchConfigError(f"{source}: {e}") from e


def _parse_json(text: str, source: str) -> dict[str, Any]:
    try:
        config = json.loads(text)
    except json.JSONDecodeError as e:
        raise ArchConfigError(
            f"{source}: invalid JSON at line {e.lineno}, column {e.colno}: {e.msg}"
        ) from e
    if not isinstance(config, dict):
        raise ArchConfigError(f"{source}: expected a JSON object, got {type(config).__name__}")
    return config


def builtin_names() -> tuple[str, ...]:
    """Names of the built-in architectures."""
    return _BUILTIN_NAMES


@cache
def _load_builtin(name: str) -> Arch:
    resource = resources.files("fleetmix.arch") / "data" / f"{name}.json"
    file_label = f"built-in {name}.json"
    config = _parse_json(resource.read_text(encoding="utf-8"), file_label)
    repo = FieldReader(config, file_label).str_("_fleetmix_source", "a Hugging Face repo id")
    return from_hf_config(config, name, repo)


@lru_cache(maxsize=1)
def builtin_archs() -> tuple[Arch, ...]:
    """Every built-in architecture, in builtin_names() order."""
    return tuple(_load_builtin(n) for n in _BUILTIN_NAMES)


def _looks_like_path(name: str) -> bool:
    return "/" in name or "\\" in name or name.endswith(".json")


def _load_file(path: Path) -> Arch:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise ArchConfigError(f"{path}: cannot read: {e}") from e
    # a model directory's config.json is named after the directory
    name = path.resolve().parent.name if path.name == "config.json" else path.stem
    return from_hf_config(_parse_json(text, str(path)), name, str(path))


def load_arch(name_or_path: str | Path) -> Arch:
    """A built-in name, a path to a config.json, or a directory that contains config.json."""
    if isinstance(name_or_path, str) and name_or_path.lower() in _BUILTIN_NAMES:
        return _load_builtin(name_or_path.lower())
    path = Path(name_or_path)
    if path.is_dir():
        path = path / "config.json"
        if not path.is_file():
            raise ArchConfigError(f"{path.parent}: directory has no config.json")
    if path.is_file():
        return _load_file(path)
    if isinstance(name_or_path, Path) or _looks_like_path(name_or_path):
        raise ArchConfigError(f"{path}: no such file")
    raise UnknownNameError("arch", name_or_path, _BUILTIN_NAMES)
