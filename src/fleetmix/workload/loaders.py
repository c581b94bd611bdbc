"""Read request traces: the built-in Azure traces, Azure/BurstGPT CSVs, generic CSV and Parquet.

Built-ins are the Azure LLM inference trace 2023 (CC-BY 4.0; see `data/ATTRIBUTION.md`), shipped
unmodified in `fleetmix/workload/data/`. They are parsed on first use, never at import, and cached.

Every loader makes the same decisions, recorded in `Trace.notes`:

- arrivals are re-zeroed at the first request (a BurstGPT file starts at its own offset; an
  Azure or ISO timestamp becomes seconds since the first request);
- out-of-order arrivals are an error naming the line, unless ``sort=True``;
- negative token counts are an error naming the line;
- NOTE(workload): a row with 0 output tokens is a failed request (BurstGPT logs failures so; its
  authors' ``*_without_fails`` files drop exactly these rows). It cannot produce a first token,
  so by default it is dropped; ``zero_output="clamp"`` keeps it as a 1-token request instead,
  counting its prefill work. A row with 0 input tokens is clamped to 1 (every prompt holds at
  least a BOS token). The Azure 2023 traces have neither: their minimums are 2 input / 6 output.
"""

from __future__ import annotations

import csv
import importlib
import io
import os
from collections.abc import Mapping
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Literal

import numpy as np

from fleetmix.errors import TraceError, UnknownNameError
from fleetmix.workload._columns import ArrivalKind, Column, arrival_seconds, to_int
from fleetmix.workload.trace import Trace

TraceFormat = Literal["azure", "burstgpt", "csv", "parquet"]
TimeUnit = Literal["s", "ms"]
ZeroOutput = Literal["drop", "clamp"]

_BUILTIN_FILES = {
    "azure-code": "AzureLLMInferenceTrace_code.csv",
    "azure-conv": "AzureLLMInferenceTrace_conv.csv",
}
_AZURE_SOURCE = (
    "Azure LLM inference trace 2023, {file} (CC-BY 4.0, Microsoft Azure; "
    "Patel et al., Splitwise, ISCA 2024)"
)
_FIELDS = ("arrival_s", "input_tokens", "output_tokens")
# Column names (arrival, input, output) and how the arrival column is read, per known format.
_KNOWN: dict[str, tuple[tuple[str, str, str], ArrivalKind]] = {
    "azure": (("TIMESTAMP", "ContextTokens", "GeneratedTokens"), "azure"),
    "burstgpt": (("Timestamp", "Request tokens", "Response tokens"), "number"),
}
_UNIT_S = {"s": 1.0, "ms": 1e-3}
_PARQUET_HINT = "pip install 'fleetmix[parquet]'"


def builtin_trace_names() -> tuple[str, ...]:
    """Names `load_trace` accepts besides paths."""
    return tuple(_BUILTIN_FILES)


def load_trace(
    name_or_path: str | os.PathLike[str],
    *,
    format: TraceFormat | None = None,
    columns: Mapping[str, str] | None = None,
    time_unit: TimeUnit | None = None,
    sort: bool = False,
    zero_output: ZeroOutput = "drop",
) -> Trace:
    """A built-in trace by name (`builtin_trace_names()`), or a trace file.

    ``format`` defaults to Parquet for a ``.parquet`` file, else to what the CSV header shows:
    Azure (TIMESTAMP, ContextTokens, GeneratedTokens), BurstGPT (Timestamp, Request tokens,
    Response tokens), or generic CSV. Generic CSV and Parquet map the fields ``arrival_s``,
    ``input_tokens`` and ``output_tokens`` to columns through ``columns`` (a field left out is
    read from the column of its own name). Their arrival column holds numbers in ``time_unit``
    (seconds unless "ms") or ISO 8601 timestamps. See the module docstring for ``sort`` and
    ``zero_output``.
    """
    if isinstance(name_or_path, str) and name_or_path in _BUILTIN_FILES:
        if format not in (None, "azure") or columns is not None or time_unit is not None:
            raise TraceError(
                f"built-in trace {name_or_path!r} is an Azure CSV; format, columns and "
                "time_unit apply to files only"
            )
        return _load_builtin(name_or_path)
    path = Path(name_or_path)
    if not path.exists():
        if isinstance(name_or_path, str) and not path.suffix and os.sep not in name_or_path:
            raise UnknownNameError("trace", name_or_path, _BUILTIN_FILES)
        raise TraceError(f"trace file not found: {path}")
    if format is None and path.suffix.lower() == ".parquet":
        format = "parquet"
    if format == "parquet":
        cols = _read_parquet(path, _mapping(columns, path))
        return _build(
            path.stem, f"{path} (parquet)", cols, "auto", _unit(time_unit), sort, zero_output
        )
    header, rows, lines = _read_csv(path.read_text(encoding="utf-8-sig"), str(path))
    fmt = format or _detect(header, columns, str(path))
    if fmt in _KNOWN:
        if columns is not None or time_unit is not None:
            raise TraceError(f"{path}: columns and time_unit apply to 'csv' and 'parquet' only")
        names, kind = _KNOWN[fmt]
        mapping = dict(zip(_FIELDS, names, strict=True))
    else:
        mapping, kind = _mapping(columns, path), "auto"
    cols = _csv_columns(header, rows, lines, mapping, str(path))
    return _build(path.stem, f"{path} ({fmt})", cols, kind, _unit(time_unit), sort, zero_output)


@lru_cache(maxsize=len(_BUILTIN_FILES))
def _load_builtin(name: str) -> Trace:
    file = _BUILTIN_FILES[name]
    text = (resources.files("fleetmix.workload") / "data" / file).read_text(encoding="utf-8-sig")
    label = f"{name} ({file})"
    header, rows, lines = _read_csv(text, label)
    names, kind = _KNOWN["azure"]
    cols = _csv_columns(header, rows, lines, dict(zip(_FIELDS, names, strict=True)), label)
    return _build(name, _AZURE_SOURCE.format(file=file), cols, kind, 1.0, False, "drop")


def _unit(time_unit: TimeUnit | None) -> float:
    if time_unit is None:
        return 1.0
    if time_unit not in _UNIT_S:
        raise TraceError(f"time_unit {time_unit!r} must be one of {sorted(_UNIT_S)}")
    return _UNIT_S[time_unit]


def _mapping(columns: Mapping[str, str] | None, path: Path) -> dict[str, str]:
    given = dict(columns or {})
    unknown = sorted(set(given) - set(_FIELDS))
    if unknown:
        raise TraceError(f"{path}: columns has unknown fields {unknown}; expected {list(_FIELDS)}")
    return {f: given.get(f, f) for f in _FIELDS}


def _detect(header: list[str], columns: Mapping[str, str] | None, file: str) -> TraceFormat:
    if columns is not None:
        return "csv"
    if set(_KNOWN["azure"][0]) <= set(header):
        return "azure"
    if set(_KNOWN["burstgpt"][0]) <= set(header):
        return "burstgpt"
    if set(_FIELDS) <= set(header):
        return "csv"
    raise TraceError(
        f"{file}: cannot tell the trace format from the header {header}; pass format= "
        "('azure', 'burstgpt') or columns= mapping arrival_s, input_tokens, output_tokens"
    )


def _read_csv(text: str, file: str) -> tuple[list[str], list[list[str]], list[int]]:
    """(header, rows, 1-based line of each row); blank lines are skipped."""
    reader = csv.reader(io.StringIO(text))
    header = [h.strip() for h in next(reader, [])]
    if not any(header):
        raise TraceError(f"{file}: empty file, expected a header line and requests")
    rows: list[list[str]] = []
    lines: list[int] = []
    for row in reader:
        if not row:
            continue
        if len(row) != len(header):
            raise TraceError(
                f"{file}, line {reader.line_num}: {len(row)} fields, the header has {len(header)}"
            )
        rows.append(row)
        lines.append(reader.line_num)
    if not rows:
        raise TraceError(f"{file}: no requests after the header line")
    return header, rows, lines


def _csv_columns(
    header: list[str], rows: list[list[str]], lines: list[int], mapping: dict[str, str], file: str
) -> dict[str, Column]:
    _check_present(header, mapping, file)
    out: dict[str, Column] = {}
    for field, name in mapping.items():
        i = header.index(name)
        out[field] = Column(file, name, [r[i] for r in rows], lines)
    return out


def _check_present(found: list[str], mapping: dict[str, str], file: str) -> None:
    for field, name in mapping.items():
        if name not in found:
            purpose = f" (for {field})" if name != field else ""
            raise TraceError(f"{file}: missing column {name!r}{purpose}; columns found: {found}")


def _read_parquet(path: Path, mapping: dict[str, str]) -> dict[str, Column]:
    try:
        pq = importlib.import_module("pyarrow.parquet")
    except ImportError:
        raise TraceError(
            f"{path}: reading Parquet needs the optional dependency pyarrow: {_PARQUET_HINT}"
        ) from None
    table = pq.read_table(path)
    _check_present(list(table.column_names), mapping, str(path))
    if table.num_rows == 0:
        raise TraceError(f"{path}: no requests")
    return {
        field: Column(str(path), name, table.column(name).to_numpy(zero_copy_only=False), None)
        for field, name in mapping.items()
    }


def _build(
    name: str,
    source: str,
    cols: dict[str, Column],
    kind: ArrivalKind,
    unit_s: float,
    sort: bool,
    zero_output: ZeroOutput,
) -> Trace:
    """Check and clean the parsed columns as the module docstring says, then make the Trace."""
    arrival, origin = arrival_seconds(cols["arrival_s"], kind, unit_s)  # relative to row 1
    tokens = {f: to_int(cols[f]) for f in ("input_tokens", "output_tokens")}
    for field, values in tokens.items():
        neg = np.flatnonzero(values < 0)
        if len(neg):
            i = int(neg[0])
            raise cols[field].error(i, f"negative token count {values[i]}")
    notes: list[str] = []
    back = np.flatnonzero(np.diff(arrival) < 0)
    if len(back):
        col, i = cols["arrival_s"], int(back[0]) + 1
        if not sort:
            raise col.error(
                i,
                f"{col.values[i]!r} is earlier than the previous row's {col.values[i - 1]!r}; "
                "arrivals must be sorted (pass sort=True to sort them)",
            )
        order = np.argsort(arrival, kind="stable")
        arrival, tokens = arrival[order], {f: v[order] for f, v in tokens.items()}
        notes.append(f"sorted by arrival: {len(back)} rows were earlier than the row before")
    inp, out = tokens["input_tokens"], tokens["output_tokens"]
    zero_out = int((out == 0).sum())
    if zero_out and zero_output == "drop":
        keep = out > 0
        arrival, inp, out = arrival[keep], inp[keep], out[keep]
        notes.append(f"dropped {zero_out} requests with 0 output tokens (failed requests)")
    elif zero_out:
        notes.append(f"clamped {zero_out} requests with 0 output tokens to 1 output token")
    zero_in = int((inp == 0).sum())
    if zero_in:
        notes.append(f"clamped {zero_in} requests with 0 input tokens to 1 input token")
    if not len(arrival):
        raise TraceError(f"{cols['arrival_s'].file}: no requests left ({zero_out} failed)")
    offset_s = float(arrival[0])
    after = f"{offset_s:+g} s from " if offset_s else ""
    notes.insert(0, f"t=0 is the first request: {after}{origin}")
    return Trace(
        name=name,
        arrival_s=arrival - offset_s,
        input_tokens=np.maximum(inp, 1),
        output_tokens=np.maximum(out, 1),
        source=source,
        notes=tuple(notes),
    )
