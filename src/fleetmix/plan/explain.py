"""Why a scenario has no plan: the rules that conflict with demand, and by how much.

NOTE: conflicts are found on the coverage problem (maximise the fraction α of every workload's
demand the fleet can serve, `milp.Problem(coverage=True)`), solved as an LP: cheap, and an LP
α < 1 proves infeasibility. Each rule is tried alone, then in pairs; the α of the smallest
conflicting sets, re-solved with whole replicas when that is quick, is the "by how much".
When every LP is feasible, the conflict lies in whole instances and replicas, and each rule is
dropped in turn on the MILP instead.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import replace

from fleetmix.plan.candidates import Candidate, Rejected
from fleetmix.plan.milp import Problem, solve
from fleetmix.plan.scenario import Policy, Scenario

FULL = 1.0 - 1e-6


EXACT_TIME_LIMIT_S = 2.0


def coverage(scenario: Scenario, candidates: tuple[Candidate, ...], policy: Policy,
             relax: bool = True) -> float:
    """Largest fraction of every workload's demand (all periods) the policy allows serving;
    with `relax`, of the LP relaxation (an upper bound)."""
    if not relax:
        scenario = replace(scenario, time_limit_s=min(scenario.time_limit_s,
                                                      EXACT_TIME_LIMIT_S))
    sol = solve(Problem(scenario=scenario, candidates=candidates, policy=policy, coverage=True,
                        relax=relax))
    if not relax and sol.status != "optimal":
        return -1.0  # unknown within the time limit
    return sol.coverage if sol.coverage is not None else 0.0


def _share(scenario: Scenario, candidates: tuple[Candidate, ...], policy: Policy,
           bound: float) -> str:
    """The share of demand served, exact with whole replicas when quick, else the LP bound."""
    exact = coverage(scenario, candidates, policy, relax=False)
    return f"{exact:.0%}" if exact >= 0 else f"at most {bound:.0%}"


def missing_workloads(scenario: Scenario, candidates: Sequence[Candidate],
                      rejected: Sequence[Rejected]) -> tuple[str, ...]:
    """A sentence per workload that no candidate can serve, with the reasons."""
    lines = []
    for w in scenario.workloads:
        if any(c.workload == w.name for c in candidates):
            continue
        why = [f"{r.accelerator}: {r.reason}" for r in rejected if r.workload == w.name]
        shown = "; ".join(why[:6]) + (f"; and {len(why) - 6} more" if len(why) > 6 else "")
        lines.append(f"workload {w.name!r} ({w.arch.name}, {w.slo.describe()}) has no "
                     f"candidate on the allowed offerings" + (f": {shown}" if shown else ""))
    return tuple(lines)


def explain_infeasible(scenario: Scenario, candidates: tuple[Candidate, ...],
                       policy: Policy) -> tuple[str, ...]:
    """Sentences naming the conflicting rules and the share of demand they leave served."""
    rules = policy.rules()
    whole = coverage(scenario, candidates, policy)
    lines = []
    if whole < FULL:
        lines.append(f"with every rule, the fleet can serve "
                     f"{_share(scenario, candidates, policy, whole)} of demand (the same "
                     f"fraction of every workload in every period)")
    conflicts: list[tuple[str, ...]] = []
    for size in (1, 2):
        for group in itertools.combinations(rules, size):
            if any(set(c) <= set(group) for c in conflicts):
                continue
            alpha = coverage(scenario, candidates, policy.only(*group))
            if alpha < FULL:
                conflicts.append(group)
                said = " and ".join(policy.describe(r) for r in group)
                share = _share(scenario, candidates, policy.only(*group), alpha)
                lines.append(f"{said} {'alone ' if size == 1 else 'together '}"
                             f"cap{'s' if size == 1 else ''} capacity at {share} of demand")
        if conflicts:
            break
    if not conflicts and whole >= FULL:
        lines.append("every rule can be met with fractional replicas; the conflict is in "
                     "buying whole instances and running whole replicas")
        for rule in rules:
            sol = solve(Problem(scenario=scenario, candidates=candidates,
                                policy=policy.without(rule)))
            if sol.feasible:
                lines.append(f"dropping '{policy.describe(rule)}' makes the plan feasible")
    if len(lines) == (1 if whole < FULL else 0):
        lines.append("no single rule or pair of rules explains it; the rules conflict as a "
                     "whole (relax them one at a time to see which matter)")
    return tuple(lines)
