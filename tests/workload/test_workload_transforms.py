"""Transforms: rescaling, windows, periods, size classes, head, concat and repeat."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from fleetmix.errors import TraceError
from fleetmix.workload import (
    FixedLengths,
    LognormalLengths,
    Trace,
    concat,
    head,
    load_trace,
    repeat,
    rescale_rate,
    size_class_labels,
    size_classes,
    split_periods,
    synthetic_trace,
    window,
)


def make_trace(num_requests: int = 2_000, rate_rps: float = 3.0, cv: float = 2.0) -> Trace:
    lengths = LognormalLengths(
        input_mean_tokens=1500, input_cv=1.0, output_mean_tokens=250, output_cv=1.0
    )
    return synthetic_trace(
        rate_rps=rate_rps, num_requests=num_requests, arrival_cv=cv, lengths=lengths, seed=5
    )


@pytest.mark.parametrize("target", [0.5, 5.53, 40.0])
def test_rescale_hits_target_and_keeps_cv(target: float) -> None:
    conv = load_trace("azure-conv")
    scaled = rescale_rate(conv, target)
    assert scaled.rate_rps == pytest.approx(target, rel=1e-12)
    assert scaled.interarrival_cv == pytest.approx(conv.interarrival_cv, rel=1e-9)
    assert np.array_equal(scaled.input_tokens, conv.input_tokens)
    assert np.all(np.diff(scaled.arrival_s) >= 0)
    assert conv.rate_rps == pytest.approx(5.5304, rel=1e-4)  # input untouched


def test_rescale_scales_span() -> None:
    trace = synthetic_trace(
        rate_rps=2.0, duration_s=100.0, lengths=FixedLengths(input_tokens=10, output_tokens=5)
    )
    scaled = rescale_rate(trace, 4.0)
    assert scaled.duration_s == pytest.approx(trace.duration_s * trace.rate_rps / 4.0)
    assert scaled.rate_rps == pytest.approx(4.0, rel=1e-12)
    with pytest.raises(TraceError, match="target_rps"):
        rescale_rate(trace, 0.0)


def test_window_rezeroes_and_spans() -> None:
    trace = make_trace()
    w = window(trace, 100.0, 200.0)
    inside = (trace.arrival_s >= 100.0) & (trace.arrival_s < 200.0)
    assert w.num_requests == inside.sum()
    assert np.allclose(w.arrival_s, trace.arrival_s[inside] - 100.0)
    assert w.duration_s == 100.0
    assert w.notes[-1].startswith("window [100 s, 200 s)")
    tail = window(trace, 500.0, 1e9)
    assert tail.duration_s == pytest.approx(trace.duration_s - 500.0)
    with pytest.raises(TraceError, match="start_s"):
        window(trace, 10.0, 10.0)


def test_windows_partition_the_requests() -> None:
    trace = make_trace()
    cuts = [0.0, 123.4, 300.0, 451.0, trace.duration_s + 1]
    parts = [window(trace, a, b) for a, b in itertools.pairwise(cuts)]
    assert sum(p.num_requests for p in parts) == trace.num_requests


def test_split_periods_partition() -> None:
    conv = load_trace("azure-conv")
    periods = split_periods(conv, 600.0)
    assert len(periods) == 6  # 3501.7 s
    assert sum(p.num_requests for p in periods) == conv.num_requests
    assert [p.duration_s for p in periods[:5]] == [600.0] * 5
    assert periods[-1].duration_s == pytest.approx(conv.duration_s - 3000.0)
    for p in periods:
        assert p.arrival_s.min() >= 0.0
        assert p.arrival_s.max() < 600.0
    joined = np.concatenate([p.arrival_s + 600.0 * k for k, p in enumerate(periods)])
    assert np.allclose(joined, conv.arrival_s)


def test_split_periods_keeps_quiet_periods() -> None:
    trace = Trace(
        name="gap",
        arrival_s=np.array([0.0, 1.0, 35.0]),
        input_tokens=np.array([5, 5, 5]),
        output_tokens=np.array([5, 5, 5]),
        source="test",
    )
    periods = split_periods(trace, 10.0)
    assert [p.num_requests for p in periods] == [2, 0, 0, 1]
    assert periods[1].rate_rps == 0.0
    assert periods[3].duration_s == 5.0


def test_size_classes_partition_and_rates_add_up() -> None:
    conv = load_trace("azure-conv")
    classes = size_classes(conv, input_edges=[512, 2048], output_edges=[128])
    assert list(classes) == [
        "in:1-511/out:1-127",
        "in:1-511/out:128+",
        "in:512-2047/out:1-127",
        "in:512-2047/out:128+",
        "in:2048+/out:1-127",
        "in:2048+/out:128+",
    ]
    assert sum(c.num_requests for c in classes.values()) == conv.num_requests
    assert sum(c.rate_rps for c in classes.values()) == pytest.approx(conv.rate_rps)
    short = classes["in:1-511/out:1-127"]
    assert short.input_tokens.max() <= 511
    assert short.output_tokens.max() <= 127
    long_in = classes["in:2048+/out:128+"]
    assert long_in.input_tokens.min() >= 2048
    expected = int(((conv.input_tokens >= 2048) & (conv.output_tokens >= 128)).sum())
    assert long_in.num_requests == expected


def test_size_class_labels() -> None:
    trace = Trace(
        name="t",
        arrival_s=np.array([0.0, 1.0, 2.0]),
        input_tokens=np.array([100, 512, 9000]),
        output_tokens=np.array([10, 10, 500]),
        source="test",
    )
    labels, names = size_class_labels(trace, [512], [])
    assert names == ("in:1-511/out:all", "in:512+/out:all")
    assert list(labels) == [0, 1, 1]
    with pytest.raises(TraceError, match="strictly increasing"):
        size_class_labels(trace, [512, 512], [])


def test_head() -> None:
    trace = make_trace()
    first = head(trace, 10)
    assert first.num_requests == 10
    assert np.array_equal(first.arrival_s, trace.arrival_s[:10])
    assert head(trace, 10**6).num_requests == trace.num_requests


def test_repeat_lengthens_with_mean_gap() -> None:
    trace = make_trace(num_requests=500)
    tripled = repeat(trace, 3)
    assert tripled.num_requests == 1500
    assert np.all(np.diff(tripled.arrival_s) >= 0)
    shift = trace.arrival_s[-1] + np.diff(trace.arrival_s).mean()
    assert np.allclose(tripled.arrival_s[500:1000], trace.arrival_s + shift)
    assert tripled.duration_s == pytest.approx(2 * shift + trace.arrival_s[-1])
    assert tripled.name.endswith("x3")
    assert np.array_equal(tripled.output_tokens[1000:], trace.output_tokens)


def test_concat_uses_span_when_known() -> None:
    a = synthetic_trace(
        rate_rps=1.0, duration_s=60.0, lengths=FixedLengths(input_tokens=10, output_tokens=5)
    )
    b = make_trace(num_requests=50)
    joined = concat([a, b])
    assert joined.num_requests == a.num_requests + 50
    assert np.allclose(joined.arrival_s[a.num_requests :], b.arrival_s + 60.0)
    with pytest.raises(TraceError, match="no traces"):
        concat([])
