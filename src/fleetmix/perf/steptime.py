"""Time of one engine step: a per-operator roofline, collectives and host overhead.

Every function takes numpy arrays for the batch description and broadcasts, so one call
evaluates many operating points. A step processes, per replica:

- `decode_seqs` sequences that each add one token at mean context `decode_context_tokens`;
- `prefill_tokens` new prompt tokens (chunked prefill), whose attention covers
  `prefill_attn_pairs` (new token, context token) pairs, from `prefill_seqs` sequences.

Per operator, time = max(FLOPs / (peak × eff), bytes / (bandwidth × eff)), summed over operators
and layers (source: the roofline model, jax-ml/scaling-book "inference"; Williams et al. 2009).

NOTE: with pipeline parallelism the batch splits into m = min(pp, batch) micro-batches that
cycle through the stages independently; a micro-batch's next token needs its previous one, so one
round in which every sequence advances a token takes L × t_layer(batch / m) plus pp hand-offs
(each stage is busy m/pp of the round). TP ranks work in lockstep, so per-chip times are the
replica's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from fleetmix.perf.deployment import ACTIVATION_BYTES, Deployment
from fleetmix.perf.memory import kv_share_per_chip

Array = NDArray[np.float64]

SCALE_OUT_BW_BYTES_PER_S = 50e9
"""Network bandwidth per accelerator between scale-up domains, one direction: a 400 Gb/s NIC per
chip, as in NVIDIA DGX/HGX H100 and H200 reference clusters (one ConnectX-7 per GPU)."""

PIPELINE_IMBALANCE = 0.15
"""Extra round time with pipeline parallelism, at the limit of many stages (fraction).

NOTE: micro-batches that mix prefill chunks and decode tokens cost different amounts per stage,
so stages wait on one another; the round grows by PIPELINE_IMBALANCE × (pp - 1) / pp. An
assumption (no public measurement in the reference isolates it); without it the model would
prefer deep pipelines over tensor parallelism at high batch, which engines do not see.
"""


def _roofline(flops: Array, bytes_: Array | float, flops_per_s: float, bytes_per_s: float
              ) -> Array:
    return np.maximum(flops / flops_per_s, bytes_ / bytes_per_s)


def attention_peak_flops_per_s(dep: Deployment) -> float:
    """Attention runs in bf16; a chip without a published bf16 peak is taken at half its fp8."""
    peaks = dep.accelerator.peak_flops_per_s
    return peaks["bf16"] if "bf16" in peaks else peaks["fp8"] / 2.0


def expected_experts_touched(num_experts: int, top_k: int, tokens: Array) -> Array:
    """Distinct experts a batch of `tokens` tokens routes to, for uniform routing."""
    miss = (1.0 - top_k / num_experts) ** np.maximum(tokens, 0.0)
    return num_experts * (1.0 - miss)


@dataclass(frozen=True)
class StepBreakdown:
    """Seconds per step by kind of work (arrays of the broadcast shape)."""

    linear_s: Array  # weight GEMMs (attention projections, FFN/experts, LM head)
    attention_s: Array  # attention over the KV cache (decode) and the prompt (prefill)
    comm_s: Array  # TP all-reduce, EP all-to-all, PP hand-offs
    overhead_s: Array  # host time: scheduling, sampling

    @property
    def total_s(self) -> Array:
        return self.linear_s + self.attention_s + self.comm_s + self.overhead_s


def step_breakdown(
    dep: Deployment,
    *,
    decode_seqs: ArrayLike,
    decode_context_tokens: ArrayLike,
    prefill_tokens: ArrayLike = 0.0,
    prefill_attn_pairs: ArrayLike = 0.0,
    prefill_seqs: ArrayLike = 0.0,
) -> StepBreakdown:
    """Time of one step of the replica, split by kind of work."""
    acc, eff = dep.accelerator, dep.efficiency
    d = np.asarray(decode_seqs, dtype=np.float64)
    ctx = np.asarray(decode_context_tokens, dtype=np.float64)
    p = np.asarray(prefill_tokens, dtype=np.float64)
    pairs = np.asarray(prefill_attn_pairs, dtype=np.float64)
    p_seqs = np.asarray(prefill_seqs, dtype=np.float64)

    tokens = d + p
    micro = np.minimum(float(dep.pp), np.maximum(tokens, 1.0))  # micro-batches in flight
    t = tokens / micro  # tokens per micro-batch
    d_mb, p_mb, pairs_mb = d / micro, p / micro, pairs / micro

    linear = linear_s(dep, t) + lm_head_s(dep, d_mb + p_seqs / micro)
    attn_flops_per_s = attention_peak_flops_per_s(dep) * eff.attn_eff
    kv_bw = acc.mem_bw_bytes_per_s * eff.kv_read_eff
    attention = _attention_s(dep, d_mb, ctx, p_mb, pairs_mb, attn_flops_per_s, kv_bw)
    if dep.pp > 1:
        imbalance = 1.0 + PIPELINE_IMBALANCE * (dep.pp - 1) / dep.pp
        linear, attention = linear * imbalance, attention * imbalance
    comm = _comm_s(dep, t)
    overhead = np.broadcast_to(eff.step_overhead_s + eff.seq_overhead_s * (d + p_seqs), t.shape)
    return StepBreakdown(linear_s=linear, attention_s=attention, comm_s=comm, overhead_s=overhead)


def linear_s(dep: Deployment, t: Array) -> Array:
    """Weight GEMMs of all layers (LM head excluded) for a micro-batch of `t` tokens."""
    arch, acc, eff = dep.arch, dep.accelerator, dep.efficiency
    tp = float(dep.tp)
    mm_flops_per_s = acc.peak_flops_per_s[dep.precision] * eff.matmul_eff
    bw = acc.mem_bw_bytes_per_s * eff.mem_eff
    wb = dep.weight_bytes_per_param

    # Attention projections: every layer.
    attn_proj = _roofline(2.0 * arch.attn_params_per_layer / tp * t,
                          arch.attn_params_per_layer / tp * wb + 4 * t * arch.hidden_size * 2.0,
                          mm_flops_per_s, bw)
    linear = arch.num_layers * attn_proj

    # FFN: dense layers, then MoE layers (only the experts the batch touches are read).
    if arch.num_ffn_dense_layers:
        ffn = _roofline(2.0 * arch.dense_ffn_params_per_layer / tp * t,
                        arch.dense_ffn_params_per_layer / tp * wb, mm_flops_per_s, bw)
        linear = linear + arch.num_ffn_dense_layers * ffn
    if arch.is_moe:
        touched = expected_experts_touched(arch.num_experts, arch.num_experts_per_token, t)
        # Routed experts run as grouped GEMMs of a few tokens each, far below the dense
        # GEMMs' efficiency (expert_matmul_eff); the shared expert and router are dense.
        routed_flops = 2.0 * arch.num_experts_per_token * arch.expert_params / tp * t
        dense_flops = 2.0 * (arch.shared_expert_params / tp + arch.router_params_per_layer) * t
        expert_flops_per_s = acc.peak_flops_per_s[dep.precision] * eff.expert_matmul_eff
        moe_compute_s = routed_flops / expert_flops_per_s + dense_flops / mm_flops_per_s
        moe_bytes = (touched * arch.expert_params + arch.shared_expert_params) / tp * wb
        linear = linear + arch.num_moe_layers * np.maximum(moe_compute_s, moe_bytes / bw)
    return linear


def lm_head_s(dep: Deployment, logits: Array) -> Array:
    """LM head (kept bf16) for `logits` sequences that sample a token in a micro-batch."""
    arch, eff = dep.arch, dep.efficiency
    head_params = arch.vocab_size * arch.hidden_size / dep.tp
    return _roofline(2.0 * head_params * logits, head_params * 2.0,
                     attention_peak_flops_per_s(dep) * eff.matmul_eff,
                     dep.accelerator.mem_bw_bytes_per_s * eff.mem_eff)


def step_time_s(dep: Deployment, **batch: ArrayLike) -> Array:
    """Seconds one engine step takes; keyword arguments as `step_breakdown`."""
    return step_breakdown(dep, **batch).total_s


def attention_work_per_layer(dep: Deployment) -> tuple[float, float]:
    """Per chip and layer: attention FLOPs per (new token, context token) pair, and KV bytes
    read per context token. Heads split over TP (replicated beyond the head count)."""
    arch = dep.arch
    head_share = 1.0 / dep.tp if arch.num_heads >= dep.tp else 1.0 / arch.num_heads
    flops_per_pair = arch.attn_flops_per_token_per_context_token * head_share
    kv_bytes_per_token = (arch.kv_elements_per_token_per_layer * kv_share_per_chip(dep)
                          * dep.kv_bytes_per_element)
    return flops_per_pair, kv_bytes_per_token


def _attention_s(dep: Deployment, d: Array, ctx: Array, p: Array, pairs: Array,
                 attn_flops_per_s: float, kv_bw: float) -> Array:
    """Attention over all layers for one micro-batch: decode reads KV (at `kv_bw` bytes/s),
    prefill is compute-bound."""
    arch = dep.arch
    flops_per_pair, kv_bytes_per_token = attention_work_per_layer(dep)
    total = np.zeros(np.broadcast(d, ctx, p, pairs).shape)
    layer_kinds = [(arch.num_full_attention_layers, ctx, pairs)]
    if arch.num_sliding_layers:
        window = float(arch.sliding_window_tokens)
        capped_pairs = np.minimum(pairs, p * window)
        layer_kinds.append((arch.num_sliding_layers, np.minimum(ctx, window), capped_pairs))
    for layers, context, prefill_pairs in layer_kinds:
        decode = _roofline(flops_per_pair * d * context, kv_bytes_per_token * d * context,
                           attn_flops_per_s, kv_bw)
        prefill = flops_per_pair * prefill_pairs / attn_flops_per_s
        total = total + layers * (decode + prefill)
    return total


def _comm_s(dep: Deployment, t: Array) -> Array:
    """Collectives for one micro-batch of `t` tokens over all layers."""
    arch, acc, eff = dep.arch, dep.accelerator, dep.efficiency
    zero = np.zeros_like(t)
    if dep.tp == 1 and dep.pp == 1:
        return zero
    link = (acc.scaleup_bw_uni_bytes_per_s or 0.0) * eff.comm_eff
    msg_bytes = t * arch.hidden_size * ACTIVATION_BYTES
    total = zero
    if dep.tp > 1:
        ring = 2.0 * (dep.tp - 1) / dep.tp
        # Latency: 2·log2(tp) steps (recursive doubling, what small-message all-reduces use);
        # bandwidth: the ring's 2(tp-1)/tp of the message.
        steps = 2.0 * math.log2(dep.tp)
        allreduce = steps * eff.collective_latency_s + ring * msg_bytes / link
        moe_layers = arch.num_moe_layers if dep.ep > 1 else 0
        total = total + (2 * arch.num_layers - moe_layers) * allreduce
        if moe_layers:
            routed = msg_bytes * arch.num_experts_per_token / dep.ep * (dep.ep - 1) / dep.ep
            all_to_all = 2.0 * (2.0 * eff.collective_latency_s + routed / link)
            total = total + moe_layers * all_to_all
    if dep.pp > 1:
        # Hand-offs stay on the scale-up link inside one domain and cross the data-centre
        # network when the replica spans domains (multi-node pipeline parallelism).
        in_domain = dep.chips <= acc.scaleup_domain_chips and link > 0
        hop_bw = link if in_domain else SCALE_OUT_BW_BYTES_PER_S * eff.comm_eff
        total = total + dep.pp * (eff.collective_latency_s + msg_bytes / hop_bw)
    return total
