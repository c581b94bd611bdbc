"""LLM architectures and their parameter, FLOP and KV-cache byte counts."""

from fleetmix.arch.loader import (
    SUPPORTED_MODEL_TYPES,
    builtin_archs,
    builtin_names,
    from_hf_config,
    load_arch,
)
from fleetmix.arch.records import Arch

__all__ = [
    "SUPPORTED_MODEL_TYPES",
    "Arch",
    "builtin_archs",
    "builtin_names",
    "from_hf_config",
    "load_arch",
]
