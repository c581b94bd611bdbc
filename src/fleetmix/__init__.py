"""fleetmix: plan multi-vendor LLM inference fleets.

The library is the product; the `fleetmix` command is one user of it. The names below are the
public surface; sub-packages (`fleetmix.catalog`, `fleetmix.arch`, `fleetmix.perf`) hold more.
"""

from fleetmix.arch import Arch, builtin_archs, builtin_names, load_arch
from fleetmix.catalog import Accelerator, Catalog, Offering, load_catalog
from fleetmix.errors import (
    ArchConfigError,
    CatalogError,
    DoesNotFitError,
    FleetmixError,
    InputError,
    ProfileError,
    TargetUnreachableError,
    UnknownNameError,
)
from fleetmix.perf import Comparison, Deployment, Estimate, Price, compare, estimate
from fleetmix.perf.validate import ValidationSummary, validate

__version__ = "0.1.0"

__all__ = [
    "Accelerator",
    "Arch",
    "ArchConfigError",
    "Catalog",
    "CatalogError",
    "Comparison",
    "Deployment",
    "DoesNotFitError",
    "Estimate",
    "FleetmixError",
    "InputError",
    "Offering",
    "Price",
    "ProfileError",
    "TargetUnreachableError",
    "UnknownNameError",
    "ValidationSummary",
    "__version__",
    "builtin_archs",
    "builtin_names",
    "compare",
    "estimate",
    "load_arch",
    "load_catalog",
    "validate",
]
