"""Read and write the offerings CSV: one row per way to buy accelerators, prices per instance-hour.

Columns are `OFFERING_COLUMNS`. Prices go in `<tier>_usd_per_hour` for each tier of
`PRICE_TIERS`; an empty cell means the tier is not offered (or its price is unknown), and a row
with no price at all is capacity that needs a quoted price before the planner can use it
(`Offering.is_capacity_only`). Every row names its `source` and `as_of` date.
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import io
import os
import stat
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path

from fleetmix.catalog.accelerators import alias_index, normalize_name, suggest_accelerators
from fleetmix.catalog.records import PRICE_TIERS, Accelerator, FieldSource, Offering
from fleetmix.errors import CatalogError

GB = 1e9  # bytes per GB
MEM_TOLERANCE = 0.10  # stated device memory may differ from chips x accelerator memory by this
PRICE_SUFFIX = "_usd_per_hour"
PRICE_COLUMNS = tuple(f"{tier}{PRICE_SUFFIX}" for tier in PRICE_TIERS)
# fmt: off
OFFERING_COLUMNS = (
    "id", "cloud", "region", "instance_type", "accelerator", "chips", "vcpus",
    "host_memory_gb", "device_memory_gb", *PRICE_COLUMNS,
    "price_confirmed", "as_of", "source", "note",
)
REQUIRED_COLUMNS = ("id", "cloud", "region", "instance_type", "accelerator", "chips",
                    "as_of", "source")
# fmt: on
_TRUE = {"true", "yes", "1"}
_FALSE = {"false", "no", "0"}


class _Row:
    """One CSV record and where it sits, so that every error names file, line, id and field."""

    def __init__(self, origin: str, line: int, cells: Mapping[str, str | None]) -> None:
        self.origin = origin
        self.line = line
        self.cells = {k: (v or "").strip() for k, v in cells.items() if k is not None}
        self.id = self.cells.get("id", "")

    def error(self, field: str, problem: str) -> CatalogError:
        who = f"offering {self.id!r}" if self.id else "offering (no id)"
        return CatalogError(f"{self.origin}:{self.line}: {who}: field {field!r}: {problem}")

    def text(self, field: str, required: bool = False) -> str:
        value = self.cells.get(field, "")
        if required and not value:
            raise self.error(field, "is required and empty")
        return value

    def positive_int(self, field: str) -> int:
        value = self.text(field, required=True)
        if not value.isdigit() or int(value) < 1:
            raise self.error(field, f"expected a positive integer, got {value!r}")
        return int(value)

    def optional_float(self, field: str, what: str) -> float | None:
        value = self.text(field)
        if not value:
            return None
        try:
            number = float(value)
        except ValueError:
            raise self.error(field, f"expected {what}, got {value!r}") from None
        if number != number or number in (float("inf"), float("-inf")):
            raise self.error(field, f"expected {what}, got {value!r}")
        return number

    def date(self, field: str) -> dt.date:
        value = self.text(field, required=True)
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise self.error(field, f"expected a date YYYY-MM-DD, got {value!r}") from None

    def flag(self, field: str, default: bool) -> bool:
        value = self.text(field).lower()
        if not value:
            return default
        if value in _TRUE | _FALSE:
            return value in _TRUE
        raise self.error(field, f"expected true or false, got {value!r}")


def _check_header(origin: str, header: list[str] | None) -> None:
    if not header:
        raise CatalogError(f"{origin}:1: empty file: expected a header row with {REQUIRED_COLUMNS}")
    for column in header:
        if column in OFFERING_COLUMNS:
            continue
        close = difflib.get_close_matches(column, OFFERING_COLUMNS, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        if column.endswith(PRICE_SUFFIX):
            tier = column.removesuffix(PRICE_SUFFIX)
            problem = f"unknown price tier {tier!r} (known: {', '.join(PRICE_TIERS)}){hint}"
        else:
            problem = f"unknown column{hint} Known: {', '.join(OFFERING_COLUMNS)}"
        raise CatalogError(f"{origin}:1: header: column {column!r}: {problem}")
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise CatalogError(f"{origin}:1: header: missing required column(s) {missing}")
    if not any(c in header for c in PRICE_COLUMNS):
        raise CatalogError(f"{origin}:1: header: needs at least one of {PRICE_COLUMNS}")


def _prices(row: _Row) -> dict[str, float]:
    prices: dict[str, float] = {}
    for tier, column in zip(PRICE_TIERS, PRICE_COLUMNS, strict=True):
        price = row.optional_float(column, "a price in USD per instance-hour")
        if price is None:
            continue
        if price <= 0:
            raise row.error(
                column, f"price must be > 0, got {price!r} (leave it empty if not offered)"
            )
        prices[tier] = price
    return prices


def _accelerator(
    row: _Row, accelerators: Mapping[str, Accelerator], index: Mapping[str, str]
) -> Accelerator:
    name = row.text("accelerator", required=True)
    acc_id = index.get(normalize_name(name))
    if acc_id is None:
        close = suggest_accelerators(name, index)
        hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        raise row.error("accelerator", f"unknown accelerator {name!r}.{hint}")
    return accelerators[acc_id]


def _offering(
    row: _Row, accelerators: Mapping[str, Accelerator], index: Mapping[str, str]
) -> Offering:
    row.text("id", required=True)
    acc = _accelerator(row, accelerators, index)
    chips = row.positive_int("chips")
    vcpus = row.optional_float("vcpus", "a vCPU count")
    if vcpus is not None and (vcpus < 0 or not vcpus.is_integer()):
        raise row.error("vcpus", f"expected a non-negative integer, got {row.text('vcpus')!r}")
    host_gb = row.optional_float("host_memory_gb", "host memory in GB")
    if host_gb is not None and host_gb <= 0:
        raise row.error("host_memory_gb", f"must be > 0, got {host_gb!r}")
    device_gb = row.optional_float("device_memory_gb", "device memory in GB")
    if device_gb is not None:
        expected_gb = chips * acc.mem_bytes / GB
        if abs(device_gb - expected_gb) > MEM_TOLERANCE * expected_gb:
            raise row.error(
                "device_memory_gb",
                f"{device_gb:g} GB disagrees with chips x {acc.id} memory = {chips} x "
                f"{acc.mem_bytes / GB:g} = {expected_gb:g} GB by more than "
                f"{MEM_TOLERANCE:.0%}: wrong accelerator or chip count?",
            )
    confirmed = row.flag("price_confirmed", default=True)
    source = FieldSource(
        source=row.text("source", required=True),
        as_of=row.date("as_of"),
        confirmed=confirmed,
        note=row.text("note"),
    )
    return Offering(
        id=row.id,
        cloud=row.text("cloud", required=True),
        region=row.text("region", required=True),
        instance_type=row.text("instance_type", required=True),
        accelerator=acc.id,
        chips=chips,
        vcpus=None if vcpus is None else int(vcpus),
        host_mem_bytes=None if host_gb is None else host_gb * GB,
        device_mem_bytes=None if device_gb is None else device_gb * GB,
        prices_usd_per_hour=_prices(row),
        price_confirmed=confirmed,
        source=source,
    )


def read_offerings(
    path: Path | str, accelerators: Mapping[str, Accelerator]
) -> tuple[Offering, ...]:
    """Read an offerings CSV, resolving accelerator names (ids or aliases) against `accelerators`.

    Raises CatalogError naming the file, line, offering id and field of the first bad cell.
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise CatalogError(f"{path}: cannot read offerings file: {exc}") from exc
    return parse_offerings(text, str(path), accelerators)


def parse_offerings(
    text: str, origin: str, accelerators: Mapping[str, Accelerator]
) -> tuple[Offering, ...]:
    """Parse offerings CSV `text`; `origin` names it in errors. See `read_offerings`."""
    try:
        return _read_rows(origin, csv.DictReader(io.StringIO(text, newline="")), accelerators)
    except csv.Error as exc:
        raise CatalogError(f"{origin}: malformed CSV: {exc}") from exc


def _read_rows(
    origin: str, reader: csv.DictReader[str], accelerators: Mapping[str, Accelerator]
) -> tuple[Offering, ...]:
    _check_header(origin, list(reader.fieldnames or []))
    index = alias_index(accelerators.values(), origin)
    offerings: list[Offering] = []
    first_line: dict[str, int] = {}
    for cells in reader:
        row = _Row(origin, reader.line_num, cells)
        if None in cells:  # DictReader's key for cells beyond the header
            width = len(reader.fieldnames or [])
            raise row.error("(row)", f"has more cells than the header's {width}")
        if not any(row.cells.values()):
            continue  # blank line
        offering = _offering(row, accelerators, index)
        if offering.id in first_line:
            raise row.error("id", f"duplicate id (first defined on line {first_line[offering.id]})")
        first_line[offering.id] = row.line
        offerings.append(offering)
    return tuple(offerings)


def _fmt(value: float | None, scale: float = 1.0) -> str:
    return "" if value is None else f"{value / scale:.12g}"


def offering_to_row(offering: Offering) -> dict[str, str]:
    """One CSV row (column -> cell) for `offering`, inverse of the reader."""
    row = {
        "id": offering.id,
        "cloud": offering.cloud,
        "region": offering.region,
        "instance_type": offering.instance_type,
        "accelerator": offering.accelerator,
        "chips": str(offering.chips),
        "vcpus": "" if offering.vcpus is None else str(offering.vcpus),
        "host_memory_gb": _fmt(offering.host_mem_bytes, GB),
        "device_memory_gb": _fmt(offering.device_mem_bytes, GB),
        "price_confirmed": "true" if offering.price_confirmed else "false",
        "as_of": offering.source.as_of.isoformat(),
        "source": offering.source.source,
        "note": offering.source.note,
    }
    for tier, column in zip(PRICE_TIERS, PRICE_COLUMNS, strict=True):
        row[column] = _fmt(offering.prices_usd_per_hour.get(tier))
    return row


def write_offerings_csv(offerings: Iterable[Offering], path: Path | str) -> None:
    """Write `offerings` in the offerings CSV format, atomically.

    The rows go to a temporary file in the target directory, which then replaces `path` with
    `os.replace`, so a reader never sees a half-written file.
    """
    target = Path(path)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=OFFERING_COLUMNS, lineterminator="\n")
            writer.writeheader()
            for offering in offerings:
                writer.writerow(offering_to_row(offering))
        # mkstemp makes the file 0600; give the result the permissions a plain open() would
        mode = stat.S_IMODE(target.stat().st_mode) if target.exists() else 0o644
        os.chmod(tmp_name, mode)
        os.replace(tmp_name, target)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
