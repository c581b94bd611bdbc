"""Latency summaries, SLO checks, goodput and energy of a simulation run."""

from __future__ import annotations

import functools
import math

import numpy as np
import pytest

from fleetmix.arch import load_arch
from fleetmix.catalog import load_catalog
from fleetmix.perf import Deployment, make_deployment
from fleetmix.sim import LatencyStats, RequestTable, Slo, simulate_trace
from fleetmix.workload import FixedLengths, LognormalLengths, Trace, synthetic_trace

IDLE_FRACTION_OF_TDP = 0.3  # the simulator's stated idle-power assumption


@functools.cache
def deploy(accelerator: str = "h100-sxm", precision: str = "fp8") -> Deployment:
    return make_deployment(load_arch("llama-3.1-8b"), load_catalog().accelerator(accelerator),
                           tp=1, pp=1, ep=1, precision=precision)


def workload(rate_rps: float, num_requests: int = 120, seed: int = 7) -> Trace:
    lengths = LognormalLengths(input_mean_tokens=600, input_cv=0.8, output_mean_tokens=150,
                               output_cv=0.8)
    return synthetic_trace(rate_rps=rate_rps, num_requests=num_requests, lengths=lengths,
                           seed=seed)


# ----- LatencyStats -------------------------------------------------------------------------


def test_percentiles_of_one_to_a_hundred() -> None:
    stats = LatencyStats.of(np.arange(1, 101, dtype=np.float64))
    # Linear interpolation at rank (n - 1)·q: 49.5 -> 50.5, 89.1 -> 90.1, 98.01 -> 99.01.
    assert stats.mean == pytest.approx(50.5)
    assert stats.p50 == pytest.approx(50.5)
    assert stats.p90 == pytest.approx(90.1)
    assert stats.p99 == pytest.approx(99.01)
    assert stats.at("median") == stats.p50
    assert stats.at("p99") == stats.p99
    assert stats.at("mean") == stats.mean


def test_percentiles_match_numpy_on_random_values() -> None:
    values = np.random.default_rng(3).lognormal(-3.0, 1.0, size=997)
    stats = LatencyStats.of(values)
    assert stats.mean == pytest.approx(float(np.mean(values)))
    for pct, got in ((50, stats.p50), (90, stats.p90), (99, stats.p99)):
        assert got == pytest.approx(float(np.percentile(values, pct)))


def test_non_finite_values_are_left_out() -> None:
    stats = LatencyStats.of(np.array([1.0, math.nan, 3.0, math.inf]))
    assert stats.mean == 2.0
    assert stats.p50 == 2.0
    empty = LatencyStats.of(np.array([math.nan]))
    assert all(math.isnan(v) for v in (empty.mean, empty.p50, empty.p90, empty.p99))


# ----- Slo ----------------------------------------------------------------------------------


def stats(p50: float, p90: float, p99: float) -> LatencyStats:
    return LatencyStats(mean=p50, p50=p50, p90=p90, p99=p99)


@pytest.mark.parametrize("bad", [{95: 0.5}, {99: 0.0}, {50: -1.0}])
def test_slo_rejects_bad_targets(bad: dict[int, float]) -> None:
    with pytest.raises(ValueError):
        Slo(ttft_s=bad)
    with pytest.raises(ValueError):
        Slo(tpot_s=bad)


def test_slo_describe_and_empty() -> None:
    slo = Slo(ttft_s={99: 0.5}, tpot_s={50: 0.02})
    assert slo.describe() == "TTFT p99 <= 0.5 s, TPOT p50 <= 20 ms"
    assert not slo.empty
    assert Slo().empty
    assert Slo().describe() == "none"


def test_met_by_hand_cases() -> None:
    slo = Slo(ttft_s={99: 0.5}, tpot_s={90: 0.02})
    assert slo.met_by(stats(0.1, 0.2, 0.5), stats(0.01, 0.02, 0.05))  # equal to a target
    assert not slo.met_by(stats(0.1, 0.2, 0.5001), stats(0.01, 0.02, 0.05))
    assert not slo.met_by(stats(0.1, 0.2, 0.3), stats(0.01, 0.0201, 0.01))
    assert not slo.met_by(stats(0.1, 0.2, math.nan), stats(0.01, 0.02, 0.05))  # NaN fails
    # Percentiles without a target do not matter.
    assert Slo(ttft_s={50: 0.2}).met_by(stats(0.2, 9.0, 9.0), stats(9.0, 9.0, 9.0))


def test_request_ok_hand_cases() -> None:
    slo = Slo(ttft_s={99: 0.5}, tpot_s={99: 0.02})
    ttft = np.array([0.1, 0.6, 0.5, math.nan, 0.2, 0.2])
    tpot = np.array([0.01, 0.01, 0.02, 0.01, 0.03, math.nan])  # NaN: a one-token answer
    assert slo.request_ok(ttft, tpot).tolist() == [True, False, True, False, False, True]
    only_ttft = Slo(ttft_s={99: 0.5})
    assert only_ttft.request_ok(ttft, tpot).tolist() == [True, False, True, False, True, True]


def test_request_ok_uses_the_tightest_target() -> None:
    slo = Slo(ttft_s={50: 0.2, 99: 1.0})
    assert slo.request_ok(np.array([0.5]), np.array([0.01])).tolist() == [False]


# ----- goodput, throughput, energy ----------------------------------------------------------


def test_goodput_counts_requests_within_the_slo(tables: list[RequestTable]) -> None:
    dep = deploy()
    slo = Slo(ttft_s={99: 0.06}, tpot_s={99: 0.0065})
    result = simulate_trace(dep, workload(rate_rps=25.0), slo=slo)
    (table,) = tables
    overhead_s = dep.efficiency.request_overhead_s
    arrival = np.array(table.arrival_s)
    first = np.array(table.first_token_s) + overhead_s
    finish = np.array(table.finish_s) + overhead_s
    outputs = np.array(table.output_tokens)
    ttft = first - arrival
    tpot = (finish - first) / np.maximum(outputs - 1, 1)
    good = (ttft <= 0.06) & ((outputs == 1) | (tpot <= 0.0065))
    span_s = float(finish.max() - arrival.min())
    assert 0 < good.sum() < len(table)  # the SLO really splits this run
    assert result.goodput_requests_per_s is not None
    assert result.goodput_requests_per_s == pytest.approx(good.sum() / span_s)
    assert result.goodput_requests_per_s <= result.throughput_requests_per_s
    assert result.throughput_requests_per_s == pytest.approx(len(table) / span_s)
    assert result.throughput_output_tokens_per_s == pytest.approx(outputs.sum() / span_s)


def test_goodput_bounds() -> None:
    dep, trace = deploy(), workload(rate_rps=10.0)
    loose = simulate_trace(dep, trace, slo=Slo(ttft_s={99: 100.0}, tpot_s={99: 10.0}))
    assert loose.slo_met is True
    assert loose.goodput_requests_per_s == pytest.approx(loose.throughput_requests_per_s)
    impossible = simulate_trace(dep, trace, slo=Slo(ttft_s={50: 1e-6}))
    assert impossible.slo_met is False
    assert impossible.goodput_requests_per_s == 0.0
    plain = simulate_trace(dep, trace)
    assert plain.goodput_requests_per_s is None
    assert plain.slo_met is None
    assert plain.slo == "none"


def test_energy_is_busy_power_plus_idle_power() -> None:
    dep = deploy()
    result = simulate_trace(dep, workload(rate_rps=4.0, num_requests=60), replicas=2)
    assert 0.0 < result.utilisation < 1.0
    tdp_w = load_catalog().accelerator("h100-sxm").tdp_w
    assert tdp_w == 700.0
    replica_s = result.simulated_s * result.replicas
    busy_s = result.utilisation * replica_s
    expected_j = dep.chips * tdp_w * (busy_s + IDLE_FRACTION_OF_TDP * (replica_s - busy_s))
    assert result.energy_j == pytest.approx(expected_j, rel=1e-9)


def test_energy_unknown_without_a_tdp() -> None:
    dep = deploy("tpu-v6e", "bf16")
    assert dep.accelerator.tdp_w is None
    trace = synthetic_trace(rate_rps=1.0, num_requests=10, seed=2,
                            lengths=FixedLengths(input_tokens=256, output_tokens=32))
    result = simulate_trace(dep, trace)
    assert result.completed == 10
    assert result.energy_j is None


def test_to_dict_is_plain() -> None:
    result = simulate_trace(deploy(), workload(rate_rps=2.0, num_requests=10))
    data = result.to_dict()
    assert data["requests"] == 10
    assert data["ttft_s"] == {"mean": result.ttft_s.mean, "p50": result.ttft_s.p50,
                              "p90": result.ttft_s.p90, "p99": result.ttft_s.p99}
