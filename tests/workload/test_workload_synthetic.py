"""Synthetic traces: arrival rate and burstiness, length models, seeding."""

from __future__ import annotations

import numpy as np
import pytest

from fleetmix.errors import TraceError
from fleetmix.workload import (
    EmpiricalLengths,
    FixedLengths,
    LognormalLengths,
    load_trace,
    synthetic_trace,
)

CHAT = FixedLengths(input_tokens=1024, output_tokens=256)


def test_poisson_rate_and_cv() -> None:
    trace = synthetic_trace(rate_rps=8.0, num_requests=20_000, lengths=CHAT, seed=1)
    assert trace.num_requests == 20_000
    assert trace.rate_rps == pytest.approx(8.0, rel=0.05)
    assert trace.interarrival_cv == pytest.approx(1.0, rel=0.05)
    assert "Poisson" in trace.source


def test_gamma_cv3() -> None:
    trace = synthetic_trace(rate_rps=4.0, num_requests=20_000, arrival_cv=3.0, lengths=CHAT)
    assert trace.interarrival_cv == pytest.approx(3.0, rel=0.15)
    assert trace.rate_rps == pytest.approx(4.0, rel=0.15)


def test_regular_arrivals_cv_below_one() -> None:
    trace = synthetic_trace(rate_rps=2.0, num_requests=5_000, arrival_cv=0.25, lengths=CHAT)
    assert trace.interarrival_cv == pytest.approx(0.25, rel=0.1)


def test_duration_mode_spans_the_duration() -> None:
    trace = synthetic_trace(rate_rps=5.0, duration_s=3600.0, lengths=CHAT, seed=3)
    assert trace.duration_s == 3600.0
    assert trace.arrival_s[-1] < 3600.0
    assert trace.num_requests == pytest.approx(18_000, rel=0.05)


def test_seeded_and_arrivals_independent_of_lengths() -> None:
    a = synthetic_trace(rate_rps=1.0, num_requests=100, lengths=CHAT, seed=7)
    b = synthetic_trace(rate_rps=1.0, num_requests=100, lengths=CHAT, seed=7)
    c = synthetic_trace(rate_rps=1.0, num_requests=100, lengths=CHAT, seed=8)
    lognormal = LognormalLengths(
        input_mean_tokens=500, input_cv=1.0, output_mean_tokens=100, output_cv=0.5
    )
    d = synthetic_trace(rate_rps=1.0, num_requests=100, lengths=lognormal, seed=7)
    assert np.array_equal(a.arrival_s, b.arrival_s)
    assert not np.array_equal(a.arrival_s, c.arrival_s)
    assert np.array_equal(a.arrival_s, d.arrival_s)


def test_fixed_lengths() -> None:
    trace = synthetic_trace(rate_rps=1.0, num_requests=10, lengths=CHAT)
    assert set(trace.input_tokens) == {1024}
    assert set(trace.output_tokens) == {256}


def test_empirical_lengths_keep_pairs() -> None:
    conv = load_trace("azure-conv")
    pairs = set(zip(conv.input_tokens.tolist(), conv.output_tokens.tolist(), strict=True))
    trace = synthetic_trace(rate_rps=2.0, num_requests=5_000, lengths=conv, seed=2)
    drawn = zip(trace.input_tokens.tolist(), trace.output_tokens.tolist(), strict=True)
    assert all(p in pairs for p in drawn)
    assert trace.input_tokens.mean() == pytest.approx(conv.input_tokens.mean(), rel=0.05)
    explicit = synthetic_trace(
        rate_rps=2.0, num_requests=5_000, lengths=EmpiricalLengths(trace=conv), seed=2
    )
    assert np.array_equal(explicit.input_tokens, trace.input_tokens)


def test_lognormal_mean_and_cv() -> None:
    lengths = LognormalLengths(
        input_mean_tokens=2000, input_cv=0.8, output_mean_tokens=300, output_cv=0.0
    )
    trace = synthetic_trace(rate_rps=1.0, num_requests=50_000, lengths=lengths, seed=4)
    inp = trace.input_tokens
    assert inp.mean() == pytest.approx(2000, rel=0.03)
    assert inp.std() / inp.mean() == pytest.approx(0.8, rel=0.08)
    assert set(trace.output_tokens) == {300}


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"rate_rps": 1.0}, "exactly one"),
        ({"rate_rps": 1.0, "duration_s": 10.0, "num_requests": 5}, "exactly one"),
        ({"rate_rps": 0.0, "num_requests": 5}, "rate_rps"),
        ({"rate_rps": 1.0, "num_requests": 5, "arrival_cv": 0.0}, "arrival_cv"),
        ({"rate_rps": 1.0, "duration_s": -1.0}, "duration_s"),
    ],
)
def test_bad_arguments(kwargs: dict[str, float], match: str) -> None:
    with pytest.raises(TraceError, match=match):
        synthetic_trace(lengths=CHAT, **kwargs)  # type: ignore[arg-type]


def test_bad_length_models() -> None:
    with pytest.raises(TraceError, match="must be >= 1"):
        FixedLengths(input_tokens=0, output_tokens=10)
    with pytest.raises(TraceError, match="output_mean_tokens"):
        LognormalLengths(input_mean_tokens=1, input_cv=1, output_mean_tokens=0, output_cv=1)
