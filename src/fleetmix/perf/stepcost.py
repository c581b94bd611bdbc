"""The step-time model compiled for a simulator's hot loop.

`step_breakdown` is vectorized numpy: right for many operating points at once, slow for one step
at a time. `StepCost` evaluates the same model for one step with plain floats: the parts that
depend non-linearly on the step's token count (weight GEMMs, expert reads, collectives) are a
table over token counts, and the attention terms are coefficients. It agrees with
`step_breakdown` (tests check it), except that sliding-window layers see the batch's mean
context rather than each sequence's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fleetmix.perf.deployment import Deployment
from fleetmix.perf.steptime import (
    PIPELINE_IMBALANCE,
    _comm_s,
    attention_peak_flops_per_s,
    attention_work_per_layer,
    linear_s,
)


@dataclass(frozen=True, eq=False)
class StepCost:
    """Seconds per engine step for one deployment, as a table and coefficients."""

    pp: int
    imbalance: float  # pipeline imbalance factor applied to compute (1.0 without PP)
    linear_comm_s: list[float]  # index: tokens in the step -> GEMMs (× imbalance) + collectives
    head_s_per_logit: float  # LM head compute per sampled sequence
    head_bytes_s: float  # LM head weight read (once per micro-batch)
    decode_s_per_ctx_token: float  # full-attention layers, per (sequence × context token)
    decode_sliding_s_per_ctx_token: float  # sliding-window layers, same unit
    window_tokens: float  # sliding window (0: none)
    prefill_s_per_pair: float  # full-attention layers, per (new token × context token)
    prefill_sliding_s_per_pair: float
    step_overhead_s: float
    seq_overhead_s: float

    @property
    def max_tokens(self) -> int:
        return len(self.linear_comm_s) - 1

    def time_s(self, decode_seqs: int, decode_ctx_sum: float, prefill_tokens: int = 0,
               prefill_pairs: float = 0.0, prefill_seqs: int = 0) -> float:
        """One step: `decode_seqs` sequences holding `decode_ctx_sum` context tokens in all, and
        `prefill_tokens` prompt tokens covering `prefill_pairs` attention pairs."""
        tokens = decode_seqs + prefill_tokens
        micro = min(self.pp, max(tokens, 1))
        head = max(self.head_s_per_logit * (decode_seqs + prefill_seqs) / micro,
                   self.head_bytes_s)
        attention = self.decode_s_per_ctx_token * decode_ctx_sum + self.prefill_s_per_pair * (
            prefill_pairs)
        if self.window_tokens:
            mean_ctx = decode_ctx_sum / decode_seqs if decode_seqs else 0.0
            attention += (self.decode_sliding_s_per_ctx_token * decode_seqs
                          * min(mean_ctx, self.window_tokens)
                          + self.prefill_sliding_s_per_pair
                          * min(prefill_pairs, prefill_tokens * self.window_tokens))
        return (self.linear_comm_s[tokens] + self.imbalance * (head + attention / micro)
                + self.step_overhead_s + self.seq_overhead_s * (decode_seqs + prefill_seqs))


def compile_step_cost(dep: Deployment, max_tokens: int | None = None) -> StepCost:
    """Tabulate `dep`'s step time for up to `max_tokens` tokens per step (default: the engine's
    token budget or max running sequences, whichever is larger)."""
    arch, acc, eff = dep.arch, dep.accelerator, dep.efficiency
    limit = max_tokens or max(dep.engine.max_batch_tokens, dep.engine.max_batch_seqs)
    tokens = np.arange(limit + 1, dtype=np.float64)
    micro = np.minimum(float(dep.pp), np.maximum(tokens, 1.0))
    imbalance = 1.0 + PIPELINE_IMBALANCE * (dep.pp - 1) / dep.pp if dep.pp > 1 else 1.0
    per_micro = tokens / micro
    table = imbalance * linear_s(dep, per_micro) + _comm_s(dep, per_micro)

    attn_flops_per_s = attention_peak_flops_per_s(dep) * eff.attn_eff
    bw = acc.mem_bw_bytes_per_s * eff.mem_eff
    flops_per_pair, kv_bytes_per_token = attention_work_per_layer(dep)
    kv_bw = acc.mem_bw_bytes_per_s * eff.kv_read_eff
    per_ctx = max(flops_per_pair / attn_flops_per_s, kv_bytes_per_token / kv_bw)
    per_pair = flops_per_pair / attn_flops_per_s
    head_params = arch.vocab_size * arch.hidden_size / dep.tp
    return StepCost(
        pp=dep.pp, imbalance=imbalance, linear_comm_s=[float(x) for x in table],
        head_s_per_logit=2.0 * head_params / (attention_peak_flops_per_s(dep) * eff.matmul_eff),
        head_bytes_s=head_params * 2.0 / bw,
        decode_s_per_ctx_token=arch.num_full_attention_layers * per_ctx,
        decode_sliding_s_per_ctx_token=arch.num_sliding_layers * per_ctx,
        window_tokens=float(arch.sliding_window_tokens if arch.num_sliding_layers else 0),
        prefill_s_per_pair=arch.num_full_attention_layers * per_pair,
        prefill_sliding_s_per_pair=arch.num_sliding_layers * per_pair,
        step_overhead_s=eff.step_overhead_s, seq_overhead_s=eff.seq_overhead_s,
    )
