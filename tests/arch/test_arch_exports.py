"""`fleetmix.arch.__all__` lists exactly the public names the package exports."""

from __future__ import annotations

import fleetmix.arch


def test_all_is_honest() -> None:
    public = {
        name
        for name, value in vars(fleetmix.arch).items()
        if not name.startswith("_") and getattr(value, "__module__", "").startswith("fleetmix")
    }
    public |= {"SUPPORTED_MODEL_TYPES"}
    assert set(fleetmix.arch.__all__) == public
    for name in ("Arch", "load_arch", "from_hf_config", "builtin_names", "builtin_archs"):
        assert name in fleetmix.arch.__all__
