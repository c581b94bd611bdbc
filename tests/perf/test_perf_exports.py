"""`fleetmix.perf.__all__` lists exactly the public names the package exports."""

from __future__ import annotations

import fleetmix.perf


def test_all_is_honest() -> None:
    public = {
        name
        for name, value in vars(fleetmix.perf).items()
        if not name.startswith("_") and getattr(value, "__module__", "").startswith("fleetmix")
    }
    assert set(fleetmix.perf.__all__) == public
    assert len(fleetmix.perf.__all__) == len(set(fleetmix.perf.__all__))
    for name in ("estimate", "compare", "make_deployment", "memory_fit", "step_time_s",
                 "batch_limit", "Efficiency", "Estimate"):
        assert name in fleetmix.perf.__all__
