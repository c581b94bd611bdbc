"""Planning: the scenario, candidates with capacities, the MILP (HiGHS), verification."""

from fleetmix.plan.candidates import Candidate, CandidateSet, allowed_offerings
from fleetmix.plan.decompose import solve
from fleetmix.plan.explain import explain_infeasible
from fleetmix.plan.milp import Problem, Solution
from fleetmix.plan.planner import candidates_for, plan, solve_for, usable
from fleetmix.plan.result import Baseline, FleetRow, Plan, Verification
from fleetmix.plan.scenario import Policy, Scenario, Workload, load_scenario

__all__ = [
    "Baseline",
    "Candidate",
    "CandidateSet",
    "FleetRow",
    "Plan",
    "Policy",
    "Problem",
    "Scenario",
    "Solution",
    "Verification",
    "Workload",
    "allowed_offerings",
    "candidates_for",
    "explain_infeasible",
    "load_scenario",
    "plan",
    "solve",
    "solve_for",
    "usable",
]
