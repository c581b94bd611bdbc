"""Fixtures shared by the simulator tests."""

from __future__ import annotations

from typing import Any

import pytest

import fleetmix.sim.run as run_module
from fleetmix.sim import RequestTable


@pytest.fixture
def tables(monkeypatch: pytest.MonkeyPatch) -> list[RequestTable]:
    """The request tables the run functions build, kept for inspection."""
    made: list[RequestTable] = []

    class Recording(RequestTable):
        def __init__(self, *args: Any) -> None:
            super().__init__(*args)
            made.append(self)

    monkeypatch.setattr(run_module, "RequestTable", Recording)
    return made
