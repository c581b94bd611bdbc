"""Step time: roofline per operator, collectives, pipelining (hand-worked with ideal efficiency)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from perf_helpers import H100_BF16_FLOPS, H100_HBM_BYTES_PER_S, H100_NVLINK_UNI_BYTES_PER_S, ideal

from fleetmix.arch import Arch, load_arch
from fleetmix.catalog import load_catalog
from fleetmix.perf import Deployment, Efficiency, make_deployment, step_breakdown, step_time_s
from fleetmix.perf.steptime import (
    PIPELINE_IMBALANCE,
    attention_peak_flops_per_s,
    expected_experts_touched,
)


def make_arch(**overrides: Any) -> Arch:
    """A small Llama-shaped dense GQA model (4 layers, hidden 2048)."""
    fields: dict[str, Any] = {
        "name": "test-small", "family": "llama", "num_layers": 4, "hidden_size": 2048,
        "num_heads": 16, "num_kv_heads": 4, "head_dim": 128, "intermediate_size": 8192,
        "vocab_size": 32000, "max_context_tokens": 8192,
    }
    return Arch(**(fields | overrides))


def deploy(arch: Arch | str = "llama-3.1-8b", accelerator: str = "h100-sxm", *,
           tp: int = 1, pp: int = 1, ep: int = 1, precision: str = "bf16",
           efficiency: Efficiency | None = None, **kwargs: Any) -> Deployment:
    arch_rec = load_arch(arch) if isinstance(arch, str) else arch
    acc = load_catalog().accelerator(accelerator)
    return make_deployment(arch_rec, acc, tp=tp, pp=pp, ep=ep, precision=precision,
                           efficiency=efficiency, **kwargs)


def llama_8b_layer_params() -> tuple[int, int]:
    """(attention, FFN) matmul params of one Llama-3.1-8B layer, from its shape."""
    d, heads, kv_heads, hd, ffn = 4096, 32, 8, 128, 14336
    attn = d * heads * hd + 2 * d * kv_heads * hd + heads * hd * d  # q, k, v, o
    return attn, 3 * d * ffn  # gate, up, down


def test_layer_counts_match_the_shape() -> None:
    arch = load_arch("llama-3.1-8b")
    assert (arch.attn_params_per_layer, arch.dense_ffn_params_per_layer) == llama_8b_layer_params()


def test_batch1_decode_is_memory_bound() -> None:
    dep = deploy("llama-3.1-8b", efficiency=ideal())
    attn, ffn = llama_8b_layer_params()
    context = 1000
    weight_bytes = 32 * (attn + ffn) * 2 + 128256 * 4096 * 2  # layers + lm_head, bf16
    kv_bytes = 32 * 8 * 128 * 2 * 2 * context  # layers x KV heads x dim x (K, V) x bf16 x tokens
    parts = step_breakdown(dep, decode_seqs=1, decode_context_tokens=context)
    assert float(parts.linear_s) == pytest.approx(weight_bytes / H100_HBM_BYTES_PER_S, rel=0.02)
    assert float(parts.attention_s) == pytest.approx(kv_bytes / H100_HBM_BYTES_PER_S, rel=0.02)
    assert float(parts.comm_s) == 0.0 and float(parts.overhead_s) == 0.0
    # ~4.9 ms: 16.06 GB of weights at 3.35 TB/s
    assert float(parts.total_s) == pytest.approx(
        (weight_bytes + kv_bytes) / H100_HBM_BYTES_PER_S, rel=0.02)


def test_fp8_decode_reads_the_lm_head_in_bf16() -> None:
    dep = deploy("llama-3.1-8b", precision="fp8", efficiency=ideal())
    attn, ffn = llama_8b_layer_params()
    weight_bytes = 32 * (attn + ffn) * 1 + 128256 * 4096 * 2  # fp8 body, bf16 lm_head
    parts = step_breakdown(dep, decode_seqs=1, decode_context_tokens=1000)
    assert float(parts.linear_s) == pytest.approx(weight_bytes / H100_HBM_BYTES_PER_S, rel=0.02)


def test_memory_efficiency_scales_a_memory_bound_step() -> None:
    full = step_time_s(deploy(efficiency=ideal()), decode_seqs=1, decode_context_tokens=1000)
    half = step_time_s(deploy(efficiency=ideal(mem_eff=0.5)), decode_seqs=1,
                       decode_context_tokens=1000)
    assert float(half) == pytest.approx(2 * float(full), rel=1e-9)


def test_large_prefill_is_compute_bound() -> None:
    dep = deploy("llama-3.1-8b", efficiency=ideal())
    attn, ffn = llama_8b_layer_params()
    tokens = 8192
    pairs = tokens * tokens / 2  # causal: token i attends to i earlier tokens
    matmul_flops = 2 * 32 * (attn + ffn) * tokens
    # QK^T and softmax.V: 2 x 32 heads x 128 each, per (token, context token) pair, per layer
    attention_flops = 32 * (2 * 32 * 128 + 2 * 32 * 128) * pairs
    lm_head_s = 128256 * 4096 * 2 / H100_HBM_BYTES_PER_S  # one sampled token: weight read
    parts = step_breakdown(dep, decode_seqs=0, decode_context_tokens=0, prefill_tokens=tokens,
                           prefill_attn_pairs=pairs, prefill_seqs=1)
    assert float(parts.linear_s) == pytest.approx(
        matmul_flops / H100_BF16_FLOPS + lm_head_s, rel=0.03)
    assert float(parts.attention_s) == pytest.approx(attention_flops / H100_BF16_FLOPS, rel=0.03)
    # ~0.135 s in all
    assert float(parts.total_s) == pytest.approx(
        (matmul_flops + attention_flops) / H100_BF16_FLOPS + lm_head_s, rel=0.03)


def test_fp8_doubles_matmul_peak_of_a_compute_bound_step() -> None:
    kwargs: dict[str, Any] = {"decode_seqs": 0, "decode_context_tokens": 0,
                              "prefill_tokens": 8192, "prefill_attn_pairs": 0.0}
    bf16 = step_breakdown(deploy(precision="bf16", efficiency=ideal()), **kwargs)
    fp8 = step_breakdown(deploy(precision="fp8", efficiency=ideal()), **kwargs)
    assert float(fp8.linear_s) == pytest.approx(float(bf16.linear_s) / 2, rel=0.01)


def test_moe_batch1_decode_reads_only_the_routed_experts() -> None:
    arch = load_arch("mixtral-8x7b")
    dep = deploy(arch, efficiency=ideal())
    attn, _ = llama_8b_layer_params()  # Mixtral attention: 32 heads, 8 KV heads, 4096 wide
    expert = 3 * 4096 * 14336
    # 32 layers x (attention + top-2 experts) + lm_head (32000 x 4096), bf16
    weight_bytes = (32 * (attn + 2 * expert) + 32000 * 4096) * 2
    parts = step_breakdown(dep, decode_seqs=1, decode_context_tokens=100)
    assert float(parts.linear_s) == pytest.approx(weight_bytes / H100_HBM_BYTES_PER_S, rel=0.02)


def test_expert_gemm_ratio_slows_only_the_compute_bound_expert_work() -> None:
    """A prefill of 8,192 tokens is compute-bound in the experts: at ratio r the routed experts'
    FLOPs run at r x matmul_eff, the shared expert's and router's at matmul_eff. A one-sequence
    decode reads the routed experts' weights and is not slowed at all."""
    arch = load_arch("deepseek-v3")
    prefill: dict[str, Any] = {"decode_seqs": 0, "decode_context_tokens": 0,
                               "prefill_tokens": 8192, "prefill_attn_pairs": 0.0}
    decode: dict[str, Any] = {"decode_seqs": 1, "decode_context_tokens": 100}
    full = deploy(arch, "b200", tp=8, precision="fp8", efficiency=ideal())
    slow = deploy(arch, "b200", tp=8, precision="fp8", efficiency=ideal(moe_matmul_ratio=0.1))
    routed_flops = 2.0 * arch.num_experts_per_token * arch.expert_params / 8 * 8192
    peak = load_catalog().accelerator("b200").peak_flops_per_s["fp8"]
    added = arch.num_moe_layers * routed_flops / peak * (1 / 0.1 - 1)
    gap = float(step_breakdown(slow, **prefill).linear_s - step_breakdown(full, **prefill).linear_s)
    assert gap == pytest.approx(added, rel=1e-9)
    assert float(step_breakdown(slow, **decode).linear_s) == pytest.approx(
        float(step_breakdown(full, **decode).linear_s), rel=1e-12)
    dense = deploy("llama-3.1-8b", efficiency=ideal(moe_matmul_ratio=0.1))
    assert float(step_breakdown(dense, **prefill).linear_s) == pytest.approx(
        float(step_breakdown(deploy("llama-3.1-8b", efficiency=ideal()), **prefill).linear_s))


def test_expected_experts_touched() -> None:
    # one token routes to exactly top-k experts; none to none
    np.testing.assert_allclose(expected_experts_touched(8, 2, np.array([0.0, 1.0])), [0.0, 2.0])
    # 2 tokens: 8 x (1 - (6/8)^2) = 3.5 distinct experts on average
    np.testing.assert_allclose(expected_experts_touched(8, 2, np.array([2.0])), [3.5])
    np.testing.assert_allclose(expected_experts_touched(256, 8, np.array([1.0])), [8.0])
    many = expected_experts_touched(256, 8, np.array([10.0, 100.0, 10_000.0]))
    assert np.all(np.diff(many) > 0)
    assert float(many[-1]) == pytest.approx(256.0)


def test_arrays_give_the_same_times_as_scalar_calls() -> None:
    dep = deploy("llama-3.1-8b", precision="fp8", tp=2)
    batches = np.array([1.0, 4.0, 32.0, 256.0])[:, None]  # (batch, 1)
    contexts = np.array([128.0, 2048.0, 32768.0])[None, :]  # (1, context)
    grid = step_time_s(dep, decode_seqs=batches, decode_context_tokens=contexts,
                       prefill_tokens=batches / 8, prefill_attn_pairs=batches * 100.0)
    assert grid.shape == (4, 3)
    for i, b in enumerate(batches[:, 0]):
        for j, c in enumerate(contexts[0]):
            one = step_time_s(dep, decode_seqs=float(b), decode_context_tokens=float(c),
                              prefill_tokens=float(b) / 8, prefill_attn_pairs=float(b) * 100.0)
            assert float(grid[i, j]) == pytest.approx(float(one), rel=1e-12)


@pytest.mark.parametrize(("arch", "tp", "pp"), [
    ("llama-3.1-8b", 1, 1), ("llama-3.1-8b", 2, 2), ("mixtral-8x7b", 2, 1),
])
def test_step_time_does_not_decrease_with_batch_or_context(arch: str, tp: int, pp: int) -> None:
    dep = deploy(arch, precision="fp8", tp=tp, pp=pp)
    batches = np.arange(1.0, 513.0)
    by_batch = step_time_s(dep, decode_seqs=batches, decode_context_tokens=2000.0)
    assert np.all(np.diff(by_batch) >= 0)
    contexts = np.linspace(1.0, 100_000.0, 200)
    by_context = step_time_s(dep, decode_seqs=16.0, decode_context_tokens=contexts)
    assert np.all(np.diff(by_context) >= 0)


def test_tp_allreduce_time_dense() -> None:
    latency_s, comm_eff = 8e-6, 0.7
    dep = deploy("llama-3.1-8b", tp=2, efficiency=ideal(comm_eff=comm_eff,
                                                        collective_latency_s=latency_s))
    tokens = 16
    ring = 2 * (2 - 1) / 2  # ring all-reduce moves 2(n-1)/n of the message
    message_bytes = tokens * 4096 * 2  # bf16 activations
    steps = 2  # 2·log2(tp) latency steps for tp=2
    link = H100_NVLINK_UNI_BYTES_PER_S * comm_eff
    per_allreduce = steps * latency_s + ring * message_bytes / link
    expected = 2 * 32 * per_allreduce  # after attention and after the FFN, 32 layers
    parts = step_breakdown(dep, decode_seqs=tokens, decode_context_tokens=1000)
    assert float(parts.comm_s) == pytest.approx(expected, rel=1e-9)
    single = step_breakdown(deploy("llama-3.1-8b", efficiency=ideal()), decode_seqs=tokens,
                            decode_context_tokens=1000)
    assert float(single.comm_s) == 0.0


def test_tp_halves_the_memory_bound_weight_read() -> None:
    one = step_breakdown(deploy(efficiency=ideal()), decode_seqs=1, decode_context_tokens=500)
    two = step_breakdown(deploy(tp=2, efficiency=ideal()), decode_seqs=1,
                         decode_context_tokens=500)
    assert float(two.linear_s) == pytest.approx(float(one.linear_s) / 2, rel=0.01)
    assert float(two.attention_s) == pytest.approx(float(one.attention_s) / 2, rel=0.01)


def test_pipeline_cannot_cut_one_token_latency() -> None:
    one = step_breakdown(deploy(efficiency=ideal()), decode_seqs=1, decode_context_tokens=500)
    two = step_breakdown(deploy(pp=2, efficiency=ideal()), decode_seqs=1,
                         decode_context_tokens=500)
    imbalance = 1 + PIPELINE_IMBALANCE * (2 - 1) / 2
    # a lone token still passes every layer; stages only add imbalance and a hand-off
    assert float(two.linear_s) == pytest.approx(float(one.linear_s) * imbalance, rel=1e-9)
    assert float(two.attention_s) == pytest.approx(float(one.attention_s) * imbalance, rel=1e-9)
    # 2 hand-offs of one token's activations (4096 x bf16) over NVLink, no latency
    assert float(two.comm_s) == pytest.approx(2 * 4096 * 2 / H100_NVLINK_UNI_BYTES_PER_S)


def test_pipeline_beyond_one_scaleup_domain_hands_off_over_the_network() -> None:
    token_bytes = 4096 * 2  # one token's bf16 activations
    inside = step_breakdown(deploy(pp=8, efficiency=ideal()), decode_seqs=1,
                            decode_context_tokens=500)
    across = step_breakdown(deploy(pp=16, efficiency=ideal(comm_eff=0.5)), decode_seqs=1,
                            decode_context_tokens=500)
    # 8 stages fit the 8-GPU NVLink domain; 16 cross a 400 Gb/s (50 GB/s) NIC per GPU
    assert float(inside.comm_s) == pytest.approx(8 * token_bytes / H100_NVLINK_UNI_BYTES_PER_S)
    assert float(across.comm_s) == pytest.approx(16 * token_bytes / (50e9 * 0.5))


def test_pipeline_micro_batches_fill_the_stages() -> None:
    dep = deploy(pp=2, efficiency=ideal())
    # batch 2 on 2 stages: two micro-batches of one token cycle through, same round time
    b1, b2 = step_time_s(dep, decode_seqs=np.array([1.0, 2.0]), decode_context_tokens=500)
    assert b2 == pytest.approx(b1, rel=1e-9)


def test_sliding_window_layers_read_only_the_window() -> None:
    arch = make_arch(num_sliding_layers=2, sliding_window_tokens=128)
    dep = deploy(arch, efficiency=ideal())
    kv_bytes_per_token_layer = 4 * (128 + 128) * 2  # 4 KV heads x (K + V) x bf16
    context = 4096
    # 2 full layers read 4096 tokens, 2 sliding layers read 128
    expected = (2 * context + 2 * 128) * kv_bytes_per_token_layer / H100_HBM_BYTES_PER_S
    parts = step_breakdown(dep, decode_seqs=1, decode_context_tokens=context)
    assert float(parts.attention_s) == pytest.approx(expected, rel=1e-9)


def test_host_overhead_per_step_and_per_sequence() -> None:
    dep = deploy(efficiency=ideal(step_overhead_s=1e-3, seq_overhead_s=1e-5))
    parts = step_breakdown(dep, decode_seqs=64, decode_context_tokens=100, prefill_seqs=2)
    assert float(parts.overhead_s) == pytest.approx(1e-3 + 66 * 1e-5)


def test_attention_peak_without_published_bf16_is_half_fp8() -> None:
    catalog = load_catalog()
    maia = make_deployment(make_arch(), catalog.accelerator("maia-200"), tp=1, pp=1, ep=1,
                           precision="fp8")
    assert attention_peak_flops_per_s(maia) == pytest.approx(5.072e15 / 2)
    assert attention_peak_flops_per_s(deploy()) == H100_BF16_FLOPS


def test_lm_head_applies_matmul_efficiency_once_on_chips_without_bf16() -> None:
    maia = load_catalog().accelerator("maia-200")
    batch = 4096  # enough sampled tokens that the lm_head GEMM is compute-bound

    def lm_head_s(matmul_eff: float) -> float:
        # the lm_head alone: the linear time of two archs that differ only in vocabulary
        times = []
        for vocab in (32000, 64000):
            dep = make_deployment(make_arch(vocab_size=vocab), maia, tp=1, pp=1, ep=1,
                                  precision="fp8", efficiency=ideal(matmul_eff=matmul_eff))
            parts = step_breakdown(dep, decode_seqs=batch, decode_context_tokens=1)
            times.append(float(parts.linear_s))
        return times[1] - times[0]

    # halving the matmul efficiency of a compute-bound GEMM doubles its time, not quadruples it
    assert lm_head_s(0.5) == pytest.approx(2 * lm_head_s(1.0), rel=1e-6)
