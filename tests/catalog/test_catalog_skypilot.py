"""Importing SkyPilot `vms.csv` files, and writing offerings CSVs atomically."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from fleetmix.catalog import (
    Offering,
    import_skypilot,
    load_catalog,
    read_offerings,
    read_skypilot_vms,
    write_offerings_csv,
)
from fleetmix.errors import CatalogError

DATA = Path(__file__).parent / "data" / "skypilot"
AWS = DATA / "aws" / "vms.csv"
GCP = DATA / "gcp" / "vms.csv"
HEADER = (
    "InstanceType,AcceleratorName,AcceleratorCount,vCPUs,MemoryGiB,GpuInfo,"
    "Price,SpotPrice,Region,AvailabilityZone\n"
)


def by_id(offerings: list[Offering]) -> dict[str, Offering]:
    return {o.id: o for o in offerings}


def test_aws_rows_fold_zones_into_one_offering_per_region() -> None:
    offerings, _ = read_skypilot_vms(AWS, as_of=dt.date(2026, 11, 25))
    found = by_id(offerings)
    assert set(found) == {
        "aws/us-east-1/inf2.8xlarge",
        "aws/us-east-1/p5.48xlarge",
        "aws/us-east-2/p5.48xlarge",
        "aws/us-east-2/p5e.48xlarge",
    }
    p5 = found["aws/us-east-1/p5.48xlarge"]
    assert p5.accelerator == "h100-sxm" and p5.chips == 8 and p5.vcpus == 192
    assert p5.prices_usd_per_hour == {"on_demand": 55.04, "spot": 17.6289}  # lowest of two AZs
    assert p5.host_mem_bytes == 2048 * 2**30
    assert p5.device_mem_bytes == 655360 * 2**20
    assert p5.source.as_of == dt.date(2026, 11, 25)
    assert str(AWS) in p5.source.source
    assert found["aws/us-east-2/p5e.48xlarge"].prices_usd_per_hour == {"spot": 18.7359}


def test_skipped_rows_are_reported_once_each() -> None:
    _, skipped = read_skypilot_vms(AWS)
    assert skipped == [
        f"{AWS}:2: m5.large: no accelerator (CPU-only)",
        f"{AWS}:4: dl1.24xlarge: accelerator 'Gaudi HL-205' is not in the catalog",
    ]


def test_gcp_tpu_slices_count_chips_and_gpu_rows_are_skipped() -> None:
    offerings, skipped = read_skypilot_vms(GCP)
    found = by_id(offerings)
    assert set(found) == {"gcp/us-central1/tpu-v6e-8", "gcp/us-east5/tpu-v5p-8"}
    assert found["gcp/us-central1/tpu-v6e-8"].chips == 8
    assert found["gcp/us-east5/tpu-v5p-8"].chips == 4  # 8 TensorCores
    assert found["gcp/us-central1/tpu-v6e-8"].prices_usd_per_hour == {
        "on_demand": 21.6,
        "spot": 4.35366,
    }
    assert len(skipped) == 3
    assert "GPU row without an instance type" in skipped[1]
    assert "'tpu-v4-8' is not in the catalog" in skipped[2]


def test_fractional_accelerator_count_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "vms.csv"
    path.write_text(HEADER + "g9.half,H100,0.5,8.0,64.0,,3.0,1.0,us-east-1,use1-az1\n")
    with pytest.raises(
        CatalogError, match=r"vms.csv:2: column 'AcceleratorCount': expected a whole"
    ):
        read_skypilot_vms(path, cloud="aws")


def test_missing_column_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "vms.csv"
    path.write_text(
        HEADER.replace(",SpotPrice", "") + "p5.48xlarge,H100,8,192,2048,,55.04,us-east-1,a\n"
    )
    with pytest.raises(CatalogError, match=r"vms.csv:1: column 'SpotPrice': missing required"):
        read_skypilot_vms(path, cloud="aws")


def test_cloud_comes_from_the_path_or_the_argument(tmp_path: Path) -> None:
    path = tmp_path / "vms.csv"
    shutil.copy(AWS, path)
    with pytest.raises(CatalogError, match="cannot infer the cloud"):
        read_skypilot_vms(path)
    offerings, _ = read_skypilot_vms(path, cloud="aws")
    assert {o.cloud for o in offerings} == {"aws"}


def test_write_round_trips_through_the_reader(tmp_path: Path) -> None:
    offerings, _ = read_skypilot_vms(AWS, as_of=dt.date(2026, 11, 25))
    out = tmp_path / "my-offerings.csv"
    write_offerings_csv(offerings, out)
    back = read_offerings(out, load_catalog().accelerators)
    assert [o.id for o in back] == [o.id for o in offerings]
    for before, after in zip(offerings, back, strict=True):
        assert after.prices_usd_per_hour == before.prices_usd_per_hour
        assert after.accelerator == before.accelerator
        assert (after.chips, after.vcpus) == (before.chips, before.vcpus)
        assert after.host_mem_bytes == pytest.approx(before.host_mem_bytes)
        assert after.device_mem_bytes == pytest.approx(before.device_mem_bytes)
        assert after.source == before.source
    assert [p.name for p in tmp_path.iterdir()] == ["my-offerings.csv"]  # no temp file left


def test_import_writes_a_file_usable_as_user_overrides(tmp_path: Path) -> None:
    out = tmp_path / "my-offerings.csv"
    written, skipped = import_skypilot(AWS, out)
    assert written == 4 and len(skipped) == 2
    catalog = load_catalog(extra_offerings=[out])
    assert catalog.offering("aws/us-east-1/p5.48xlarge").prices_usd_per_hour["spot"] == 17.6289
    assert catalog.offering("aws/us-east-2/p5.48xlarge").source.source.startswith("SkyPilot")


def test_a_failed_write_leaves_the_old_file_alone(tmp_path: Path) -> None:
    out = tmp_path / "my-offerings.csv"
    offerings, _ = read_skypilot_vms(AWS)
    write_offerings_csv(offerings, out)
    before = out.read_text()

    def broken() -> Iterator[Offering]:
        yield offerings[0]
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        write_offerings_csv(broken(), out)
    assert out.read_text() == before
    assert [p.name for p in tmp_path.iterdir()] == ["my-offerings.csv"]
