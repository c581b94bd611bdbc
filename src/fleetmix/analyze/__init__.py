"""Questions asked of plans: break-even prices, policy costs, outage drills, frontiers,
uncertainty. Each analysis re-solves the plan's MILP on the same candidates."""

from fleetmix.analyze.drill import Drill, drill
from fleetmix.analyze.frontier import Frontier, frontier
from fleetmix.analyze.leverage import Leverage, leverage
from fleetmix.analyze.resolve import Setup, prepare, reprice, resolve

__all__ = ["Drill", "Frontier", "Leverage", "Setup", "drill", "frontier", "leverage",
           "prepare", "reprice", "resolve"]
