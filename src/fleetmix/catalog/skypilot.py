"""Import a SkyPilot catalog `vms.csv` (skypilot-org/skypilot-catalog) as offerings.

SkyPilot lists one row per instance type, region and availability zone. We keep one offering
per (instance type, region): the lowest on-demand and the lowest spot price across its zones.
Quirks handled here, and nowhere else:

- AcceleratorName goes through the catalog's ids and aliases; GCP TPU slices
  ("tpu-v6e-8", AcceleratorCount 1) become a TPU offering with the slice's chips.
- Rows with no accelerator (CPU instances), an accelerator not in the catalog, or a GCP GPU
  row without a host instance type are skipped and reported, not raised.
- An empty, zero or negative price means "not offered".
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from fleetmix.catalog.accelerators import alias_index, normalize_name
from fleetmix.catalog.catalog import load_catalog
from fleetmix.catalog.offerings import GB, MEM_TOLERANCE, write_offerings_csv
from fleetmix.catalog.records import Accelerator, FieldSource, Offering
from fleetmix.errors import CatalogError

# fmt: off
REQUIRED_COLUMNS = ("InstanceType", "AcceleratorName", "AcceleratorCount", "vCPUs", "MemoryGiB",
                    "Price", "SpotPrice", "Region")
SKYPILOT_CLOUDS = frozenset({  # folder names in skypilot-catalog, for inferring the cloud
    "aws", "azure", "cudo", "do", "fluidstack", "gcp", "hyperbolic", "hyperstack", "ibm",
    "lambda", "nebius", "oci", "paperspace", "runpod", "scp", "shadeform", "vast", "vsphere",
})
# fmt: on
GIB = 2.0**30  # bytes per GiB
MIB = 2.0**20  # bytes per MiB
# GCP TPU slice names; v5p (like v2-v4) counts TensorCores, two per chip; v5e and v6e count chips
_TPU_SLICE = re.compile(r"^tpu-(v5litepod|v5p|v6e)-(\d+)$", re.IGNORECASE)
_TPU_CORES_PER_CHIP = {"v5litepod": 1, "v5p": 2, "v6e": 1}
_TPU_ALIAS = {"v5litepod": "tpu-v5e", "v5p": "tpu-v5p", "v6e": "tpu-v6e"}
_TOTAL_MEM_MIB = re.compile(r"'Total\w*MemoryInMiB':\s*([0-9.]+)")


@dataclass
class _Group:
    """The zones of one (instance type, region), folded as they are read."""

    line: int  # first line, for messages
    acc: Accelerator
    chips: int
    vcpus: float | None
    host_mem_gib: float | None
    device_mem_bytes: float | None
    prices: dict[str, float] = field(default_factory=dict)  # tier -> lowest $ per instance-hour

    def add_price(self, tier: str, price: float | None) -> None:
        if price is not None and price < self.prices.get(tier, float("inf")):
            self.prices[tier] = price


class _Reader:
    def __init__(self, origin: str, accelerators: Mapping[str, Accelerator]) -> None:
        self.origin = origin
        self.accelerators = accelerators
        self.index = alias_index(accelerators.values(), origin)
        self.skipped: dict[tuple[str, str], str] = {}  # (name, reason) -> message

    def error(self, line: int, column: str, problem: str) -> CatalogError:
        return CatalogError(f"{self.origin}:{line}: column {column!r}: {problem}")

    def skip(self, line: int, what: str, reason: str) -> None:
        self.skipped.setdefault((what, reason), f"{self.origin}:{line}: {what}: {reason}")

    def number(self, line: int, row: Mapping[str, str], column: str) -> float | None:
        text = (row.get(column) or "").strip()
        if not text:
            return None
        try:
            value = float(text)
        except ValueError:
            raise self.error(line, column, f"expected a number, got {text!r}") from None
        if value != value or abs(value) == float("inf"):
            raise self.error(line, column, f"expected a finite number, got {text!r}")
        return value

    def chips(self, line: int, row: Mapping[str, str]) -> int:
        count = self.number(line, row, "AcceleratorCount")
        if count is None or count < 1 or not count.is_integer():
            raise self.error(
                line,
                "AcceleratorCount",
                f"expected a whole number of accelerators >= 1, got "
                f"{row.get('AcceleratorCount')!r} (fractional GPUs are not supported)",
            )
        return int(count)

    def resolve(self, line: int, row: Mapping[str, str]) -> tuple[Accelerator, int, str] | None:
        """(accelerator, chips, instance type) of a row, or None when it is skipped."""
        name = (row.get("AcceleratorName") or "").strip()
        instance = (row.get("InstanceType") or "").strip()
        if not name:
            self.skip(line, instance or "(no instance type)", "no accelerator (CPU-only)")
            return None
        tpu = _TPU_SLICE.match(name)
        key = normalize_name(_TPU_ALIAS[tpu.group(1).lower()] if tpu else name)
        acc_id = self.index.get(key)
        if acc_id is None:
            self.skip(line, instance or name, f"accelerator {name!r} is not in the catalog")
            return None
        if tpu:
            cores = int(tpu.group(2))
            chips = max(1, cores // _TPU_CORES_PER_CHIP[tpu.group(1).lower()])
            return self.accelerators[acc_id], chips, instance or name
        chips = self.chips(line, row)
        if not instance:
            self.skip(
                line,
                name,
                "GPU row without an instance type (GCP prices the GPU apart "
                "from its host VM: add the two by hand)",
            )
            return None
        return self.accelerators[acc_id], chips, instance


def _infer_cloud(path: Path) -> str:
    folder = path.parent.name.lower()  # skypilot-catalog keeps catalogs/v8/<cloud>/vms.csv
    if folder in SKYPILOT_CLOUDS:
        return folder
    raise CatalogError(
        f"{path}: cannot infer the cloud from the folder name {path.parent.name!r} (expected "
        f"one of {', '.join(sorted(SKYPILOT_CLOUDS))}); pass cloud=..."
    )


def _device_mem_bytes(row: Mapping[str, str]) -> float | None:
    match = _TOTAL_MEM_MIB.search(row.get("GpuInfo") or "")
    return float(match.group(1)) * MIB if match else None


def _fold(reader: _Reader, rows: csv.DictReader[str]) -> dict[tuple[str, str], _Group]:
    groups: dict[tuple[str, str], _Group] = {}
    for row in rows:
        line = rows.line_num
        resolved = reader.resolve(line, row)
        if resolved is None:
            continue
        acc, chips, instance = resolved
        region = (row.get("Region") or "").strip()
        if not region:
            raise reader.error(line, "Region", "is required and empty")
        group = groups.get((instance, region))
        if group is None:
            group = groups[(instance, region)] = _Group(
                line=line,
                acc=acc,
                chips=chips,
                vcpus=reader.number(line, row, "vCPUs"),
                host_mem_gib=reader.number(line, row, "MemoryGiB"),
                device_mem_bytes=_device_mem_bytes(row),
            )
        for tier, column in (("on_demand", "Price"), ("spot", "SpotPrice")):
            price = reader.number(line, row, column)
            group.add_price(tier, price if price is not None and price > 0 else None)
    return groups


def _offering(
    cloud: str, region: str, instance: str, group: _Group, source: FieldSource
) -> Offering:
    vcpus = group.vcpus
    whole_vcpus = vcpus is not None and vcpus >= 0 and vcpus.is_integer()
    return Offering(
        id=f"{cloud}/{region}/{instance}",
        cloud=cloud,
        region=region,
        instance_type=instance,
        accelerator=group.acc.id,
        chips=group.chips,
        vcpus=int(vcpus) if whole_vcpus and vcpus is not None else None,
        host_mem_bytes=None if group.host_mem_gib is None else group.host_mem_gib * GIB,
        device_mem_bytes=group.device_mem_bytes,
        prices_usd_per_hour=dict(group.prices),
        source=source,
    )


def read_skypilot_vms(
    path: Path | str,
    cloud: str | None = None,
    accelerators: Mapping[str, Accelerator] | None = None,
    as_of: dt.date | None = None,
) -> tuple[list[Offering], list[str]]:
    """Offerings from a SkyPilot `vms.csv`, and the reasons rows were skipped.

    `cloud` defaults to the file's folder name (".../aws/vms.csv"); `accelerators` to the
    shipped catalog's. SkyPilot does not record when prices were captured, so `as_of`
    (default: today) is the import date.
    """
    path = Path(path)
    cloud = cloud or _infer_cloud(path)
    accelerators = accelerators if accelerators is not None else load_catalog().accelerators
    reader = _Reader(str(path), accelerators)
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            rows = csv.DictReader(handle)
            missing = [c for c in REQUIRED_COLUMNS if c not in (rows.fieldnames or [])]
            if missing:
                raise reader.error(1, missing[0], f"missing required column(s) {missing}")
            groups = _fold(reader, rows)
    except OSError as exc:
        raise CatalogError(f"{path}: cannot read SkyPilot catalog: {exc}") from exc
    except csv.Error as exc:
        raise CatalogError(f"{path}: malformed CSV: {exc}") from exc
    source = FieldSource(
        source=f"SkyPilot catalog {path} (skypilot-org/skypilot-catalog format)",
        as_of=as_of or dt.date.today(),
        note="imported by fleetmix: lowest price across availability zones; the capture date "
        "is not recorded, as_of is the import date",
    )
    offerings = []
    for (instance, region), group in groups.items():
        expected = group.chips * group.acc.mem_bytes
        stated = group.device_mem_bytes
        if stated and abs(stated - expected) > MEM_TOLERANCE * expected:
            reader.skip(
                group.line,
                instance,
                f"GPU memory {stated / GB:g} GB disagrees with {group.chips} x {group.acc.id} "
                f"({expected / GB:g} GB): SkyPilot's name may mean another part",
            )
            continue
        offerings.append(_offering(cloud, region, instance, group, source))
    return offerings, list(reader.skipped.values())


def import_skypilot(
    vms_path: Path | str, out_path: Path | str, cloud: str | None = None
) -> tuple[int, list[str]]:
    """Convert a SkyPilot `vms.csv` into a user offerings CSV at `out_path` (written atomically).

    Returns (offerings written, reasons rows were skipped). The file loads with
    `load_catalog(extra_offerings=[out_path])`.
    """
    offerings, skipped = read_skypilot_vms(vms_path, cloud=cloud)
    write_offerings_csv(offerings, out_path)
    return len(offerings), skipped
