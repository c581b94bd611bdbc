"""Read the accelerator YAML into `Accelerator` records.

The file has a `sources:` table (id -> citation, as_of, note) and an `accelerators:` list whose
numbers are `{value, source, confirmed, note}` with explicit units. Pydantic checks the shape at
the boundary; units are converted here, once, and every number keeps its `FieldSource`.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from fleetmix.catalog.records import Accelerator, FieldSource
from fleetmix.errors import CatalogError

TFLOPS = 1e12  # FLOP/s per TFLOP/s
_MEM_UNIT_BYTES = {"GB": 1e9, "GiB": 2.0**30}
_BW_UNIT_BYTES_PER_S = {"TB/s": 1e12, "GB/s": 1e9, "GiB/s": 2.0**30}


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SourceEntry(_Model):
    citation: str = Field(min_length=1)  # document, URL or repository path
    as_of: dt.date  # publication date, or the date it was read
    note: str = ""


class Number(_Model):
    """One sourced number; value None = unknown (or listed but not published). Never omitted."""

    value: float | None = Field(gt=0)
    source: str = Field(min_length=1)  # id in the sources table
    confirmed: bool = True  # False: one weak source only, a placeholder
    note: str = ""


class Year(Number):
    value: int | None = Field(ge=1990)


class DomainChips(Number):
    value: int = Field(ge=1)  # required: use 1 with confirmed: false when unknown


class Bandwidth(Number):
    unit: Literal["TB/s", "GB/s", "GiB/s"]


class MemoryBandwidth(Bandwidth):
    value: float = Field(gt=0)  # required: the planner cannot work without it


class Memory(Number):
    value: float = Field(gt=0)  # required: the planner cannot work without it
    unit: Literal["GB", "GiB"]


class AcceleratorEntry(_Model):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9.\-]*$")
    name: str = Field(min_length=1)
    vendor: str
    aliases: list[str] = []
    notes: str = ""
    peak_dense_tflops: dict[Literal["fp4", "fp8", "bf16"], Number]  # TFLOP/s, dense
    mem: Memory
    mem_bw: MemoryBandwidth
    scaleup_bw: Bandwidth  # bidirectional per chip
    scaleup_domain_chips: DomainChips
    scaleup_link: str = Field(min_length=1)
    tdp_w: Number
    year: Year


class AcceleratorFile(_Model):
    sources: dict[str, SourceEntry] = {}
    accelerators: list[dict[str, Any]]  # validated one by one to name the failing entry


def _pydantic_problem(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"]) or "(top level)"
        got = f" (got {err['input']!r})" if err["type"] != "missing" else ""
        parts.append(f"field {loc!r}: {err['msg']}{got}")
    return "; ".join(parts)


def _field_source(
    number: Number, sources: Mapping[str, SourceEntry], origin: str, acc_id: str, field: str
) -> FieldSource:
    entry = sources.get(number.source)
    if entry is None:
        raise CatalogError(
            f"{origin}: accelerator {acc_id!r}: field {field!r}: source {number.source!r} is not "
            f"in the sources table (known: {', '.join(sorted(sources))})"
        )
    citation = f"{number.source}: {entry.citation}" + (f" ({entry.note})" if entry.note else "")
    return FieldSource(
        source=citation, as_of=entry.as_of, confirmed=number.confirmed, note=number.note
    )


def _to_accelerator(
    entry: AcceleratorEntry, sources: Mapping[str, SourceEntry], origin: str
) -> Accelerator:
    def src(number: Number, field: str) -> FieldSource:
        return _field_source(number, sources, origin, entry.id, field)

    field_sources: dict[str, FieldSource] = {}
    peak_flops_per_s: dict[str, float] = {}
    for precision, number in entry.peak_dense_tflops.items():
        key = f"peak_flops_per_s.{precision}"
        field_sources[key] = src(number, f"peak_dense_tflops.{precision}")
        if number.value is not None:
            peak_flops_per_s[precision] = number.value * TFLOPS
    field_sources["mem_bytes"] = src(entry.mem, "mem")
    field_sources["mem_bw_bytes_per_s"] = src(entry.mem_bw, "mem_bw")
    field_sources["scaleup_bw_bytes_per_s"] = src(entry.scaleup_bw, "scaleup_bw")
    field_sources["scaleup_domain_chips"] = src(entry.scaleup_domain_chips, "scaleup_domain_chips")
    field_sources["tdp_w"] = src(entry.tdp_w, "tdp_w")
    field_sources["year"] = src(entry.year, "year")

    scaleup = entry.scaleup_bw.value
    try:
        return Accelerator(
            id=entry.id,
            name=entry.name,
            vendor=entry.vendor,
            peak_flops_per_s=peak_flops_per_s,
            mem_bytes=entry.mem.value * _MEM_UNIT_BYTES[entry.mem.unit],
            mem_bw_bytes_per_s=entry.mem_bw.value * _BW_UNIT_BYTES_PER_S[entry.mem_bw.unit],
            scaleup_bw_bytes_per_s=(
                None if scaleup is None else scaleup * _BW_UNIT_BYTES_PER_S[entry.scaleup_bw.unit]
            ),
            scaleup_domain_chips=entry.scaleup_domain_chips.value,
            scaleup_link=entry.scaleup_link,
            tdp_w=entry.tdp_w.value,
            year=entry.year.value,
            aliases=tuple(entry.aliases),
            sources=field_sources,
            notes=entry.notes,
        )
    except ValueError as exc:
        raise CatalogError(f"{origin}: accelerator {entry.id!r}: {exc}") from exc


def parse_accelerators(
    text: str, origin: str, base_sources: Mapping[str, SourceEntry] | None = None
) -> tuple[dict[str, Accelerator], dict[str, SourceEntry]]:
    """Parse accelerator YAML `text` (`origin` names it in errors).

    `base_sources` lets a user file cite the shipped source ids; its own `sources:` win.
    Returns (accelerators by id, the merged sources table).
    """
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise CatalogError(f"{origin}: not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise CatalogError(f"{origin}: expected a mapping with 'sources' and 'accelerators'")
    try:
        doc = AcceleratorFile.model_validate(raw)
    except ValidationError as exc:
        raise CatalogError(f"{origin}: {_pydantic_problem(exc)}") from exc
    sources = {**(base_sources or {}), **doc.sources}
    accelerators: dict[str, Accelerator] = {}
    for index, item in enumerate(doc.accelerators):
        label = repr(item.get("id")) if isinstance(item, dict) else "?"
        try:
            entry = AcceleratorEntry.model_validate(item)
        except ValidationError as exc:
            raise CatalogError(
                f"{origin}: accelerator {label} (entry {index + 1}): {_pydantic_problem(exc)}"
            ) from exc
        if entry.id in accelerators:
            raise CatalogError(f"{origin}: accelerator {entry.id!r} is defined twice")
        accelerators[entry.id] = _to_accelerator(entry, sources, origin)
    alias_index(accelerators.values(), origin)  # fail early on clashing aliases
    return accelerators, sources


def load_accelerators(
    path: Path, base_sources: Mapping[str, SourceEntry] | None = None
) -> tuple[dict[str, Accelerator], dict[str, SourceEntry]]:
    """Read an accelerator YAML file; see `parse_accelerators`."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CatalogError(f"{path}: cannot read accelerator file: {exc}") from exc
    return parse_accelerators(text, str(path), base_sources)


def normalize_name(name: str) -> str:
    """Key for matching accelerator names: lower case, no spaces, hyphens or underscores."""
    return re.sub(r"[\s_\-]+", "", name.strip().lower())


def alias_index(accelerators: Iterable[Accelerator], origin: str = "catalog") -> dict[str, str]:
    """Map normalized ids and aliases to accelerator ids; a name shared by two chips is an error."""
    index: dict[str, str] = {}
    for acc in accelerators:
        for name in (acc.id, *acc.aliases):
            key = normalize_name(name)
            owner = index.setdefault(key, acc.id)
            if owner != acc.id:
                raise CatalogError(
                    f"{origin}: accelerator name {name!r} of {acc.id!r} "
                    f"is already used by {owner!r}"
                )
    return index


def suggest_accelerators(name: str, index: Mapping[str, str], n: int = 3) -> list[str]:
    """Accelerator ids whose id or alias is close to `name`, best first."""
    close = difflib.get_close_matches(normalize_name(name), list(index), n=10, cutoff=0.5)
    ids: list[str] = []
    for key in close:
        if index[key] not in ids:
            ids.append(index[key])
    return ids[:n]
