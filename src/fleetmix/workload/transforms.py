"""Pure transforms of traces: each returns a new `Trace` and leaves its input alone.

A transform keeps the parent's notes and adds one saying what it did. Cuts in time (`window`,
`split_periods`) re-zero arrivals at the cut and set `span_s` to the interval cut, so a quiet
stretch counts in the rate. `size_classes` keeps arrival times and the parent's duration, so the
classes' rates add up to the parent's rate.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from fleetmix.errors import TraceError
from fleetmix.workload.trace import Trace


def _derive(
    trace: Trace,
    rows: NDArray[np.intp] | slice,
    *,
    name: str,
    note: str,
    shift_s: float = 0.0,
    span_s: float | None = None,
) -> Trace:
    """The requests `rows` of `trace`, arrivals moved by -shift_s."""
    return Trace(
        name=name,
        arrival_s=trace.arrival_s[rows] - shift_s,
        input_tokens=trace.input_tokens[rows],
        output_tokens=trace.output_tokens[rows],
        source=trace.source,
        span_s=span_s,
        notes=(*trace.notes, note),
    )


def head(trace: Trace, n: int) -> Trace:
    """The first ``n`` requests (all of them if the trace is shorter); ends at the last one."""
    if n < 0:
        raise TraceError(f"head: n ({n}) must be >= 0")
    return _derive(trace, slice(0, n), name=f"{trace.name}[:{n}]", note=f"first {n} requests")


def window(trace: Trace, start_s: float, end_s: float) -> Trace:
    """Requests arriving in [start_s, end_s), re-zeroed at ``start_s``.

    The window spans ``min(end_s, trace.duration_s) - start_s`` seconds (0 if it starts after
    the trace ends).
    """
    if not (0 <= start_s < end_s and math.isfinite(end_s)):
        raise TraceError(f"window: need 0 <= start_s ({start_s}) < end_s ({end_s}), both finite")
    lo, hi = np.searchsorted(trace.arrival_s, [start_s, end_s], side="left")
    span = max(0.0, min(end_s, trace.duration_s) - start_s)
    note = f"window [{start_s:g} s, {end_s:g} s) of the parent, re-zeroed"
    return _derive(
        trace,
        slice(lo, hi),
        name=f"{trace.name}[{start_s:g}s:{end_s:g}s]",
        note=note,
        shift_s=start_s,
        span_s=span,
    )


def split_periods(trace: Trace, period_s: float) -> list[Trace]:
    """Consecutive periods of ``period_s`` seconds covering the trace, each re-zeroed.

    Period k holds arrivals in [k·period_s, (k+1)·period_s); the last one also holds an arrival
    at exactly `duration_s` and spans only what remains. Quiet periods are empty traces, so the
    list always has ceil(duration_s / period_s) entries (at least one).
    """
    if not (period_s > 0 and math.isfinite(period_s)):
        raise TraceError(f"split_periods: period_s ({period_s}) must be a positive number")
    duration = trace.duration_s
    count = max(1, math.ceil(duration / period_s))
    starts_s = np.arange(count) * period_s
    bounds = [*np.searchsorted(trace.arrival_s, starts_s, side="left"), trace.num_requests]
    periods = []
    for k in range(count):
        start = float(starts_s[k])
        span = min(period_s, duration - start) if k == count - 1 else period_s
        note = f"period {k} of {count}: [{start:g} s, {start + period_s:g} s) of the parent"
        periods.append(
            _derive(
                trace,
                slice(bounds[k], bounds[k + 1]),
                name=f"{trace.name}[period {k}]",
                note=note,
                shift_s=start,
                span_s=max(span, 0.0),
            )
        )
    return periods


def size_class_labels(
    trace: Trace, input_edges: Sequence[int], output_edges: Sequence[int]
) -> tuple[NDArray[np.int64], tuple[str, ...]]:
    """Each request's size class, and the class names.

    The edges are the lower bounds of every bin but the first, in tokens, strictly increasing:
    ``input_edges=(512, 4096)`` makes the bins 1-511, 512-4095 and 4096+. Classes are the
    cross product, input-major, named like ``"in:1-511/out:128+"``. Returns ``labels``
    (num_requests,) indices into ``names`` (len(input bins) × len(output bins)).
    """
    in_names = _bin_names("in", input_edges)
    out_names = _bin_names("out", output_edges)
    in_bin = np.searchsorted(np.asarray(input_edges, np.int64), trace.input_tokens, side="right")
    out_bin = np.searchsorted(np.asarray(output_edges, np.int64), trace.output_tokens, side="right")
    labels = (in_bin * len(out_names) + out_bin).astype(np.int64)
    names = tuple(f"{i}/{o}" for i in in_names for o in out_names)
    return labels, names


def size_classes(
    trace: Trace, input_edges: Sequence[int], output_edges: Sequence[int]
) -> dict[str, Trace]:
    """The trace split into size classes (see `size_class_labels`), every class present.

    Each class keeps its requests' arrival times and spans the parent's whole duration, so its
    `rate_rps` is its share of the parent's rate and the class counts add up to the parent's.
    """
    labels, names = size_class_labels(trace, input_edges, output_edges)
    return {
        cls: _derive(
            trace,
            np.flatnonzero(labels == k),
            name=f"{trace.name}[{cls}]",
            note=f"size class {cls}",
            span_s=trace.duration_s,
        )
        for k, cls in enumerate(names)
    }


def _bin_names(prefix: str, edges: Sequence[int]) -> list[str]:
    bounds = [int(e) for e in edges]
    if any(e < 2 for e in bounds) or any(b <= a for a, b in itertools.pairwise(bounds)):
        raise TraceError(f"{prefix}put_edges {list(edges)} must be strictly increasing and >= 2")
    if not bounds:
        return [f"{prefix}:all"]
    lows = [1, *bounds]
    names = [f"{prefix}:{lo}-{hi - 1}" for lo, hi in zip(lows, bounds, strict=False)]
    return [*names, f"{prefix}:{bounds[-1]}+"]


def rescale_rate(trace: Trace, target_rps: float) -> Trace:
    """Every arrival time (so every gap) multiplied by one factor so that `rate_rps` = target.

    Order and burstiness (the CV of the gaps) are kept; so are the request lengths.
    """
    if not (target_rps > 0 and math.isfinite(target_rps)):
        raise TraceError(f"rescale_rate: target_rps ({target_rps}) must be a positive number")
    if trace.rate_rps <= 0:
        raise TraceError(f"rescale_rate: trace {trace.name!r} has no rate to rescale")
    factor = trace.rate_rps / target_rps
    return Trace(
        name=trace.name,
        arrival_s=trace.arrival_s * factor,
        input_tokens=trace.input_tokens,
        output_tokens=trace.output_tokens,
        source=trace.source,
        span_s=None if trace.span_s is None else trace.span_s * factor,
        notes=(
            *trace.notes,
            f"rate rescaled {trace.rate_rps:.6g} -> {target_rps:g} rps (gaps x{factor:.6g})",
        ),
    )


def _extent_s(trace: Trace) -> float:
    """Where a following trace starts: span_s, else the last arrival plus the mean gap."""
    if trace.span_s is not None:
        return trace.span_s
    if trace.num_requests < 2:
        raise TraceError(
            f"trace {trace.name!r} has {trace.num_requests} requests and no span_s: cannot tell "
            "where a following trace starts"
        )
    return float(trace.arrival_s[-1] + trace.interarrival_s.mean())


def concat(traces: Sequence[Trace], *, name: str | None = None) -> Trace:
    """The traces one after another.

    Each starts where the previous one ends: at its `span_s` if it has one, else one mean gap
    after its last arrival, so the joint looks like the traces' own traffic. The result spans
    to the end of the last trace's `span_s`, or to its last arrival.
    """
    if not traces:
        raise TraceError("concat: no traces given")
    offsets = np.concatenate([[0.0], np.cumsum([_extent_s(t) for t in traces[:-1]])])
    last = traces[-1]
    span = None if last.span_s is None else float(offsets[-1] + last.span_s)
    notes = dict.fromkeys(n for t in traces for n in t.notes)  # ordered, unique
    return Trace(
        name=name or "+".join(dict.fromkeys(t.name for t in traces)),
        arrival_s=np.concatenate(
            [t.arrival_s + off for t, off in zip(traces, offsets, strict=True)]
        ),
        input_tokens=np.concatenate([t.input_tokens for t in traces]),
        output_tokens=np.concatenate([t.output_tokens for t in traces]),
        source="; ".join(dict.fromkeys(t.source for t in traces)),
        span_s=span,
        notes=(*notes, f"concatenation of {len(traces)} traces"),
    )


def repeat(trace: Trace, times: int) -> Trace:
    """The trace ``times`` times in a row (see `concat` for where each copy starts)."""
    if times < 1:
        raise TraceError(f"repeat: times ({times}) must be >= 1")
    return concat([trace] * times, name=f"{trace.name}x{times}")
