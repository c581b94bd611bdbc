"""`Trace`: a stream of LLM requests as columnar, read-only numpy arrays.

A trace is three aligned columns: when each request arrives (seconds from the trace start,
sorted), how many prompt tokens it brings and how many tokens it generates. Everything else in
`fleetmix.workload` builds, reads or transforms these records; none of it mutates one.

NOTE(workload): every request has at least one input and one output token. A request with zero
output tokens never produces a first token, so it has no TTFT and no place in a latency SLO; the
loaders drop such rows (failed requests) or clamp them, and say how many in `Trace.notes`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from fleetmix.errors import TraceError

PEAK_WINDOW_S = 60.0  # window for the peak rate in `Trace.summary()`
_PERCENTILES = (50, 90, 99)


def _frozen_array(name: str, values: Any, dtype: type[np.generic]) -> NDArray[Any]:
    """A read-only 1-D copy of `values` as `dtype`; integer columns must hold integers."""
    arr = np.array(values, copy=True)
    if arr.ndim != 1:
        raise TraceError(f"{name} must be one-dimensional, got shape {arr.shape}")
    if arr.size and dtype is np.int64 and arr.dtype.kind not in "iu":
        raise TraceError(f"{name} must hold integers, got dtype {arr.dtype}")
    arr = arr.astype(dtype, copy=False)
    arr.setflags(write=False)
    return arr


@dataclass(frozen=True, kw_only=True, eq=False)
class Trace:
    """Requests of one workload, in arrival order.

    The arrays are copied and made read-only on construction, so a `Trace` is safe to share and
    to cache. An empty trace (no requests) is valid: a quiet period is still a period. Traces
    compare and hash by identity (field-wise ``==`` on arrays has no single truth value);
    compare columns with `numpy.array_equal`.
    """

    name: str
    """Short name, e.g. ``"azure-conv"`` or a file's stem."""
    arrival_s: NDArray[np.float64]
    """(num_requests,) arrival times in seconds from the trace start; sorted, finite, >= 0."""
    input_tokens: NDArray[np.int64]
    """(num_requests,) prompt (context) tokens per request, >= 1."""
    output_tokens: NDArray[np.int64]
    """(num_requests,) generated tokens per request, >= 1."""
    source: str
    """Where the requests came from: a file path and format, a dataset, or generator settings."""
    span_s: float | None = None
    """Length in seconds of the observed interval [0, span_s]; None means up to the last arrival.

    Set by transforms that cut a known interval (a window, a period), so that a quiet stretch at
    the end still counts in `duration_s` and `rate_rps`.
    """
    notes: tuple[str, ...] = field(default=())
    """What the loader or a transform changed or dropped, one line each (e.g. failed requests)."""

    def __post_init__(self) -> None:
        arrival = _frozen_array("arrival_s", self.arrival_s, np.float64)
        inp = _frozen_array("input_tokens", self.input_tokens, np.int64)
        out = _frozen_array("output_tokens", self.output_tokens, np.int64)
        if not len(arrival) == len(inp) == len(out):
            raise TraceError(
                f"trace {self.name!r}: column lengths differ: arrival_s ({len(arrival)}), "
                f"input_tokens ({len(inp)}), output_tokens ({len(out)})"
            )
        _check_arrivals(self.name, arrival)
        _check_tokens(self.name, "input_tokens", inp)
        _check_tokens(self.name, "output_tokens", out)
        if self.span_s is not None:
            last = float(arrival[-1]) if len(arrival) else 0.0
            if not (np.isfinite(self.span_s) and self.span_s >= last):
                raise TraceError(
                    f"trace {self.name!r}: span_s ({self.span_s}) must be finite and cover the "
                    f"last arrival ({last})"
                )
        object.__setattr__(self, "arrival_s", arrival)
        object.__setattr__(self, "input_tokens", inp)
        object.__setattr__(self, "output_tokens", out)
        object.__setattr__(self, "notes", tuple(self.notes))

    @property
    def num_requests(self) -> int:
        return len(self.arrival_s)

    @property
    def duration_s(self) -> float:
        """Seconds covered: `span_s` if set, else the last arrival (0.0 for an empty trace)."""
        if self.span_s is not None:
            return float(self.span_s)
        return float(self.arrival_s[-1]) if self.num_requests else 0.0

    @property
    def rate_rps(self) -> float:
        """Mean request rate: num_requests / duration_s (0.0 when the duration is zero)."""
        return self.num_requests / self.duration_s if self.duration_s > 0 else 0.0

    @property
    def interarrival_s(self) -> NDArray[np.float64]:
        """(num_requests - 1,) gaps between consecutive arrivals, seconds."""
        return np.diff(self.arrival_s)

    @property
    def interarrival_cv(self) -> float:
        """Burstiness: std / mean of the inter-arrival gaps (1 for Poisson); NaN if undefined."""
        gaps = self.interarrival_s
        if len(gaps) < 2 or gaps.mean() <= 0:
            return float("nan")
        return float(gaps.std() / gaps.mean())

    @property
    def mean_shape_tokens(self) -> tuple[int, int]:
        """(mean input, mean output) tokens per request, each at least 1 (1 when empty)."""
        if self.num_requests == 0:
            return 1, 1
        return (max(1, int(self.input_tokens.mean())), max(1, int(self.output_tokens.mean())))

    def peak_rate_rps(self, window_s: float = PEAK_WINDOW_S) -> float:
        """Highest request rate over any window of `window_s` seconds starting at an arrival.

        For a trace shorter than the window this is the mean rate.
        """
        if window_s <= 0:
            raise TraceError(f"window_s ({window_s}) must be positive")
        if self.duration_s <= window_s:
            return self.rate_rps
        ends = np.searchsorted(self.arrival_s, self.arrival_s + window_s, side="left")
        counts = ends - np.arange(self.num_requests)  # requests in [t_i, t_i + window)
        return float(counts.max()) / window_s

    def summary(self) -> dict[str, float]:
        """Headline numbers: size, rates, burstiness and token-length statistics.

        Keys: requests, duration_s, mean_rate_rps, peak_rate_rps_60s, interarrival_cv, then for
        ``input_tokens`` and ``output_tokens`` each of ``_mean``, ``_p50``, ``_p90``, ``_p99``,
        ``_max`` and ``_total``, and total_tokens. Percentiles use numpy's linear interpolation.
        Counts (requests, totals) are ints. Statistics of an empty trace are NaN.
        """
        out: dict[str, float] = {
            "requests": self.num_requests,
            "duration_s": self.duration_s,
            "mean_rate_rps": self.rate_rps,
            "peak_rate_rps_60s": self.peak_rate_rps(PEAK_WINDOW_S),
            "interarrival_cv": self.interarrival_cv,
        }
        for col, values in (
            ("input_tokens", self.input_tokens),
            ("output_tokens", self.output_tokens),
        ):
            out.update(_token_stats(col, values))
        out["total_tokens"] = out["input_tokens_total"] + out["output_tokens_total"]
        return out


def _token_stats(col: str, values: NDArray[np.int64]) -> dict[str, float]:
    if not len(values):
        stats = {f"{col}_{k}": float("nan") for k in ("mean", "p50", "p90", "p99", "max")}
        return stats | {f"{col}_total": 0}
    pcts = np.percentile(values, _PERCENTILES)
    stats = {f"{col}_mean": float(values.mean())}
    stats |= {f"{col}_p{p}": float(v) for p, v in zip(_PERCENTILES, pcts, strict=True)}
    stats[f"{col}_max"] = float(values.max())
    stats[f"{col}_total"] = int(values.sum())
    return stats


def _check_arrivals(name: str, arrival: NDArray[np.float64]) -> None:
    if not np.isfinite(arrival).all():
        i = int(np.flatnonzero(~np.isfinite(arrival))[0])
        raise TraceError(f"trace {name!r}: arrival_s[{i}] is {arrival[i]}; must be finite")
    if len(arrival) and arrival[0] < 0:
        raise TraceError(f"trace {name!r}: arrival_s[0] is {arrival[0]}; must be >= 0")
    back = np.flatnonzero(np.diff(arrival) < 0)
    if len(back):
        i = int(back[0]) + 1
        raise TraceError(
            f"trace {name!r}: arrival_s must be sorted ascending: arrival_s[{i}] "
            f"({arrival[i]}) < arrival_s[{i - 1}] ({arrival[i - 1]})"
        )


def _check_tokens(name: str, col: str, values: NDArray[np.int64]) -> None:
    bad = np.flatnonzero(values < 1)
    if len(bad):
        i = int(bad[0])
        raise TraceError(
            f"trace {name!r}: {col}[{i}] is {values[i]}; every request needs >= 1 "
            f"({len(bad)} such requests)"
        )
