"""What a simulation run measured: per-request latencies summarised, throughput, goodput, energy."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

PERCENTILES = (50, 90, 99)


@dataclass(frozen=True, kw_only=True)
class LatencyStats:
    """Summary of one latency over the completed requests, seconds."""

    mean: float
    p50: float
    p90: float
    p99: float

    @classmethod
    def of(cls, values_s: NDArray[np.float64]) -> LatencyStats:
        finite = values_s[np.isfinite(values_s)]
        if finite.size == 0:
            return cls(mean=float("nan"), p50=float("nan"), p90=float("nan"), p99=float("nan"))
        p50, p90, p99 = np.percentile(finite, PERCENTILES)
        return cls(mean=float(finite.mean()), p50=float(p50), p90=float(p90), p99=float(p99))

    def at(self, statistic: str) -> float:
        """`mean`, `p50`/`median`, `p90` or `p99`."""
        return float(getattr(self, "p50" if statistic == "median" else statistic))


@dataclass(frozen=True, kw_only=True)
class Slo:
    """Latency targets: percentile (50, 90, 99) -> seconds, for TTFT and TPOT."""

    ttft_s: dict[int, float] = field(default_factory=dict)
    tpot_s: dict[int, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name, targets in (("ttft", self.ttft_s), ("tpot", self.tpot_s)):
            for pct, seconds in targets.items():
                if pct not in PERCENTILES:
                    raise ValueError(f"{name} percentile ({pct}) must be one of {PERCENTILES}")
                if seconds <= 0:
                    raise ValueError(f"{name} p{pct} target ({seconds}) must be > 0 s")

    @property
    def empty(self) -> bool:
        return not self.ttft_s and not self.tpot_s

    def describe(self) -> str:
        parts = [f"TTFT p{p} <= {s:g} s" for p, s in sorted(self.ttft_s.items())]
        parts += [f"TPOT p{p} <= {s * 1e3:g} ms" for p, s in sorted(self.tpot_s.items())]
        return ", ".join(parts) or "none"

    def met_by(self, ttft: LatencyStats, tpot: LatencyStats) -> bool:
        """Whether the percentiles of a run meet every target (NaN never meets one)."""
        checks = [(ttft.at(f"p{p}"), s) for p, s in self.ttft_s.items()]
        checks += [(tpot.at(f"p{p}"), s) for p, s in self.tpot_s.items()]
        return all(value <= target for value, target in checks)

    def request_ok(self, ttft_s: NDArray[np.float64], tpot_s: NDArray[np.float64]
                   ) -> NDArray[np.bool_]:
        """Per request: meets the tightest TTFT and TPOT targets (for goodput)."""
        ok = np.isfinite(ttft_s)
        if self.ttft_s:
            ok &= ttft_s <= min(self.ttft_s.values())
        if self.tpot_s:
            ok &= ~(tpot_s > min(self.tpot_s.values()))  # NaN TPOT (one token) passes
        return ok


@dataclass(frozen=True, kw_only=True)
class SimResult:
    """One simulation: counts, latency summaries, throughput, utilisation and energy."""

    requests: int
    completed: int
    rejected: int  # requests larger than a replica's KV cache
    replicas: int
    ttft_s: LatencyStats
    tpot_s: LatencyStats
    e2e_s: LatencyStats
    queue_s: LatencyStats  # arrival to first admission
    throughput_output_tokens_per_s: float
    throughput_requests_per_s: float
    goodput_requests_per_s: float | None  # completed requests meeting the SLO, per second
    slo: str
    slo_met: bool | None
    simulated_s: float  # first arrival to last finish
    wall_s: float  # time the simulation took
    preemptions: int
    utilisation: float  # busy fraction of the replicas over the whole run (warm-up included)
    drain_s: float  # last finish minus last arrival: how long the backlog took to clear
    max_service_s: float  # longest admission-to-finish time of one request
    energy_j: float | None  # whole run; None when the accelerator's TDP is unknown
    steps: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
