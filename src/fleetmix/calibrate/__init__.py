"""Calibration on a real device: microbenchmarks -> an accelerator profile, and real decoder steps
measured against the performance model (`fleetmix calibrate`, `fleetmix measure`).

PyTorch is an optional extra (`pip install 'fleetmix[calibrate]'`). This package imports it only
in the modules that run kernels (`device`, `microbenchmarks`, `run`, `decoder`, `measure`); call
`require_torch()` before importing those. `fit` and `fleetmix.perf.profile` need no torch.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from fleetmix.errors import MissingDependencyError

INSTALL_HINT = "pip install 'fleetmix[calibrate]'"


def require_torch() -> ModuleType:
    """The torch module, or MissingDependencyError with the install hint."""
    try:
        return importlib.import_module("torch")
    except ImportError:
        raise MissingDependencyError(
            f"calibrate and measure run kernels with PyTorch, which is not installed: "
            f"{INSTALL_HINT}") from None


__all__ = ["INSTALL_HINT", "require_torch"]
