"""Memory of one deployment per chip: weights, activations, reserve, and the KV cache left over."""

from __future__ import annotations

import math
from dataclasses import dataclass

from fleetmix.perf.deployment import ACTIVATION_BYTES, Deployment


def weight_bytes_total(dep: Deployment) -> float:
    """All weights of the arch at the deployment's precision.

    Embedding and LM head stay in bf16 (quantized checkpoints keep them unquantized).
    """
    arch = dep.arch
    head_params = arch.embedding_params + arch.lm_head_params
    body_params = arch.total_params - head_params
    return body_params * dep.weight_bytes_per_param + head_params * 2.0


def weight_bytes_per_chip(dep: Deployment) -> float:
    """Weights are split evenly over TP (tensor or expert split) and PP stages."""
    return weight_bytes_total(dep) / dep.chips


def kv_share_per_chip(dep: Deployment) -> float:
    """Fraction of one layer's KV elements that one TP rank stores.

    GQA heads split over TP but are replicated once tp exceeds the KV head count; MLA's latent
    cache is replicated on every rank (vLLM and TRT-LLM without attention data parallelism).
    """
    arch = dep.arch
    if arch.is_mla:
        return 1.0
    return max(1.0 / dep.tp, 1.0 / arch.num_kv_heads)


def kv_bytes_per_token_per_chip(dep: Deployment, context_tokens: float | None = None) -> float:
    """KV-cache bytes one token of a sequence costs on one chip.

    With `context_tokens`, sliding-window layers hold only the last window of a sequence of that
    length, so the figure is the average per token of such a sequence.
    """
    arch = dep.arch
    per_layer = arch.kv_elements_per_token_per_layer * kv_share_per_chip(dep)
    layers = float(arch.num_full_attention_layers)
    if arch.num_sliding_layers:
        if context_tokens is None:
            sliding_fraction = 0.0
        else:
            sliding_fraction = min(1.0, arch.sliding_window_tokens / max(context_tokens, 1.0))
        layers += arch.num_sliding_layers * sliding_fraction
    stage_layers_fraction = math.ceil(arch.num_layers / dep.pp) / arch.num_layers
    return layers * stage_layers_fraction * per_layer * dep.kv_bytes_per_element


def activation_bytes_per_chip(dep: Deployment) -> float:
    """Peak activation workspace of one step at the engine's token budget, and the logits buffer."""
    arch = dep.arch
    tokens = dep.engine.max_batch_tokens
    ffn_width = (arch.moe_intermediate_size * arch.num_experts_per_token
                 if arch.is_moe else arch.intermediate_size)
    per_token = (4 * arch.hidden_size + 2 * ffn_width / dep.tp) * ACTIVATION_BYTES
    logits = dep.engine.max_batch_seqs * arch.vocab_size / dep.tp * 4.0  # fp32 logits
    return tokens * per_token + logits


@dataclass(frozen=True, kw_only=True)
class MemoryFit:
    """How one chip's memory divides up, and whether a request of `need_tokens` fits."""

    capacity_bytes: float  # device memory
    usable_bytes: float  # what the engine may use (mem_utilization)
    weight_bytes: float
    activation_bytes: float
    kv_budget_bytes: float  # usable - weights - activations (may be negative)
    kv_bytes_per_token: float  # at the context length the fit was asked for
    kv_cache_tokens: int  # tokens of KV cache per replica, whole blocks
    need_tokens: int  # tokens one request must be able to hold

    @property
    def fits(self) -> bool:
        return self.kv_cache_tokens >= self.need_tokens

    @property
    def needed_bytes(self) -> float:
        """Bytes per chip needed to hold the weights, workspace and one request's KV."""
        kv_bytes = self.need_tokens * self.kv_bytes_per_token
        return self.weight_bytes + self.activation_bytes + kv_bytes

    def explain(self) -> str:
        gb = 1e9
        return (
            f"needs {self.needed_bytes / gb:.1f} GB per chip (weights {self.weight_bytes / gb:.1f}"
            f" GB, workspace {self.activation_bytes / gb:.1f} GB, KV for {self.need_tokens} "
            f"tokens {self.need_tokens * self.kv_bytes_per_token / gb:.2f} GB) against "
            f"{self.usable_bytes / gb:.1f} GB usable of {self.capacity_bytes / gb:.1f} GB"
        )


def memory_fit(dep: Deployment, need_tokens: int) -> MemoryFit:
    """Memory use per chip and the KV-cache capacity left for a request of `need_tokens` tokens."""
    capacity = dep.accelerator.mem_bytes
    weights = weight_bytes_per_chip(dep)
    activations = activation_bytes_per_chip(dep)
    if dep.engine.mem_fraction_of == "free":
        # TensorRT-LLM: the KV cache takes a fraction of what is free after weights/workspace.
        free = capacity - weights - activations
        kv_budget = free * dep.engine.mem_utilization
        usable = capacity - (1.0 - dep.engine.mem_utilization) * max(free, 0.0)
    else:
        usable = capacity * dep.engine.mem_utilization
        kv_budget = usable - weights - activations
    kv_per_token = kv_bytes_per_token_per_chip(dep, float(need_tokens))
    block = dep.engine.kv_block_tokens
    tokens = int(max(kv_budget, 0.0) / kv_per_token) // block * block if kv_per_token > 0 else 0
    return MemoryFit(
        capacity_bytes=capacity, usable_bytes=usable, weight_bytes=weights,
        activation_bytes=activations, kv_budget_bytes=kv_budget,
        kv_bytes_per_token=kv_per_token, kv_cache_tokens=tokens, need_tokens=need_tokens,
    )
