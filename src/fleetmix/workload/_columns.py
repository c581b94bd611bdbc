"""Raw trace columns (CSV strings or Parquet arrays) -> numpy arrays, with errors that point.

Each converter takes a fast vectorised path and, only when it fails, walks the values one by one
to name the first bad one: file, 1-based line (header included) and column.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from fleetmix.errors import TraceError

ArrivalKind = Literal["azure", "number", "auto"]
_AZURE_TS_CHARS = 26  # "2023-11-16 18:17:03.979960": numpy parses at most microseconds


@dataclass(frozen=True)
class Column:
    """One column of a trace file, with where each value sits in the file."""

    file: str
    """The file as the user named it, or a built-in trace's name."""
    name: str
    """The column's name in the file's header."""
    values: Sequence[Any]
    """(num_rows,) raw values: strings from a CSV, a numpy array from Parquet."""
    lines: Sequence[int] | None
    """(num_rows,) 1-based line of each value, header included (CSV); None for Parquet rows."""

    def at(self, i: int) -> str:
        where = f"line {self.lines[i]}" if self.lines is not None else f"row {i + 1}"
        return f"{self.file}, {where}, column {self.name!r}"

    def error(self, i: int, problem: str) -> TraceError:
        return TraceError(f"{self.at(i)}: {problem}")


def _is_array(values: Sequence[Any]) -> bool:
    return isinstance(values, np.ndarray) and values.dtype.kind in "iufbM"


def to_float(col: Column) -> NDArray[np.float64]:
    """Finite floats; names the first value that is not a number."""
    try:
        if _is_array(col.values):
            out = np.asarray(col.values, dtype=np.float64)
        else:
            out = np.fromiter(map(float, col.values), np.float64, count=len(col.values))
    except (TypeError, ValueError):
        raise _first_bad(col, float, "a number") from None
    bad = np.flatnonzero(~np.isfinite(out))
    if len(bad):
        raise col.error(int(bad[0]), f"{col.values[int(bad[0])]!r} is not a finite number")
    return out


def to_int(col: Column) -> NDArray[np.int64]:
    """Integers (``12`` or ``12.0``); names the first value that is not one."""
    try:
        if _is_array(col.values) and np.asarray(col.values).dtype.kind in "iu":
            return np.asarray(col.values, dtype=np.int64)
        if not _is_array(col.values):
            return np.fromiter(map(int, col.values), np.int64, count=len(col.values))
    except (TypeError, ValueError):
        pass  # e.g. "12.0": try floats holding integers
    as_float = to_float(col)
    frac = np.flatnonzero(as_float != np.round(as_float))
    if len(frac):
        raise col.error(int(frac[0]), f"{col.values[int(frac[0])]!r} is not an integer")
    return as_float.astype(np.int64)


def arrival_seconds(
    col: Column, kind: ArrivalKind, unit_s: float
) -> tuple[NDArray[np.float64], str]:
    """(num_rows,) arrival seconds relative to the first row, and how they were read.

    ``kind``: "azure" timestamps ("2023-11-16 18:17:03.9799600"), "number" (in units of
    ``unit_s`` seconds), or "auto": numbers if the first value is one, else ISO 8601 timestamps.
    The description says what the first row's time is, e.g. "2023-11-16T18:15:46.680590 in the
    file's first row".
    """
    if kind == "auto":
        kind = "number" if _looks_numeric(col) else "azure"
        if kind == "azure" and not _is_array(col.values):
            return _iso_seconds(col)
    if kind == "number":
        raw = to_float(col) * unit_s
        first = float(raw[0])
        return raw - first, f"{first:g} s in the file's first row"
    if _is_array(col.values):  # a Parquet timestamp column
        us = np.asarray(col.values).astype("datetime64[us]")
    else:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error")  # numpy warns on time zones: take the slow path
                trimmed = [v[:_AZURE_TS_CHARS] for v in col.values]
                us = np.array(trimmed, dtype="datetime64[us]")
        except (TypeError, ValueError, Warning):
            return _iso_seconds(col)  # names the first bad value, or copes with time zones
    rel_us = (us - us[0]).astype(np.int64)  # exact microseconds
    return rel_us / 1e6, f"{us[0]} in the file's first row"


def _looks_numeric(col: Column) -> bool:
    if _is_array(col.values):
        return np.asarray(col.values).dtype.kind in "iuf"
    try:
        float(col.values[0])
    except (TypeError, ValueError):
        return False
    return True


def _parse_iso(value: str) -> datetime:
    return datetime.fromisoformat(value.strip())


def _iso_seconds(col: Column) -> tuple[NDArray[np.float64], str]:
    """ISO 8601 timestamps, one by one: time zones allowed if every row has one."""
    stamps: list[datetime] = []
    for i, value in enumerate(col.values):
        try:
            stamps.append(_parse_iso(value))
        except (TypeError, ValueError):
            raise col.error(i, f"{value!r} is neither a number nor an ISO 8601 timestamp") from None
        if (stamps[i].tzinfo is None) != (stamps[0].tzinfo is None):
            raise col.error(i, f"{value!r} mixes timestamps with and without a time zone")
    first = stamps[0]
    rel = np.fromiter(((s - first).total_seconds() for s in stamps), np.float64, count=len(stamps))
    return rel, f"{first.isoformat()} in the file's first row"


def _first_bad(col: Column, parse: Any, expected: str) -> TraceError:
    for i, value in enumerate(col.values):
        try:
            parse(value)
        except (TypeError, ValueError):
            return col.error(i, f"{value!r} is not {expected}")
    return TraceError(f"{col.file}, column {col.name!r}: values are not {expected}")
