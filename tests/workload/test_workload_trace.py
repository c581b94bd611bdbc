"""`Trace`: validation, read-only arrays, rates and summary on hand-worked examples."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from fleetmix.errors import InputError, TraceError
from fleetmix.workload import Trace


def make_trace(
    arrival_s: Any = (0.0, 1.0, 3.0, 6.0),
    input_tokens: Any = (800, 1200, 300, 2000),
    output_tokens: Any = (150, 40, 300, 90),
    **kwargs: Any,
) -> Trace:
    return Trace(
        name="t",
        arrival_s=np.asarray(arrival_s, dtype=float),
        input_tokens=np.asarray(input_tokens),
        output_tokens=np.asarray(output_tokens),
        source="test",
        **kwargs,
    )


def test_properties() -> None:
    trace = make_trace()
    assert trace.num_requests == 4
    assert trace.duration_s == 6.0
    assert trace.rate_rps == pytest.approx(4 / 6)
    gaps = np.array([1.0, 2.0, 3.0])
    assert trace.interarrival_cv == pytest.approx(gaps.std() / gaps.mean())


def test_span_sets_duration() -> None:
    trace = make_trace(span_s=8.0)
    assert trace.duration_s == 8.0
    assert trace.rate_rps == 0.5
    with pytest.raises(TraceError, match="span_s"):
        make_trace(span_s=5.0)


def test_arrays_are_read_only_copies() -> None:
    arrival = np.array([0.0, 1.0])
    trace = make_trace(arrival, [5, 5], [5, 5])
    arrival[1] = 99.0
    assert trace.arrival_s[1] == 1.0
    for arr in (trace.arrival_s, trace.input_tokens, trace.output_tokens):
        assert not arr.flags.writeable
    assert trace.input_tokens.dtype == np.int64
    assert trace.arrival_s.dtype == np.float64


def test_lengths_must_match() -> None:
    with pytest.raises(
        TraceError, match=r"arrival_s \(3\), input_tokens \(2\), output_tokens \(3\)"
    ):
        make_trace([0, 1, 2], [1, 2], [1, 2, 3])


def test_unsorted_names_index_and_values() -> None:
    with pytest.raises(TraceError, match=r"arrival_s\[2\] \(1\.5\) < arrival_s\[1\] \(2\.0\)"):
        make_trace([0.0, 2.0, 1.5], [1, 1, 1], [1, 1, 1])


def test_negative_start_and_nan_rejected() -> None:
    with pytest.raises(TraceError, match=">= 0"):
        make_trace([-1.0, 0.0], [1, 1], [1, 1])
    with pytest.raises(TraceError, match="finite"):
        make_trace([0.0, math.nan], [1, 1], [1, 1])


def test_tokens_must_be_positive_integers() -> None:
    with pytest.raises(TraceError, match=r"output_tokens\[1\] is 0"):
        make_trace([0, 1], [5, 5], [5, 0])
    with pytest.raises(TraceError, match="integers"):
        make_trace([0, 1], [5.5, 5.0], [5, 5])


def test_trace_error_is_input_error() -> None:
    assert issubclass(TraceError, InputError)


def test_empty_trace_is_valid() -> None:
    trace = make_trace([], [], [])
    assert trace.num_requests == 0
    assert trace.rate_rps == 0.0
    s = trace.summary()
    assert s["requests"] == 0
    assert s["total_tokens"] == 0
    assert math.isnan(s["input_tokens_mean"])


def test_peak_rate_over_sliding_windows() -> None:
    # 10 requests in the first 10 s, then one every 30 s until 300 s.
    arrival = [*range(10), *range(30, 301, 30)]
    trace = make_trace(arrival, [10] * 20, [10] * 20)
    assert trace.peak_rate_rps(60.0) == pytest.approx(11 / 60)  # [0 s, 60 s): 0..9 and 30
    assert trace.peak_rate_rps(10.0) == pytest.approx(10 / 10)
    short = make_trace()  # 6 s long: the peak over 60 s is the mean
    assert short.peak_rate_rps(60.0) == short.rate_rps


def test_summary_hand_example() -> None:
    s = make_trace().summary()
    assert s["requests"] == 4
    assert s["input_tokens_mean"] == 1075.0
    assert s["input_tokens_p50"] == 1000.0  # midway between 800 and 1200
    assert s["input_tokens_max"] == 2000
    assert s["output_tokens_total"] == 580
    assert s["total_tokens"] == 4300 + 580


def test_identity_equality_and_hash() -> None:
    a, b = make_trace(), make_trace()
    assert a == a
    assert a != b
    assert len({a, b}) == 2


def test_mean_shape_truncates_to_whole_tokens_and_floors_at_one() -> None:
    # (800 + 1200 + 300 + 2000) / 4 = 1075; (150 + 40 + 300 + 90) / 4 = 145
    assert make_trace().mean_shape_tokens == (1075, 145)
    assert make_trace(arrival_s=(0.0,), input_tokens=(1,), output_tokens=(1,)
                      ).mean_shape_tokens == (1, 1)
