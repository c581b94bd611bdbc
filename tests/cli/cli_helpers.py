"""Shared helpers of the CLI tests: run a command, read its JSON, check a user error."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from typer.testing import CliRunner, Result

from fleetmix.cli import app


def invoke(*args: str | Path) -> Result:
    return CliRunner().invoke(app, [str(a) for a in args])


def squash(text: str) -> str:
    """Output without colour codes or whitespace (Rich wraps long messages)."""
    return "".join(re.sub(r"\x1b\[[0-9;]*m", "", text).split())


def assert_user_error(result: Result, *needles: str) -> None:
    """Exit status 1 through the CLI's own handler, with each needle in the message."""
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    for needle in needles:
        assert squash(needle) in squash(result.output), (needle, result.output)


def json_of(*args: str | Path) -> Any:
    result = invoke(*args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)
