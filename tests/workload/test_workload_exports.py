"""`fleetmix.workload.__all__` lists exactly the public names the package exports."""

from __future__ import annotations

import fleetmix.workload


def test_all_is_honest() -> None:
    module_vars = vars(fleetmix.workload)
    submodules = {n for n, v in module_vars.items() if type(v).__name__ == "module"}
    public = {n for n in module_vars if not n.startswith("_")} - submodules
    assert set(fleetmix.workload.__all__) == public
    assert all(hasattr(fleetmix.workload, n) for n in fleetmix.workload.__all__)
    for name in ("Trace", "load_trace", "synthetic_trace", "rescale_rate", "size_classes"):
        assert name in fleetmix.workload.__all__
