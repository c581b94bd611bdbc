"""The exceptions fleetmix raises for bad input.

Every error a user can cause derives from `FleetmixError`; the CLI prints
``f"{type(e).__name__}: {e}"`` and exits 1, never a traceback.

    FleetmixError
    ├── InputError                 a file or argument the user gave is malformed
    │   ├── CatalogError           a catalog row breaks the schema or an integrity check
    │   ├── ArchConfigError        an architecture config is malformed or unsupported
    │   ├── ProfileError           an accelerator/engine profile is malformed
    │   ├── TraceError             a request trace file or trace argument is malformed
    │   └── ScenarioError          a scenario file breaks its schema (file, line and field)
    ├── UnknownNameError           a name (accelerator, arch, engine, offering, trace) is not known
    ├── DoesNotFitError            a deployment the user asked for does not fit in memory
    ├── MissingDependencyError     an optional extra the command needs is not installed
    └── TargetUnreachableError     no layout of the deployment meets the latency target asked for

Expected outcomes that are not errors (a layout that does not fit while searching, an
infeasible plan) are return values, not exceptions.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class FleetmixError(Exception):
    """Base of every error caused by the user's input."""


class InputError(FleetmixError):
    """A file or argument is malformed; the message names the file, field and what was expected."""


class CatalogError(InputError):
    """A catalog row breaks the schema or an integrity check."""


class ArchConfigError(InputError):
    """An architecture config (built-in or Hugging Face config.json) is malformed or unsupported."""


class ProfileError(InputError):
    """An accelerator or engine profile is malformed."""


class TraceError(InputError):
    """A request trace (file, column mapping or transform argument) is malformed.

    For a file, the message names the file, the 1-based line (header included) and the column.
    """


class ScenarioError(InputError):
    """A scenario file is malformed; the message names the file, the line and the field."""


class UnknownNameError(FleetmixError):
    """A name that is not in the catalog; the message lists the closest known names."""

    def __init__(self, kind: str, name: str, known: Iterable[str]) -> None:
        known_list = sorted(set(known))
        close = difflib.get_close_matches(name.lower(), known_list, n=3, cutoff=0.5)
        hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        super().__init__(
            f"unknown {kind} {name!r}.{hint} Known: {', '.join(known_list)}"
        )
        self.kind = kind
        self.name = name
        self.suggestions = close


class MissingDependencyError(FleetmixError):
    """An optional dependency (an extra such as `fleetmix[calibrate]`) is not installed; the
    message gives the pip command."""


class DoesNotFitError(FleetmixError):
    """The requested deployment does not fit in the accelerators' memory."""


class TargetUnreachableError(FleetmixError):
    """No layout of the requested deployment meets the latency target (e.g. --max-tpot-ms)."""
