"""Replaying published serving benchmarks as they were run (sim.validate)."""

from __future__ import annotations

import dataclasses
import math

import pytest

from fleetmix.catalog import load_catalog
from fleetmix.sim.validate import (
    ServingMeasurement,
    _lengths,
    parse_engine_settings,
    shipped_serving_measurements,
    simulate_measurement,
    validate_serving,
)


def measurement(**changes: object) -> ServingMeasurement:
    base = ServingMeasurement(
        source="test", arch="llama-3.1-8b", accelerator="h100-sxm", chips=1, tp=1,
        precision="bf16", engine="vllm", isl=1000, osl=50, concurrency=16, request_rate=None,
        metric="ttft", statistic="mean", value_ms=100.0, note="")
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def test_engine_settings_parse_names_and_values() -> None:
    assert parse_engine_settings("max_batch_tokens=196608; mixed_prefill=false") == (
        ("max_batch_tokens", 196608), ("mixed_prefill", False))
    assert parse_engine_settings("") == ()


@pytest.mark.parametrize(("text", "message"), [
    ("max_tokens=5", "engine setting max_tokens: Extra inputs are not permitted"),
    ("max_batch_tokens=lots", "engine setting max_batch_tokens: Input should be a valid integer"),
    ("max_batch_tokens=0", "engine setting max_batch_tokens: Input should be greater than 0"),
    ("mixed_prefill=maybe", "engine setting mixed_prefill: Input should be a valid boolean"),
])
def test_bad_engine_settings_say_what_was_expected(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_engine_settings(text)


def test_sampled_lengths_stay_in_the_benchmark_range() -> None:
    assert _lengths(1024, 1.0, 50) == [1024]
    lengths = _lengths(1024, 0.8, 500)
    assert len(lengths) == 500 and min(lengths) >= 819 and max(lengths) <= 1024
    assert len(set(lengths)) > 100  # really sampled, not one value
    assert _lengths(1024, 0.8, 500) == lengths  # same seed, same lengths


def test_replay_measures_the_published_number_of_prompts() -> None:
    catalog = load_catalog()
    default = simulate_measurement(measurement(), catalog)
    published = simulate_measurement(measurement(num_prompts=160, warmup_requests=0), catalog)
    assert default.requests == max(64, 8 * 16) - 16  # the first wave is a warm-up
    assert published.requests == 160  # every prompt counted, the first wave included


def test_replay_applies_the_benchmark_engine_settings() -> None:
    # 16 prompts of 1000 tokens at once: with a budget of 16384 the whole first wave is one
    # step, so every first token waits for it; with 2048 the wave is cut and some finish early.
    catalog = load_catalog()
    small = simulate_measurement(measurement(num_prompts=16, warmup_requests=0,
                                             engine_settings=(("max_batch_tokens", 2048),)),
                                 catalog)
    whole = simulate_measurement(measurement(num_prompts=16, warmup_requests=0,
                                             engine_settings=(("max_batch_tokens", 16384),)),
                                 catalog)
    assert whole.ttft_s.p99 == pytest.approx(whole.ttft_s.p50, rel=0.01)  # all wait together
    assert small.ttft_s.mean < 0.75 * whole.ttft_s.mean  # the early chunks answer sooner


def test_shipped_inferencex_rows_carry_their_benchmark_settings() -> None:
    rows = [m for m in shipped_serving_measurements() if "InferenceX" in m.source]
    assert rows
    for m in rows:
        assert m.concurrency is not None and m.num_prompts == 10 * m.concurrency
        assert m.warmup_requests == 0 and m.range_ratio == 0.8 and m.ep == 1


def test_summary_breaks_errors_down_by_source() -> None:
    rows = [measurement(source="a", value_ms=1e9), measurement(source="b", value_ms=1e-3)]
    summary = validate_serving(tuple(rows))
    assert summary.sources == ["a", "b"]
    assert summary.median_abs_error("ttft", "a") == pytest.approx(1.0, abs=1e-3)
    assert summary.median_abs_error("ttft", "b") > 100
    assert math.isnan(summary.median_abs_error("tpot", "a"))  # no tpot rows


def test_efficiency_overrides_replay_a_what_if() -> None:
    # DeepSeek prompts of 1024 tokens on 8 B200s: the expert GEMMs' efficiency sets how long
    # the prefill takes, so a lower MoE ratio raises TTFT; a dense model ignores it.
    catalog = load_catalog()
    moe = measurement(arch="deepseek-v3", accelerator="b200", chips=8, tp=8, precision="fp8",
                      engine="trtllm", isl=1024, osl=64, concurrency=4, ep=1)
    slow = simulate_measurement(moe, catalog, {"moe_matmul_ratio": 0.02})
    fast = simulate_measurement(moe, catalog, {"moe_matmul_ratio": 1.0})
    assert slow.ttft_s.p50 > 1.5 * fast.ttft_s.p50
    dense = measurement()
    assert simulate_measurement(dense, catalog, {"moe_matmul_ratio": 0.02}).ttft_s.p50 == \
        pytest.approx(simulate_measurement(dense, catalog).ttft_s.p50)
    rows = (dataclasses.replace(moe, value_ms=1e3 * slow.ttft_s.mean),)
    summary = validate_serving(rows, catalog, {"moe_matmul_ratio": 0.02})
    assert summary.rows[0].rel_error == pytest.approx(0.0, abs=1e-9)
