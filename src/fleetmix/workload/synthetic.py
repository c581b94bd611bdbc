"""Synthetic traces: renewal-process arrivals and fixed, lognormal or empirical lengths.

Arrivals are a renewal process with Gamma-distributed gaps of mean 1 / rate and coefficient of
variation ``arrival_cv``: cv = 1 is a Poisson process, cv > 1 is burstier, cv < 1 more regular.
A Gamma with shape k and scale θ has mean kθ and CV 1/√k, so k = 1/cv² and θ = cv² / rate.

Arrivals and lengths draw from independent streams spawned from one seed, so changing the length
model does not move the arrivals.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from fleetmix.errors import TraceError
from fleetmix.workload.trace import Trace

_Pairs = tuple[NDArray[np.int64], NDArray[np.int64]]  # (input_tokens, output_tokens)


@dataclass(frozen=True, kw_only=True)
class FixedLengths:
    """Every request has the same input and output length."""

    input_tokens: int
    """Prompt tokens per request (ISL), >= 1."""
    output_tokens: int
    """Generated tokens per request (OSL), >= 1."""

    def __post_init__(self) -> None:
        if self.input_tokens < 1 or self.output_tokens < 1:
            raise TraceError(
                f"FixedLengths: input_tokens ({self.input_tokens}) and output_tokens "
                f"({self.output_tokens}) must be >= 1"
            )

    def sample(self, rng: np.random.Generator, n: int) -> _Pairs:
        return np.full(n, self.input_tokens, np.int64), np.full(n, self.output_tokens, np.int64)

    def describe(self) -> str:
        return f"fixed lengths {self.input_tokens} in / {self.output_tokens} out"


@dataclass(frozen=True, kw_only=True)
class LognormalLengths:
    """Independent lognormal input and output lengths with the given means and CVs.

    For mean m and CV c: σ² = ln(1 + c²), μ = ln m − σ²/2. Samples are rounded to whole tokens
    and raised to at least 1 (which lifts the mean slightly when m is a few tokens).
    """

    input_mean_tokens: float
    """Mean prompt tokens per request, > 0."""
    input_cv: float
    """CV (std / mean) of prompt tokens, >= 0; 0 is a fixed length."""
    output_mean_tokens: float
    """Mean generated tokens per request, > 0."""
    output_cv: float
    """CV (std / mean) of generated tokens, >= 0."""

    def __post_init__(self) -> None:
        for label, mean, cv in (
            ("input", self.input_mean_tokens, self.input_cv),
            ("output", self.output_mean_tokens, self.output_cv),
        ):
            if not (mean > 0 and cv >= 0 and math.isfinite(mean) and math.isfinite(cv)):
                raise TraceError(
                    f"LognormalLengths: {label}_mean_tokens ({mean}) must be > 0 and "
                    f"{label}_cv ({cv}) >= 0"
                )

    def sample(self, rng: np.random.Generator, n: int) -> _Pairs:
        return (
            _lognormal(rng, n, self.input_mean_tokens, self.input_cv),
            _lognormal(rng, n, self.output_mean_tokens, self.output_cv),
        )

    def describe(self) -> str:
        return (
            f"lognormal lengths in mean {self.input_mean_tokens:g} cv {self.input_cv:g} / "
            f"out mean {self.output_mean_tokens:g} cv {self.output_cv:g}"
        )


@dataclass(frozen=True, kw_only=True)
class EmpiricalLengths:
    """(input, output) pairs drawn with replacement from a trace, kept together."""

    trace: Trace
    """The trace whose requests are resampled; must not be empty."""

    def __post_init__(self) -> None:
        if self.trace.num_requests == 0:
            raise TraceError(f"EmpiricalLengths: trace {self.trace.name!r} has no requests")

    def sample(self, rng: np.random.Generator, n: int) -> _Pairs:
        idx = rng.integers(0, self.trace.num_requests, size=n)
        return self.trace.input_tokens[idx], self.trace.output_tokens[idx]

    def describe(self) -> str:
        return f"lengths resampled from trace {self.trace.name!r}"


LengthModel = FixedLengths | LognormalLengths | EmpiricalLengths


def synthetic_trace(
    *,
    rate_rps: float,
    lengths: LengthModel | Trace,
    duration_s: float | None = None,
    num_requests: int | None = None,
    arrival_cv: float = 1.0,
    seed: int = 0,
    name: str = "synthetic",
) -> Trace:
    """A seeded synthetic trace at ``rate_rps`` with gaps of CV ``arrival_cv`` (1 = Poisson).

    Give exactly one of ``duration_s`` (arrivals in [0, duration_s); the trace spans the whole
    duration) or ``num_requests`` (the trace ends at the last arrival). ``lengths`` is a
    `LengthModel`; a `Trace` is shorthand for ``EmpiricalLengths(trace=...)``.
    """
    if (duration_s is None) == (num_requests is None):
        raise TraceError("give exactly one of duration_s and num_requests")
    if not (rate_rps > 0 and math.isfinite(rate_rps)):
        raise TraceError(f"rate_rps ({rate_rps}) must be a positive number")
    if not (arrival_cv > 0 and math.isfinite(arrival_cv)):
        raise TraceError(f"arrival_cv ({arrival_cv}) must be positive (1 is Poisson)")
    model = EmpiricalLengths(trace=lengths) if isinstance(lengths, Trace) else lengths
    arrival_rng, length_rng = np.random.default_rng(seed).spawn(2)
    if num_requests is not None:
        if num_requests < 0:
            raise TraceError(f"num_requests ({num_requests}) must be >= 0")
        arrival = np.cumsum(_gaps(arrival_rng, num_requests, rate_rps, arrival_cv))
    else:
        assert duration_s is not None
        if not (duration_s > 0 and math.isfinite(duration_s)):
            raise TraceError(f"duration_s ({duration_s}) must be a positive number")
        arrival = _arrivals_within(arrival_rng, duration_s, rate_rps, arrival_cv)
    inp, out = model.sample(length_rng, len(arrival))
    how = "Poisson" if arrival_cv == 1 else f"Gamma (cv {arrival_cv:g})"
    return Trace(
        name=name,
        arrival_s=arrival,
        input_tokens=inp,
        output_tokens=out,
        source=f"synthetic: {how} arrivals at {rate_rps:g} rps, {model.describe()}, seed {seed}",
        span_s=duration_s,
    )


def _gaps(rng: np.random.Generator, n: int, rate_rps: float, cv: float) -> NDArray[np.float64]:
    shape = 1.0 / cv**2
    return rng.gamma(shape, 1.0 / (rate_rps * shape), size=n)  # mean 1/rate, CV cv


def _arrivals_within(
    rng: np.random.Generator, duration_s: float, rate_rps: float, cv: float
) -> NDArray[np.float64]:
    """All arrivals in [0, duration_s), drawing gaps in batches until past the end."""
    expected = rate_rps * duration_s
    batch = int(expected + 6 * cv * math.sqrt(expected) + 16)
    arrival = np.cumsum(_gaps(rng, batch, rate_rps, cv))
    while arrival[-1] < duration_s:
        more = arrival[-1] + np.cumsum(_gaps(rng, batch, rate_rps, cv))
        arrival = np.concatenate([arrival, more])
    return arrival[arrival < duration_s]


def _lognormal(rng: np.random.Generator, n: int, mean: float, cv: float) -> NDArray[np.int64]:
    sigma2 = math.log1p(cv**2)
    draws = rng.lognormal(math.log(mean) - sigma2 / 2, math.sqrt(sigma2), size=n)
    return np.maximum(np.rint(draws), 1).astype(np.int64)
