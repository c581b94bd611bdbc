"""The public names each package re-exports are exactly the ones it defines in __all__."""

import importlib

import pytest

PACKAGES = [
    "fleetmix", "fleetmix.arch", "fleetmix.catalog", "fleetmix.perf", "fleetmix.workload",
    "fleetmix.sim", "fleetmix.plan",
]


@pytest.mark.parametrize("name", PACKAGES)
def test_all_names_resolve(name: str) -> None:
    module = importlib.import_module(name)
    missing = [n for n in module.__all__ if not hasattr(module, n)]
    assert missing == []


@pytest.mark.parametrize("name", PACKAGES)
def test_every_public_attribute_is_exported(name: str) -> None:
    module = importlib.import_module(name)
    submodules = {n for n, v in vars(module).items() if type(v).__name__ == "module"}
    public = {n for n in vars(module) if not n.startswith("_")} - submodules
    assert public - set(module.__all__) == set()


def test_all_has_no_duplicates() -> None:
    import fleetmix

    assert len(set(fleetmix.__all__)) == len(fleetmix.__all__)
