"""Request traces as columnar arrays: loaders, synthetic generators and transforms.

Built-in traces are the Azure LLM inference trace 2023 (``azure-code``, ``azure-conv``;
CC-BY 4.0, see ``fleetmix/workload/data/ATTRIBUTION.md``).
"""

from fleetmix.workload.loaders import (
    TimeUnit,
    TraceFormat,
    ZeroOutput,
    builtin_trace_names,
    load_trace,
)
from fleetmix.workload.synthetic import (
    EmpiricalLengths,
    FixedLengths,
    LengthModel,
    LognormalLengths,
    synthetic_trace,
)
from fleetmix.workload.trace import PEAK_WINDOW_S, Trace
from fleetmix.workload.transforms import (
    concat,
    head,
    repeat,
    rescale_rate,
    size_class_labels,
    size_classes,
    split_periods,
    window,
)

__all__ = [
    "PEAK_WINDOW_S",
    "EmpiricalLengths",
    "FixedLengths",
    "LengthModel",
    "LognormalLengths",
    "TimeUnit",
    "Trace",
    "TraceFormat",
    "ZeroOutput",
    "builtin_trace_names",
    "concat",
    "head",
    "load_trace",
    "repeat",
    "rescale_rate",
    "size_class_labels",
    "size_classes",
    "split_periods",
    "synthetic_trace",
    "window",
]
