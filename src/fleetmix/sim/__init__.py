"""Serving simulation: continuous batching over a paged KV cache, routing, capacity search."""

from fleetmix.sim.cache import CapacityCache, default_cache_dir
from fleetmix.sim.capacity import CapacityResult, cached_capacity, find_capacity
from fleetmix.sim.metrics import LatencyStats, SimResult, Slo
from fleetmix.sim.replica import Replica, RequestTable, SchedulerLimits, make_replica
from fleetmix.sim.run import Router, simulate_clients, simulate_fleet, simulate_trace
from fleetmix.sim.validate import ServingSummary, validate_serving

__all__ = [
    "CapacityCache",
    "CapacityResult",
    "LatencyStats",
    "Replica",
    "RequestTable",
    "Router",
    "SchedulerLimits",
    "ServingSummary",
    "SimResult",
    "Slo",
    "cached_capacity",
    "default_cache_dir",
    "find_capacity",
    "make_replica",
    "simulate_clients",
    "simulate_fleet",
    "simulate_trace",
    "validate_serving",
]
