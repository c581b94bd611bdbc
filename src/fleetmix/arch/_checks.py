"""Consistency checks of an `Arch`, run by its `__post_init__`.

Each check raises ValueError with the offending values in the message; the loader turns it into
an ArchConfigError that names the config file.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fleetmix.arch.records import Arch

_POSITIVE = (
    "num_layers",
    "hidden_size",
    "num_heads",
    "num_kv_heads",
    "head_dim",
    "intermediate_size",
    "vocab_size",
    "max_context_tokens",
)
_NON_NEGATIVE = (
    "num_experts",
    "num_experts_per_token",
    "moe_intermediate_size",
    "num_shared_experts",
    "num_dense_layers",
    "q_lora_rank",
    "kv_lora_rank",
    "qk_nope_head_dim",
    "qk_rope_head_dim",
    "v_head_dim",
    "sliding_window_tokens",
    "num_sliding_layers",
    "learned_position_tokens",
)
_MOE_ONLY = (
    "num_experts_per_token",
    "moe_intermediate_size",
    "num_shared_experts",
    "num_dense_layers",
)
_MLA_ONLY = ("q_lora_rank", "qk_nope_head_dim", "qk_rope_head_dim")


def check_arch(a: Arch) -> None:
    """Raise ValueError if `a` is not a consistent architecture."""
    if not a.name:
        raise ValueError("name must not be empty")
    for f in _POSITIVE:
        if getattr(a, f) <= 0:
            raise ValueError(f"{f} ({getattr(a, f)}) must be > 0")
    for f in _NON_NEGATIVE:
        if getattr(a, f) < 0:
            raise ValueError(f"{f} ({getattr(a, f)}) must be >= 0")
    h, kv = a.num_heads, a.num_kv_heads
    if h % kv:
        raise ValueError(f"num_heads ({h}) must be divisible by num_kv_heads ({kv})")
    _check_moe(a)
    _check_mla(a)
    _check_sliding(a)
    pos, ctx = a.learned_position_tokens, a.max_context_tokens
    if 0 < pos < ctx:
        raise ValueError(
            f"learned_position_tokens ({pos}) must be 0 or >= max_context_tokens ({ctx})"
        )


def _check_moe(a: Arch) -> None:
    e, k = a.num_experts, a.num_experts_per_token
    if e == 0:
        for f in _MOE_ONLY:
            if getattr(a, f) != 0:
                raise ValueError(f"{f} ({getattr(a, f)}) must be 0 when num_experts is 0")
        return
    if not 1 <= k <= e:
        raise ValueError(f"num_experts_per_token ({k}) must be in 1..num_experts ({e})")
    if a.moe_intermediate_size <= 0:
        raise ValueError(f"moe_intermediate_size ({a.moe_intermediate_size}) must be > 0 for MoE")
    if a.num_dense_layers >= a.num_layers:
        raise ValueError(
            f"num_dense_layers ({a.num_dense_layers}) must be < num_layers ({a.num_layers}) for MoE"
        )


def _check_mla(a: Arch) -> None:
    if a.kv_lora_rank == 0:
        for f in _MLA_ONLY:
            if getattr(a, f) != 0:
                raise ValueError(f"{f} ({getattr(a, f)}) must be 0 when kv_lora_rank is 0")
        return
    nope, rope, v = a.qk_nope_head_dim, a.qk_rope_head_dim, a.v_head_dim
    if nope <= 0 or rope <= 0 or v <= 0:
        raise ValueError(
            f"MLA needs qk_nope_head_dim ({nope}), qk_rope_head_dim ({rope}) and "
            f"v_head_dim ({v}) > 0"
        )
    if a.head_dim != nope + rope:
        raise ValueError(
            f"head_dim ({a.head_dim}) must equal qk_nope_head_dim ({nope}) + "
            f"qk_rope_head_dim ({rope}) for MLA"
        )
    if a.num_kv_heads != a.num_heads:
        raise ValueError(
            f"num_kv_heads ({a.num_kv_heads}) must equal num_heads ({a.num_heads}) for MLA"
        )


def _check_sliding(a: Arch) -> None:
    if a.num_sliding_layers > a.num_layers:
        raise ValueError(
            f"num_sliding_layers ({a.num_sliding_layers}) must be <= num_layers ({a.num_layers})"
        )
    if (a.num_sliding_layers > 0) != (a.sliding_window_tokens > 0):
        raise ValueError(
            f"num_sliding_layers ({a.num_sliding_layers}) and sliding_window_tokens "
            f"({a.sliding_window_tokens}) must both be 0 or both be > 0"
        )
