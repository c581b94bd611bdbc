"""Capacity search under an SLO, and its on-disk cache."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest

from fleetmix.arch import load_arch
from fleetmix.catalog import load_catalog
from fleetmix.perf import Deployment, make_deployment
from fleetmix.sim import (
    CapacityCache,
    CapacityResult,
    Slo,
    default_cache_dir,
    find_capacity,
    simulate_trace,
)
from fleetmix.sim.cache import capacity_key
from fleetmix.workload import FixedLengths, Trace, head, rescale_rate, synthetic_trace

PROBE_REQUESTS = 300
QUEUE_P99_LIMIT_S = 5.0  # find_capacity's default stability bound on arrival-to-admission p99
SLO = Slo(ttft_s={99: 0.05}, tpot_s={90: 0.006})


@functools.cache
def deploy(precision: str = "fp8") -> Deployment:
    return make_deployment(load_arch("llama-3.1-8b"), load_catalog().accelerator("h100-sxm"),
                           tp=1, pp=1, ep=1, precision=precision)


@functools.cache
def workload(seed: int = 3) -> Trace:
    # More requests than a probe uses, so a probe is exactly the head of the rescaled trace.
    return synthetic_trace(rate_rps=1.0, num_requests=400, seed=seed,
                           lengths=FixedLengths(input_tokens=512, output_tokens=128))


def search(slo: Slo = SLO, cache: CapacityCache | None = None) -> CapacityResult:
    """The capacity search at test size: 300-request probes, 5 % tolerance."""
    return find_capacity(deploy(), workload(), slo, requests=PROBE_REQUESTS, min_duration_s=1.0,
                         tolerance=0.05, cache=cache)


def capacity(slo: Slo = SLO, cache: CapacityCache | None = None) -> float:
    return search(slo, cache).max_rate_rps


def sustains(rate_rps: float, slo: Slo = SLO) -> bool:
    """Re-simulate the workload at `rate_rps`: SLO met, all done, queue p99 bounded."""
    run = simulate_trace(deploy(), head(rescale_rate(workload(), rate_rps), PROBE_REQUESTS),
                         slo=slo)
    return (bool(run.slo_met) and run.completed == PROBE_REQUESTS
            and run.queue_s.p99 <= QUEUE_P99_LIMIT_S)


def test_capacity_is_sustained_and_twenty_percent_more_is_not() -> None:
    result = search()
    rate = result.max_rate_rps
    assert rate > 0.0
    assert sustains(rate)
    assert not sustains(1.2 * rate)
    assert result.cached is False
    assert result.probes >= 2
    assert result.slo == SLO.describe()
    assert result.at_max_rate is not None
    assert result.at_max_rate["slo_met"] is True
    assert result.at_max_rate["requests"] == PROBE_REQUESTS


def test_a_looser_slo_never_lowers_capacity() -> None:
    looser = Slo(ttft_s={99: 0.1}, tpot_s={90: 0.008})
    assert capacity(looser) >= capacity(SLO)


def test_slo_missed_even_when_idle_gives_zero() -> None:
    result = search(Slo(ttft_s={99: 1e-6}))
    assert result.max_rate_rps == 0.0
    assert result.at_max_rate is None
    assert result.probes >= 1


def test_capacity_needs_a_target() -> None:
    with pytest.raises(ValueError, match="SLO"):
        find_capacity(deploy(), workload(), Slo())


# ----- cache ---------------------------------------------------------------------------------


def cache_files(root: Path) -> list[Path]:
    return sorted((root / "capacity").glob("*.json"))


def test_cache_round_trip(tmp_path: Path) -> None:
    cache = CapacityCache(tmp_path)
    first = search(cache=cache)
    second = search(cache=cache)
    assert first.cached is False
    assert second.cached is True
    assert second.max_rate_rps == first.max_rate_rps
    assert second.probes == first.probes
    assert second.slo == first.slo
    assert second.requests_per_probe == first.requests_per_probe
    assert len(cache_files(tmp_path)) == 1


@pytest.mark.parametrize("garbage", [b'{"max_rate_rps": 3', b"\xff\xfe\x00", b"[1, 2]", b""])
def test_corrupted_cache_entry_is_a_miss(tmp_path: Path, garbage: bytes) -> None:
    cache = CapacityCache(tmp_path)
    rate = capacity(cache=cache)
    (entry,) = cache_files(tmp_path)
    entry.write_bytes(garbage)
    again = search(cache=cache)
    assert again.cached is False
    assert again.max_rate_rps == rate
    (rewritten,) = cache_files(tmp_path)
    assert rewritten.read_bytes() != garbage
    assert search(cache=cache).cached is True


def test_a_different_slo_misses_the_cache(tmp_path: Path) -> None:
    cache = CapacityCache(tmp_path)
    capacity(cache=cache)
    other = search(Slo(ttft_s={99: 1e-6}), cache=cache)
    assert other.cached is False
    assert other.max_rate_rps == 0.0
    assert len(cache_files(tmp_path)) == 2


def key(dep: Deployment | None = None, trace: Trace | None = None, slo: Slo = SLO,
        requests: int = PROBE_REQUESTS, tolerance: float = 0.05) -> str:
    return capacity_key(dep or deploy(), trace or workload(), slo, requests, tolerance, 1)


def test_capacity_key_changes_with_what_affects_the_answer() -> None:
    base = key()
    assert key() == base
    # An equal trace built separately (a different object) has the same key.
    assert key(trace=synthetic_trace(rate_rps=1.0, num_requests=400, seed=3,
                                     lengths=FixedLengths(input_tokens=512,
                                                          output_tokens=128))) == base
    changed = [
        key(slo=Slo(ttft_s={99: 0.05}, tpot_s={90: 0.007})),
        key(slo=Slo(ttft_s={90: 0.05}, tpot_s={90: 0.006})),
        key(dep=deploy("bf16")),
        key(trace=workload(seed=4)),
        key(requests=PROBE_REQUESTS + 1),
        key(tolerance=0.02),
    ]
    assert base not in changed
    assert len(set(changed)) == len(changed)


def test_default_cache_dir_precedence(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("FLEETMIX_CACHE_DIR", str(tmp_path / "explicit"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "explicit"
    monkeypatch.delenv("FLEETMIX_CACHE_DIR")
    assert default_cache_dir() == tmp_path / "xdg" / "fleetmix"
    assert CapacityCache().directory == tmp_path / "xdg" / "fleetmix" / "capacity"
