"""The shipped offerings table and the integrity checks of the offerings CSV reader."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from fleetmix.catalog import OFFERING_COLUMNS, load_catalog, read_offerings
from fleetmix.errors import CatalogError


def offering_row(**overrides: str) -> dict[str, str]:
    """A negotiated p5.48xlarge price, as a user would write it."""
    row = {
        "id": "aws/us-east-1/p5.48xlarge",
        "cloud": "aws",
        "region": "us-east-1",
        "instance_type": "p5.48xlarge",
        "accelerator": "h100-sxm",
        "chips": "8",
        "vcpus": "192",
        "quoted_usd_per_hour": "30.0",
        "as_of": "2026-11-01",
        "source": "quote from AWS account team 2026-11",
    }
    return row | overrides


def write_rows(tmp_path: Path, *rows: dict[str, str]) -> Path:
    path = tmp_path / "offerings.csv"
    header = list(dict.fromkeys(key for row in rows for key in row))
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)
    return path


def read(path: Path) -> None:
    read_offerings(path, load_catalog().accelerators)


def test_shipped_offerings_load_with_sources() -> None:
    catalog = load_catalog()
    assert len(catalog.offerings) == 38
    assert len({o.id for o in catalog.offerings}) == len(catalog.offerings)
    for offering in catalog.offerings:
        assert offering.id == f"{offering.cloud}/{offering.region}/{offering.instance_type}"
        assert offering.source.source and offering.source.as_of.isoformat() == "2026-11-25"
        assert not offering.is_capacity_only


def test_shipped_offerings_carry_the_reference_fixes() -> None:
    catalog = load_catalog()
    assert catalog.offering("azure/eastus/Standard_ND96isr_H100_v5").chips == 8
    v6e = catalog.offering("gcp/us-central1/tpu-v6e-8")
    assert v6e.price_usd_per_chip_hour("reserved_1y") == pytest.approx(1.89)
    assert v6e.price_usd_per_chip_hour("reserved_3y") == pytest.approx(1.22)
    assert catalog.offering("aws/us-east-2/trn2.48xlarge").price_usd_per_chip_hour() is None
    accelerators = {o.accelerator for o in catalog.offerings}
    assert not accelerators - set(catalog.accelerators)


def test_amd_has_only_unconfirmed_prices() -> None:
    mi300x = load_catalog().offerings_for("mi300x")
    assert {o.cloud for o in mi300x} == {"azure", "tensorwave", "vultr"}
    assert not any(o.price_confirmed for o in mi300x)
    assert load_catalog().cheapest_offering("mi300x", confirmed_only=True) is None


def test_a_good_user_row_reads(tmp_path: Path) -> None:
    (offering,) = read_offerings(write_rows(tmp_path, offering_row()), load_catalog().accelerators)
    assert offering.prices_usd_per_hour == {"quoted": 30.0}
    assert offering.price_usd_per_chip_hour("quoted") == 3.75
    assert offering.source.source == "quote from AWS account team 2026-11"


def test_alias_in_the_accelerator_column_is_stored_as_the_id(tmp_path: Path) -> None:
    path = write_rows(tmp_path, offering_row(accelerator="H100 SXM5"))
    (offering,) = read_offerings(path, load_catalog().accelerators)
    assert offering.accelerator == "h100-sxm"


def test_capacity_row_without_any_price_is_kept_and_marked(tmp_path: Path) -> None:
    row = offering_row(
        id="private/us-central/maia-200-pod",
        cloud="private",
        region="us-central",
        instance_type="maia-200-pod",
        accelerator="maia-200",
        chips="16",
        quoted_usd_per_hour="",
    )
    (offering,) = read_offerings(write_rows(tmp_path, row), load_catalog().accelerators)
    assert offering.is_capacity_only


@pytest.mark.parametrize(
    ("overrides", "field", "problem"),
    [
        ({"quoted_usd_per_hour": "0"}, "quoted_usd_per_hour", "price must be > 0"),
        ({"quoted_usd_per_hour": "-3"}, "quoted_usd_per_hour", "price must be > 0"),
        ({"quoted_usd_per_hour": "cheap"}, "quoted_usd_per_hour", "expected a price"),
        ({"chips": "8.5"}, "chips", "expected a positive integer, got '8.5'"),
        ({"chips": "0"}, "chips", "expected a positive integer"),
        ({"accelerator": "h100x"}, "accelerator", "'h100x'. Did you mean 'h100-sxm'"),
        ({"device_memory_gb": "1280"}, "device_memory_gb", "disagrees with chips x h100-sxm"),
        ({"vcpus": "-4"}, "vcpus", "expected a non-negative integer"),
        ({"as_of": "25/11/2026"}, "as_of", "expected a date YYYY-MM-DD"),
        ({"as_of": ""}, "as_of", "is required and empty"),
        ({"source": ""}, "source", "is required and empty"),
        ({"price_confirmed": "maybe"}, "price_confirmed", "expected true or false"),
    ],
)
def test_bad_cells_name_file_line_id_and_field(
    tmp_path: Path, overrides: dict[str, str], field: str, problem: str
) -> None:
    path = write_rows(tmp_path, offering_row(id="aws/us-east-1/other"), offering_row(**overrides))
    with pytest.raises(CatalogError) as info:
        read(path)
    message = str(info.value)
    assert message.startswith(f"{path}:3: offering 'aws/us-east-1/p5.48xlarge': field '{field}'")
    assert problem in message


def test_stated_device_memory_within_ten_percent_is_accepted(tmp_path: Path) -> None:
    # 8 x 80 GiB as a cloud console states it: 687 GB against 640 GB, 7% apart
    path = write_rows(tmp_path, offering_row(device_memory_gb="687.19"))
    (offering,) = read_offerings(path, load_catalog().accelerators)
    assert offering.device_mem_bytes == pytest.approx(687.19e9)


def test_duplicate_id_names_both_lines(tmp_path: Path) -> None:
    path = write_rows(tmp_path, offering_row(), offering_row(quoted_usd_per_hour="29"))
    expected = r":3: offering '.*p5.48xlarge': field 'id': duplicate id \(first defined on line 2\)"
    with pytest.raises(CatalogError, match=expected):
        read(path)


def test_unknown_price_tier_column_is_rejected(tmp_path: Path) -> None:
    path = write_rows(tmp_path, offering_row(reserved_5y_usd_per_hour="20"))
    expected = r":1: header: column 'reserved_5y_usd_per_hour': unknown price tier 'reserved_5y'"
    with pytest.raises(CatalogError, match=expected):
        read(path)


def test_header_needs_the_required_columns_and_a_price(tmp_path: Path) -> None:
    row = offering_row()
    del row["source"]
    with pytest.raises(CatalogError, match=r"missing required column\(s\) \['source'\]"):
        read(write_rows(tmp_path, row))
    row = offering_row()
    del row["quoted_usd_per_hour"]
    with pytest.raises(CatalogError, match="needs at least one of"):
        read(write_rows(tmp_path, row))


def test_the_shipped_file_uses_exactly_the_documented_columns() -> None:
    from importlib import resources

    text = resources.files("fleetmix.catalog").joinpath("data", "offerings.csv").read_text()
    assert tuple(text.splitlines()[0].split(",")) == OFFERING_COLUMNS
