"""Solving the fleet MILP period by period, the way that scales.

Periods are tied together only by committed tiers (one count for the whole horizon), a vendor
share of spend (summed over the horizon), `min_vendors` (the same vendors in every period) and
the coverage problem's single α. Without those the model is one independent MILP per distinct
period: solved apart (on threads: HiGHS releases the GIL), each to the target gap, their sum is
the optimum within that gap. HiGHS on the whole model does not see this block structure and
closes the gap far more slowly (the multi-vendor example: 1.7% after 30 s whole, 1% in about
3 s apart, on-demand only).

With committed tiers (and nothing else tying periods), a branch and bound on the committed
counts (`_Search`), periods still solved apart:
1. relaxation (the root): each period buys its own committed counts, priced for its own
   hours. Any fleet for the horizon is a solution of it at the same cost, so the sum of the
   periods' dual bounds is a lower bound on the optimum. On its own it is weak: committed
   chips bought for the peak are paid for at night too (multi-vendor example: 2.6% below
   the optimum).
2. a first fleet: per offering, commit the k-th instance when the relaxation uses it in at
   least a fraction ρ of the hours, ρ = committed price / cheapest per-period price (it then
   pays for itself); every period is solved with those counts held.
3. the bound is then raised by splitting the box of committed counts in two, below and from
   the commitment that step 2 picks for the box, on the key whose periods disagree most.
   Each child re-solves only the periods whose counts fall outside it (so a split costs at
   most one solve per period; a third child at the commitment itself cost about twice as
   many solves for no fewer splits on the multi-vendor example), and a box whose
   periods all agree is a fleet. It stops at the target gap or the time limit, so the
   bound and the fleet are the best found by then, and both stay valid.
The search runs in rounds, each round's period solves in one batch on the threads: the
root's halves are solved with the first fleet (unless its commitment is so close to the
periods' counts that it may close the gap alone), and each later round splits every open box
whose bound is still below what the target gap asks. The multi-vendor example takes 4 rounds
(72 period solves) where splitting the lowest box at a time took 6: on 2 threads that is
about the same, on more threads each round costs about its slowest solve, so fewer rounds
are what is faster.
Small models (a few hundred integer variables) are first given to HiGHS whole, which proves
them optimal faster than this search. Per-period solves run without HiGHS's sub-MIP
heuristics (`PERIOD_OPTIONS`): about a third faster on these small models.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from fleetmix.plan.milp import (
    Problem,
    Run,
    Solution,
    committed_upper,
    distinct_periods,
    expand,
    gap,
    objective_per_instance_hour,
    run,
    tiers_of,
)
from fleetmix.plan.scenario import COMMITTED_TIERS


def decomposable(problem: Problem) -> bool:
    """Whether only committed tiers tie the periods together."""
    policy = problem.policy
    return not (problem.coverage or problem.relax or problem.periods is not None
                or (policy.max_vendor_share is not None
                    and policy.vendor_share_basis == "spend")
                or (policy.min_vendors is not None and policy.min_vendors > 1))


Key = tuple[str, str]  # (offering id, committed tier)
Box = dict[Key, tuple[int, int]]  # least and most committed instances per key

# Per-period solves in a branch and bound aim at this share of the scenario's gap: their
# dual bounds add up to the bound, so their own slack must leave room for the fleet's.
SUB_GAP_SHARE = 0.1
# A model with at most this many (candidate, distinct period) pairs is first solved whole,
# for this share of the time limit: HiGHS often proves such a model optimal in a fraction of a
# second (examples/uncertain.yaml, a single-accelerator baseline), faster than the search.
SMALL_MODEL = 400
SMALL_MODEL_TIME_SHARE = 0.25
# HiGHS options for the small per-period models: the sub-MIP heuristics (RINS, RENS, root
# reduced cost) take about half of their time and rarely find what branching does not.
PERIOD_OPTIONS: dict[str, bool | int | float | str] = {
    "mip_heuristic_run_rins": False, "mip_heuristic_run_rens": False,
    "mip_heuristic_run_root_reduced_cost": False}


def solve(problem: Problem, write_lp: Path | None = None, workers: int | None = None
          ) -> Solution:
    """The fleet MILP, by period when that is possible (see the module docstring), else
    whole. `write_lp` always writes the whole model. Never raises on an infeasible model."""
    start = time.perf_counter()
    if write_lp is not None or not decomposable(problem):
        return expand(problem.scenario, run(problem, write_lp=write_lp),
                      solve_s=time.perf_counter() - start)
    deadline = start + problem.scenario.time_limit_s
    reps, _ = distinct_periods(problem.scenario)
    count = min(workers or os.cpu_count() or 1, len(reps))
    with ThreadPoolExecutor(max_workers=count) as pool:
        def solve_all(problems: list[Problem], mip_rel_gap: float) -> list[Run]:
            return list(pool.map(lambda pr: run(pr, time_limit_s=deadline - time.perf_counter(),
                                                mip_rel_gap=mip_rel_gap,
                                                options=PERIOD_OPTIONS), problems))
        return _solve(problem, solve_all, deadline, start)


SolveAll = Callable[[list[Problem], float], list[Run]]


def _solve(problem: Problem, solve_all: SolveAll, deadline: float, start: float) -> Solution:
    sc = problem.scenario
    reps, _ = distinct_periods(sc)
    keys = _committed_keys(problem)
    if not keys:
        runs = solve_all([replace(problem, periods=(p,)) for p in reps], sc.mip_rel_gap)
        lower = _bound(runs)
        if not all(r.feasible for r in runs):
            return _fallback(problem, runs, start, deadline, lower)
        return _finish(problem, _joined(runs), lower, 0.0, start,
                       f"by period ({len(runs)} independent models)")
    whole = None
    if len(problem.candidates) * len(reps) <= SMALL_MODEL:
        whole = run(problem, time_limit_s=SMALL_MODEL_TIME_SHARE * sc.time_limit_s)
        if whole.feasible and whole.objective is not None and whole.dual_bound is not None \
                and gap(whole.objective, whole.dual_bound) <= sc.mip_rel_gap + 1e-9:
            return expand(sc, whole, solve_s=time.perf_counter() - start,
                          method="whole model (small)")
    search = _Search(problem, keys, solve_all)
    root = search.root()
    if not all(r.feasible for r in root.runs):
        return _fallback(problem, list(root.runs), start, deadline, root.bound)
    search.run(root, deadline)
    if search.best is None:
        return _fallback(problem, list(root.runs), start, deadline, search.lower())
    value, fleet, commit = search.best
    lower = search.lower()
    if whole is not None and whole.dual_bound is not None:  # both bound the same optimum
        lower = max(lower, whole.dual_bound)
        if whole.objective is not None and whole.objective < value:
            return _finish(problem, whole, min(lower, whole.objective), 0.0, start,
                           "whole model (small), bound also by period")
    sunk = sum(objective_per_instance_hour(_offering(problem, o), tier, sc) * n
               for (o, tier), n in commit.items())
    method = (f"by period ({len(fleet)} models), branch and bound on committed counts "
              f"({search.nodes} nodes, {search.solves} period solves)")
    return _finish(problem, _joined(list(fleet), commit), min(lower, value), sunk,
                   start, method, timed_out=bool(search.open))


def _committed_keys(problem: Problem) -> list[Key]:
    sc = problem.scenario
    seen = {(c.offering.id, t) for c in problem.candidates
            for t in tiers_of(c.offering, sc, problem.policy) if t in COMMITTED_TIERS}
    return sorted(seen)


@dataclass(frozen=True)
class _Node:
    """A box of committed counts and each period's best use of it (its relaxation)."""

    box: Box
    runs: tuple[Run, ...]  # per distinct period, each free to pick its counts in the box
    bounds: tuple[float, ...]  # per distinct period, a lower bound valid in the box

    @property
    def bound(self) -> float:
        return float(sum(self.bounds))

    def counts(self) -> NDArray[np.int64] | None:
        """(periods, keys) committed counts of the runs; None while one has no solution."""
        if not all(r.feasible for r in self.runs):
            return None
        return np.array([[_held(r).get(k, 0) for k in self.box] for r in self.runs],
                        dtype=np.int64).reshape(len(self.runs), len(self.box))


class _Search:
    """Branch and bound on the committed counts, periods solved apart at every node.

    A node is a box of committed counts; each period picks its own counts in the box, pays
    for them for its own hours, and its dual bound holds for every fleet in the box (a fleet
    of the horizon is such a choice, all periods alike, at the same cost). When all periods
    pick the same counts, their fleet is a fleet of the horizon. Else the node splits on the
    key whose periods disagree most (by price), at the quantile commitment (`_commitment`):
    below it, and from it up. A child keeps the run of each period whose
    counts lie in its box (still its best there) and re-solves the others. The bound is the
    least bound of the boxes left open or closed; it never decreases."""

    def __init__(self, problem: Problem, keys: list[Key], solve_all: SolveAll) -> None:
        self.problem = problem
        self.keys = keys
        self.solve_all = solve_all
        self.reps, mult = distinct_periods(problem.scenario)
        self.weights = np.asarray(mult, dtype=np.float64) / problem.scenario.num_periods
        self.prices = np.array([objective_per_instance_hour(_offering(problem, o), t,
                                                            problem.scenario)
                                for o, t in keys])
        self.gap = problem.scenario.mip_rel_gap * SUB_GAP_SHARE
        self.best: tuple[float, tuple[Run, ...], dict[Key, int]] | None = None
        self.open: list[tuple[float, int, _Node]] = []
        self.closed: list[float] = []  # bounds of boxes settled (a fleet found, or pruned)
        self.nodes = self.solves = 0
        self.seconds = np.zeros(len(self.reps))  # per period, its last solve's
        self.seen: set[tuple[tuple[Key, tuple[int, int]], ...]] = set()  # boxes solved

    def root(self) -> _Node:
        upper = committed_upper(self.problem)
        box = {k: (0, upper[k]) for k in self.keys}
        return self._children([(None, box)])[0]

    def lower(self) -> float:
        bounds = [b for b, _, _ in self.open] + self.closed
        return min(bounds) if bounds else -np.inf

    def run(self, root: _Node, deadline: float) -> None:
        """Rounds of splits, each round's periods solved in one batch, until the gap target
        or the deadline. Round one solves the first fleet (every period at the quantile
        commitment), and the root's halves with it unless that fleet may close the gap alone
        (`_needs_split`); later rounds split every open box whose bound is below what the
        target gap asks of the bound (before a fleet is known: the lowest box only). Which
        boxes are split depends on the bounds alone, never on the number of threads, so
        neither does the plan; fewer rounds mean fewer waits for a round's slowest solve."""
        self._push(root)
        jobs: list[tuple[_Node | None, Box]] = []  # (parent, box) of a round's children
        if self.best is None:  # the caller saw every root period feasible
            point = self._quantile(root)
            jobs.append((root, {k: (v, v) for k, v in point.items()}))
            if self._needs_split(root, point):
                jobs += self._splits()
        lead = True  # the first fleet's periods first
        while jobs and time.perf_counter() < deadline:
            # a half at a box's least count can be the first fleet's box: solve each box once
            # (the node of a box seen before is open, closed or infeasible already)
            for kid in self._children([j for j in jobs if self._first_time(j[1])], lead=lead):
                self._push(kid)
            lead = False
            if not self.open or (self.best is not None and gap(self.best[0], self.lower())
                                 <= self.problem.scenario.mip_rel_gap + 1e-9):
                return
            jobs = self._splits()  # none: a period ran out of time in every box left

    def _splits(self) -> list[tuple[_Node | None, Box]]:
        """The halves of every open node to split now (`_round`)."""
        jobs: list[tuple[_Node | None, Box]] = []
        for node in self._round():
            counts = node.counts()
            assert counts is not None  # _round keeps nodes without counts
            jobs += [(node, box) for box in self._split(node, counts)]
        return jobs

    def _first_time(self, box: Box) -> bool:
        key = tuple(sorted(box.items()))
        seen = key in self.seen
        self.seen.add(key)
        return not seen

    def _needs_split(self, root: _Node, point: dict[Key, int]) -> bool:
        """Whether the root's periods are so far from the first fleet's commitment that the
        fleet will hardly close the gap alone: the committed instances they would leave idle
        or have to buy per period are worth more than the gap target of the root's bound."""
        counts = root.counts()
        assert counts is not None
        far = self._disagreement(counts, point).sum()
        return bool(far > self.problem.scenario.mip_rel_gap * abs(root.bound))

    def _round(self) -> list[_Node]:
        """The open nodes to split now, lowest bound first, taken out of `open`; pruned
        ones are closed."""
        chosen: list[_Node] = []
        kept: list[tuple[float, int, _Node]] = []
        floor = -np.inf if self.best is None else \
            self.best[0] * (1 - self.problem.scenario.mip_rel_gap)
        for bound, order, node in sorted(self.open, key=lambda item: item[:2]):
            if self.best is not None and bound >= self.best[0]:
                self.closed.append(bound)  # nothing better in this box
            elif node.counts() is None or (chosen and (self.best is None or bound >= floor)):
                kept.append((bound, order, node))  # out of time in a period, or not needed now
            else:
                chosen.append(node)
        self.open = kept
        return chosen

    def _push(self, node: _Node) -> None:
        self.nodes += 1
        if not np.isfinite(node.bound):
            return  # infeasible box
        if self._offer(node):
            self.closed.append(node.bound)
        else:
            self.open.append((node.bound, self.nodes, node))

    def _offer(self, node: _Node) -> bool:
        """Keep the node's fleet if all periods agree on their counts; whether they do."""
        counts = node.counts()
        if counts is None or not (counts == counts[0]).all():
            return False
        value = float(sum(r.objective or 0.0 for r in node.runs))
        if self.best is None or value < self.best[0]:
            self.best = (value, node.runs, dict(zip(node.box, counts[0].tolist(), strict=True)))
        return True

    def _quantile(self, node: _Node) -> dict[Key, int]:
        chosen = _commitment(self.problem, list(node.runs))
        return {k: min(max(chosen.get(k, 0), lo), hi) for k, (lo, hi) in node.box.items()}

    def _disagreement(self, counts: NDArray[np.int64], point: dict[Key, int]
                      ) -> NDArray[np.float64]:
        """Per key, the price of the periods' distance from `point` ((periods, keys) counts),
        each period weighted by its share of the horizon."""
        at = np.array([point[k] for k in self.keys])
        return np.asarray(self.prices * (self.weights[:, None] * np.abs(counts - at)).sum(axis=0))

    def _split(self, node: _Node, counts: NDArray[np.int64]) -> list[Box]:
        point = self._quantile(node)
        spread = self._disagreement(counts, point)
        spread[(counts == counts[0]).all(axis=0)] = -1.0  # periods agree on these
        k = list(node.box)[int(np.argmax(spread))]
        (lo, hi), v = node.box[k], point[k]
        v = max(v, lo + 1)  # both halves non-empty: the periods disagree, so lo < hi
        return [{**node.box, k: (lo, v - 1)}, {**node.box, k: (v, hi)}]

    def _children(self, jobs: list[tuple[_Node | None, Box]], lead: bool = False
                  ) -> list[_Node]:
        """The nodes of the (parent, box) pairs (each box inside its parent's, no parent: the
        root), all their periods solved in one batch, the first job's first if it `lead`s."""
        todo = [(j, r) for j, (parent, box) in enumerate(jobs) for r in range(len(self.reps))
                if parent is None or not _inside(parent.runs[r], box)]
        # the first job first when it leads (the first fleet: the best answer if time runs out
        # in this round), then longest first by the period's last solve, so that no thread is
        # left with a long solve at the end of the round (without a time limit the order
        # changes no result)
        todo.sort(key=lambda jr: (not (lead and jr[0] == 0), -self.seconds[jr[1]]))
        problems = [replace(self.problem, periods=(self.reps[r],), commitment="per_period",
                            committed_bounds=jobs[j][1]) for j, r in todo]
        solved = dict(zip(todo, self.solve_all(problems, self.gap), strict=True))
        self.solves += len(todo)
        for (_, r), result in solved.items():
            self.seconds[r] = result.solve_s
        kids = []
        for j, (parent, box) in enumerate(jobs):
            runs, bounds = [], []
            for r in range(len(self.reps)):
                old = -np.inf if parent is None else parent.bounds[r]
                new = solved.get((j, r))
                if new is None:
                    assert parent is not None
                    runs.append(parent.runs[r])
                    bounds.append(old)
                    continue
                runs.append(new)
                bounds.append(np.inf if new.status == "infeasible" else
                              max(old, new.dual_bound) if new.dual_bound is not None else old)
            kids.append(_Node(box=box, runs=tuple(runs), bounds=tuple(bounds)))
        return kids


def _held(result: Run) -> dict[Key, int]:
    """A single-period run's committed instances per key."""
    return {(o.id, tier): int(c[0]) for o, tier, c in result.purchases
            if tier in COMMITTED_TIERS}


def _inside(result: Run, box: Box) -> bool:
    held = _held(result)
    return result.feasible and all(lo <= held.get(k, 0) <= hi for k, (lo, hi) in box.items())


def _bound(runs: list[Run]) -> float:
    return sum(r.dual_bound for r in runs if r.dual_bound is not None) \
        if all(r.dual_bound is not None for r in runs) else -np.inf


def _offering(problem: Problem, offering_id: str):  # type: ignore[no-untyped-def]
    return next(c.offering for c in problem.candidates if c.offering.id == offering_id)


def _commitment(problem: Problem, relaxed: list[Run]) -> dict[tuple[str, str], int]:
    """Committed instances per (offering, tier), from the relaxation's use of them."""
    sc = problem.scenario
    _, mult = distinct_periods(sc)
    share = np.asarray(mult, dtype=np.float64) / sc.num_periods  # of the horizon
    used: dict[tuple[str, str], NDArray[np.int64]] = {}
    offerings = {}
    for r, result in enumerate(relaxed):
        for o, tier, counts in result.purchases:
            if tier in COMMITTED_TIERS:
                used.setdefault((o.id, tier), np.zeros(len(relaxed), dtype=np.int64))[r] = \
                    counts[0]
                offerings[o.id] = o
    commit = {}
    for (oid, tier), counts in used.items():
        o = offerings[oid]
        per_period = [o.prices_usd_per_hour[t] for t in tiers_of(o, sc, problem.policy)
                      if t not in COMMITTED_TIERS]
        ratio = o.prices_usd_per_hour[tier] / min(per_period) if per_period else 1.0
        commit[(oid, tier)] = max((k for k in range(1, int(counts.max()) + 1)
                                   if share[counts >= k].sum() >= ratio - 1e-12), default=0)
    return commit


def _joined(runs: list[Run], commit: dict[tuple[str, str], int] | None = None) -> Run:
    """Single-period runs as one run over all their periods."""
    counts: dict[tuple[str, str], NDArray[np.int64]] = {}
    offerings = {}
    for r, result in enumerate(runs):
        for o, tier, c in result.purchases:
            counts.setdefault((o.id, tier), np.zeros(len(runs), dtype=np.int64))[r] = c[0]
            offerings[o.id] = o
    for key, n in (commit or {}).items():
        counts[key] = np.full(len(runs), n, dtype=np.int64)
    return Run(status="optimal" if all(r.status == "optimal" for r in runs) else "time_limit",
               feasible=True, objective=None, dual_bound=None,
               reps=[p for r in runs for p in r.reps],
               replicas=np.concatenate([r.replicas for r in runs], axis=1),
               purchases=tuple((offerings[oid], tier, c) for (oid, tier), c in counts.items()),
               alpha=None, num_vars=sum(r.num_vars for r in runs),
               num_int_vars=sum(r.num_int_vars for r in runs),
               num_rows=sum(r.num_rows for r in runs))


def _finish(problem: Problem, result: Run, lower: float, sunk: float, start: float,
            method: str, timed_out: bool = False) -> Solution:
    sc = problem.scenario
    objective = result.objective
    if objective is None:  # joined runs: the objective of what was bought
        objective = sunk + _per_period_objective(problem, result)
    mip_gap = gap(objective, lower) if np.isfinite(lower) else None
    if mip_gap is not None and mip_gap <= sc.mip_rel_gap + 1e-9:
        status = "optimal"
    elif result.status == "time_limit" or timed_out:
        status = "time_limit"
    else:
        status = "gap_above_target"
    return expand(sc, result, status=status, objective=objective, mip_gap=mip_gap,
                  solve_s=time.perf_counter() - start, method=method)


def _per_period_objective(problem: Problem, result: Run) -> float:
    """The objective of a joined run's per-period purchases (committed ones are sunk)."""
    sc = problem.scenario
    _, mult = distinct_periods(sc)
    weights = np.asarray(mult, dtype=np.float64) / sc.num_periods
    return float(sum(objective_per_instance_hour(o, tier, sc) * (counts * weights).sum()
                     for o, tier, counts in result.purchases if tier not in COMMITTED_TIERS))


def _fallback(problem: Problem, relaxed: list[Run], start: float, deadline: float,
              lower: float) -> Solution:
    """A period with no solution: the relaxation proves the model infeasible when that period
    is infeasible; otherwise (time ran out) the whole model gets the time left."""
    if any(r.status == "infeasible" for r in relaxed):
        infeasible = next(r for r in relaxed if r.status == "infeasible")
        return expand(problem.scenario, infeasible, solve_s=time.perf_counter() - start,
                      method="by period")
    whole = run(problem, time_limit_s=max(deadline - time.perf_counter(), 0.01))
    return expand(problem.scenario, whole, solve_s=time.perf_counter() - start)
