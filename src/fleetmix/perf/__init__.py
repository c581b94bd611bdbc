"""The time and memory model of one deployment: roofline per operator, communication, overheads."""

from fleetmix.perf.compare import Comparison, catalog_price, compare, default_precision
from fleetmix.perf.deployment import Deployment, default_kv_precision
from fleetmix.perf.engines import (
    Efficiency,
    EngineProfile,
    EngineTable,
    load_engine_table,
    shipped_engine_table,
)
from fleetmix.perf.estimate import Estimate, Price, candidate_layouts, estimate, make_deployment
from fleetmix.perf.memory import MemoryFit, memory_fit
from fleetmix.perf.profile import (
    AcceleratorProfile,
    ProfiledTarget,
    apply_profile,
    load_profile,
    match_catalog_id,
    save_profile,
)
from fleetmix.perf.steptime import StepBreakdown, step_breakdown, step_time_s
from fleetmix.perf.throughput import (
    BatchLimit,
    OperatingPoint,
    batch_limit,
    operating_point,
    output_throughput,
    prefill_time_s,
)

__all__ = [
    "AcceleratorProfile",
    "BatchLimit",
    "Comparison",
    "Deployment",
    "Efficiency",
    "EngineProfile",
    "EngineTable",
    "Estimate",
    "MemoryFit",
    "OperatingPoint",
    "Price",
    "ProfiledTarget",
    "StepBreakdown",
    "apply_profile",
    "batch_limit",
    "candidate_layouts",
    "catalog_price",
    "compare",
    "default_kv_precision",
    "default_precision",
    "estimate",
    "load_engine_table",
    "load_profile",
    "make_deployment",
    "match_catalog_id",
    "memory_fit",
    "operating_point",
    "output_throughput",
    "prefill_time_s",
    "save_profile",
    "shipped_engine_table",
    "step_breakdown",
    "step_time_s",
]
