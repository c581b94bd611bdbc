"""Tiny analyses on measured capacities, with brute-force oracles."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from pathlib import Path

from fleetmix.analyze.resolve import Setup, prepare
from fleetmix.plan import load_scenario

Counts = tuple[int, ...]


def setup_of(path: Path) -> Setup:
    return prepare(load_scenario(path), capacity_csv=path.parent / "caps.csv")


def cheapest(prices: Sequence[float], caps: Sequence[float], demand: float,
             ok: Callable[[Counts], bool] = lambda n: True, limit: int = 18
             ) -> tuple[float, Counts | None]:
    """The cheapest integer replica counts covering `demand`, by enumeration."""
    best, arg = float("inf"), None
    for counts in itertools.product(range(limit), repeat=len(prices)):
        if sum(n * c for n, c in zip(counts, caps, strict=True)) + 1e-9 < demand or \
                not ok(counts):
            continue
        cost = sum(n * p for n, p in zip(counts, prices, strict=True))
        if cost < best - 1e-12:
            best, arg = cost, counts
    return best, arg


def uses_at(prices: Sequence[float], caps: Sequence[float], demand: float, i: int,
            factor: float) -> bool:
    """Whether some optimum at `factor` × price i must use option i (ties count as not)."""
    scaled = [p * factor if j == i else p for j, p in enumerate(prices)]
    with_i, _ = cheapest(scaled, caps, demand, ok=lambda n: n[i] > 0)
    without, _ = cheapest(scaled, caps, demand, ok=lambda n: n[i] == 0)
    return with_i < without - 1e-9


def true_threshold(prices: Sequence[float], caps: Sequence[float], demand: float, i: int
                   ) -> float:
    """The price factor of option i above which no optimum uses it (bisection on the oracle)."""
    low, high = 0.0, 10.0
    for _ in range(40):
        mid = (low + high) / 2
        low, high = (mid, high) if uses_at(prices, caps, demand, i, mid) else (low, mid)
    return (low + high) / 2
