"""Questions asked of plans: break-even prices, policy costs, outage drills, frontiers,
uncertainty. Each analysis re-solves the plan's MILP on the same candidates."""

from fleetmix.analyze.drill import Drill, drill
from fleetmix.analyze.executor import Executor, local_processes, ray_executor
from fleetmix.analyze.frontier import Frontier, frontier
from fleetmix.analyze.leverage import Leverage, leverage
from fleetmix.analyze.montecarlo import MonteCarloResult, candidates_for_runs, monte_carlo
from fleetmix.analyze.resolve import Setup, prepare, reprice, resolve

__all__ = ["Drill", "Executor", "Frontier", "Leverage", "MonteCarloResult", "Setup",
           "candidates_for_runs", "drill", "frontier", "leverage", "local_processes",
           "monte_carlo", "prepare", "ray_executor", "reprice", "resolve"]
