"""Open and closed loops on a real deployment (Llama 3.1 8B, fp8, one H100): latencies against
the static model, monotonicity in load, routers, client concurrency."""

from __future__ import annotations

import functools

import numpy as np
import pytest

from fleetmix.arch import load_arch
from fleetmix.catalog import load_catalog
from fleetmix.perf import Deployment, estimate, make_deployment, prefill_time_s, step_time_s
from fleetmix.sim import RequestTable, Router, SimResult, simulate_clients, simulate_trace
from fleetmix.sim.replica import DONE, WAITING
from fleetmix.workload import FixedLengths, Trace, rescale_rate, synthetic_trace

ISL, OSL = 512, 128


@functools.cache
def h100_llama_8b() -> Deployment:
    return make_deployment(load_arch("llama-3.1-8b"), load_catalog().accelerator("h100-sxm"),
                           tp=1, pp=1, ep=1, precision="fp8")


def fixed_trace(*, rate_rps: float, num_requests: int, seed: int = 1, isl: int = ISL,
                osl: int = OSL) -> Trace:
    return synthetic_trace(rate_rps=rate_rps, num_requests=num_requests, seed=seed,
                           lengths=FixedLengths(input_tokens=isl, output_tokens=osl))


def hand_trace(rows: list[tuple[float, int, int]]) -> Trace:
    return Trace(name="hand", arrival_s=np.array([a for a, _, _ in rows]),
                 input_tokens=np.array([i for _, i, _ in rows]),
                 output_tokens=np.array([o for _, _, o in rows]), source="test")


# ----- open loop against the static model --------------------------------------------------


def test_low_rate_latencies_match_a_lone_request() -> None:
    dep = h100_llama_8b()
    result = simulate_trace(dep, fixed_trace(rate_rps=0.5, num_requests=100))
    alone_ttft_s = prefill_time_s(dep, ISL) + dep.efficiency.request_overhead_s
    # One decoding sequence at the mean context of its decode steps (ISL + OSL/2).
    alone_tpot_s = float(step_time_s(dep, decode_seqs=1, decode_context_tokens=ISL + OSL / 2))
    assert result.completed == result.requests == 100
    assert result.ttft_s.p50 == pytest.approx(alone_ttft_s, rel=0.10)
    assert result.tpot_s.mean == pytest.approx(alone_tpot_s, rel=0.15)
    assert result.preemptions == 0
    assert result.rejected == 0


def test_latencies_do_not_fall_as_the_rate_rises() -> None:
    dep = h100_llama_8b()
    base = fixed_trace(rate_rps=1.0, num_requests=300, seed=4)
    runs = [simulate_trace(dep, rescale_rate(base, rate)) for rate in (0.5, 10.0, 40.0)]
    ttft_p99 = [r.ttft_s.p99 for r in runs]
    tpot_mean = [r.tpot_s.mean for r in runs]
    assert ttft_p99 == sorted(ttft_p99)
    assert tpot_mean == sorted(tpot_mean)
    assert tpot_mean[-1] > tpot_mean[0]  # batching really slowed the decode steps
    throughput = [r.throughput_output_tokens_per_s for r in runs]
    assert throughput == sorted(throughput)


def test_saturated_throughput_stays_near_the_static_estimate() -> None:
    dep = h100_llama_8b()
    static = estimate(dep.arch, dep.accelerator, chips=1, precision="fp8", isl=ISL, osl=OSL)
    flood = rescale_rate(fixed_trace(rate_rps=1.0, num_requests=3000, seed=2), 1000.0)
    result = simulate_trace(dep, flood)
    assert result.completed == 3000
    assert result.throughput_output_tokens_per_s <= 1.10 * static.throughput_output_tokens_per_s
    # Saturated (the arrival rate is ~8x the estimate), the engine should get close to it.
    assert result.throughput_output_tokens_per_s >= 0.7 * static.throughput_output_tokens_per_s
    assert result.utilisation > 0.95


def test_oversized_request_is_rejected_and_counted() -> None:
    dep = h100_llama_8b()
    rows = [(0.0, ISL, OSL), (0.1, 5_000_000, 10), (0.2, ISL, OSL), (0.3, ISL, OSL)]
    result = simulate_trace(dep, hand_trace(rows))
    assert result.requests == 4
    assert result.rejected == 1
    assert result.completed == 3
    assert result.slo_met is None


def test_single_request_summary_is_its_own_latency() -> None:
    dep = h100_llama_8b()
    result = simulate_trace(dep, hand_trace([(0.0, ISL, OSL)]))
    # One request: the span is its end-to-end latency, throughput is OSL over it.
    assert result.e2e_s.mean == pytest.approx(result.simulated_s, rel=1e-12)
    assert result.throughput_output_tokens_per_s == pytest.approx(OSL / result.simulated_s)
    assert result.throughput_requests_per_s == pytest.approx(1 / result.simulated_s)
    assert result.ttft_s.p50 == pytest.approx(
        prefill_time_s(dep, ISL) + dep.efficiency.request_overhead_s, rel=1e-6)
    assert result.queue_s.mean == 0.0
    assert result.steps == OSL  # one prefill step, OSL - 1 decode steps


# ----- routers --------------------------------------------------------------------------------


def test_round_robin_splits_requests_evenly(tables: list[RequestTable]) -> None:
    trace = fixed_trace(rate_rps=20.0, num_requests=21, osl=16)
    result = simulate_trace(h100_llama_8b(), trace, replicas=2, router=Router.ROUND_ROBIN)
    (table,) = tables
    assert table.replica == [rid % 2 for rid in range(21)]
    counts = np.bincount(table.replica, minlength=2)
    assert abs(int(counts[0]) - int(counts[1])) <= 1
    assert result.replicas == 2
    assert result.completed == 21


def test_least_outstanding_sends_work_to_the_idle_replica(tables: list[RequestTable]) -> None:
    # Request 0 is long (8000 in, 2000 out: seconds of decoding) and goes to replica 0 (tie ->
    # lowest index). Requests 1 and 2 are short and arrive while replica 0 is still busy.
    rows = [(0.0, 8000, 2000), (0.5, 64, 8), (1.0, 64, 8)]
    simulate_trace(h100_llama_8b(), hand_trace(rows), replicas=2,
                   router=Router.LEAST_OUTSTANDING)
    (table,) = tables
    assert table.replica == [0, 1, 1]
    assert table.state == [DONE, DONE, DONE]
    assert table.finish_s[2] < table.finish_s[0]


def test_least_outstanding_keeps_choosing_an_idle_replica(tables: list[RequestTable]) -> None:
    # Replica 0 decodes a 300-token answer for ~1.3 s. One-token requests arrive every 10 ms;
    # each takes a single ~4 ms step, so replica 1 is idle (nothing outstanding) at every
    # arrival and every one of them should go there.
    rows = [(0.0, 1, 300)] + [(0.01 * k, 1, 1) for k in range(1, 121)]
    simulate_trace(h100_llama_8b(), hand_trace(rows), replicas=2,
                   router=Router.LEAST_OUTSTANDING)
    (table,) = tables
    assert table.finish_s[0] > 1.2  # replica 0 is busy throughout
    assert table.replica[1:] == [1] * 120


# ----- closed loop ----------------------------------------------------------------------------


def in_flight_at_arrivals(table: RequestTable) -> list[int]:
    """Requests in flight, [arrival, finish), at each request's arrival."""
    arrival, finish = table.column("arrival_s"), table.column("finish_s")
    return [int(np.sum((arrival <= t) & (finish > t))) for t in arrival]


def test_closed_loop_keeps_concurrency_clients_busy(tables: list[RequestTable]) -> None:
    result = simulate_clients(h100_llama_8b(), concurrency=4, num_requests=20,
                              input_tokens=[ISL], output_tokens=[OSL], warmup_requests=4)
    (table,) = tables
    assert len(table) == 20
    assert table.state == [DONE] * 20
    assert max(in_flight_at_arrivals(table)) <= 4
    assert in_flight_at_arrivals(table) == [4] * 20
    assert table.arrival_s[:4] == [0.0] * 4
    for rid in range(4, 20):  # each later request is sent when an earlier one finishes
        assert table.arrival_s[rid] in table.finish_s[:rid]
    assert result.requests == 16
    assert result.completed == 16


def test_closed_loop_cycles_request_shapes(tables: list[RequestTable]) -> None:
    simulate_clients(h100_llama_8b(), concurrency=2, num_requests=5, input_tokens=[100, 200],
                     output_tokens=[10, 20])
    (table,) = tables
    assert table.input_tokens == [100, 200, 100, 200, 100]
    assert table.output_tokens == [10, 20, 10, 20, 10]


def test_closed_loop_with_more_clients_than_requests(tables: list[RequestTable]) -> None:
    result = simulate_clients(h100_llama_8b(), concurrency=8, num_requests=3,
                              input_tokens=[ISL], output_tokens=[OSL])
    (table,) = tables
    assert len(table) == 3
    assert result.requests == result.completed == 3


@pytest.mark.parametrize(("concurrency", "num_requests"), [(0, 5), (2, 0)])
def test_closed_loop_rejects_bad_sizes(concurrency: int, num_requests: int) -> None:
    with pytest.raises(ValueError, match="concurrency"):
        simulate_clients(h100_llama_8b(), concurrency=concurrency, num_requests=num_requests,
                         input_tokens=[ISL], output_tokens=[OSL])


def test_closed_loop_utilisation_with_warmup_is_a_fraction() -> None:
    result: SimResult = simulate_clients(h100_llama_8b(), concurrency=4, num_requests=20,
                                         input_tokens=[ISL], output_tokens=[OSL],
                                         warmup_requests=4)
    assert 0.0 < result.utilisation <= 1.0


def test_time_limit_cuts_the_open_loop(tables: list[RequestTable]) -> None:
    trace = fixed_trace(rate_rps=2.0, num_requests=40)
    limit_s = float(trace.arrival_s[9]) + 1e-9  # requests 0-9 arrive before the limit
    result = simulate_trace(h100_llama_8b(), trace, time_limit_s=limit_s)
    (table,) = tables
    assert result.requests == 40
    assert 1 <= result.completed <= 10
    assert table.state[10:] == [WAITING] * 30  # never routed
    assert table.replica[10:] == [-1] * 30
    assert all(f <= limit_s + 0.1 for f in table.finish_s[:10] if f == f)  # no run-on
