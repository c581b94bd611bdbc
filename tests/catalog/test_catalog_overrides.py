"""User offerings and accelerators merged over the shipped catalog, and the Catalog queries."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from fleetmix.catalog import Catalog, load_catalog
from fleetmix.errors import UnknownNameError

NEGOTIATED = {
    "id": "aws/us-east-1/p5.48xlarge",
    "cloud": "aws",
    "region": "us-east-1",
    "instance_type": "p5.48xlarge",
    "accelerator": "H100",
    "chips": "8",
    "on_demand_usd_per_hour": "24.00",
    "as_of": "2026-11-10",
    "source": "quote from AWS account team 2026-11",
}
MAIA = {
    "id": "azure-maia/us-central/maia-200-capacity",
    "cloud": "azure-maia",
    "region": "us-central",
    "instance_type": "maia-200-capacity",
    "accelerator": "maia-200",
    "chips": "4",
    "on_demand_usd_per_hour": "",
    "quoted_usd_per_hour": "12.00",
    "as_of": "2026-11-20",
    "source": "quote from Microsoft rep 2026-11",
}


def write_rows(path: Path, *rows: dict[str, str]) -> Path:
    header = list(dict.fromkeys(key for row in rows for key in row))
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_shipped_catalog_is_read_once() -> None:
    assert load_catalog() is load_catalog()


def test_user_row_replaces_the_shipped_price(tmp_path: Path) -> None:
    shipped = load_catalog()
    catalog = load_catalog(extra_offerings=[write_rows(tmp_path / "mine.csv", NEGOTIATED)])
    offering = catalog.offering("aws/us-east-1/p5.48xlarge")
    assert offering.prices_usd_per_hour == {"on_demand": 24.0}  # the whole row is replaced
    assert offering.source.source == "quote from AWS account team 2026-11"
    assert len(catalog.offerings) == len(shipped.offerings)
    cheapest = catalog.cheapest_offering("h100-sxm")
    assert cheapest is not None and cheapest[0].id == "aws/us-east-1/p5.48xlarge"
    assert cheapest[1] == 3.0
    # the shipped catalog is untouched
    assert shipped.offering("aws/us-east-1/p5.48xlarge").prices_usd_per_hour["on_demand"] == 55.04


def test_private_offering_is_added_and_later_files_win(tmp_path: Path) -> None:
    first = write_rows(tmp_path / "a.csv", MAIA)
    second = write_rows(tmp_path / "b.csv", MAIA | {"quoted_usd_per_hour": "10.00"})
    catalog = load_catalog(extra_offerings=[first, second])
    (maia,) = catalog.offerings_for("Maia 200")
    assert maia.price_usd_per_chip_hour("quoted") == 2.5
    assert catalog.cheapest_offering("maia-200", tier="quoted") == (maia, 2.5)
    assert catalog.cheapest_offering("maia-200") is None  # no on-demand price


def test_offerings_for_filters() -> None:
    catalog = load_catalog()
    h100 = catalog.offerings_for("h100-sxm")
    assert {o.cloud for o in h100} == {"aws", "gcp", "azure", "lambda"}
    assert {o.id for o in catalog.offerings_for("h100-sxm", clouds={"lambda"})} == {
        "lambda/us-east-1/gpu_1x_h100_sxm5",
        "lambda/us-east-1/gpu_8x_h100_sxm5",
    }
    assert {o.region for o in catalog.offerings_for("h100-sxm", regions=["us-east4"])} == {
        "us-east4"
    }
    spot = catalog.offerings_for("h100-sxm", tiers=["spot"])
    assert spot and all("spot" in o.prices_usd_per_hour for o in spot)
    assert [o.id for o in catalog.offerings_for("tpu-v6e", tiers=["reserved_3y"])] == [
        "gcp/us-central1/tpu-v6e-1",
        "gcp/us-central1/tpu-v6e-8",
    ]
    with pytest.raises(UnknownNameError, match="price tier"):
        catalog.offerings_for("h100-sxm", tiers=["reserved_5y"])


def test_cheapest_offering_is_per_chip_hour() -> None:
    catalog = load_catalog()
    best = catalog.cheapest_offering("tpu-v6e", tier="reserved_3y")
    assert best is not None and best[1] == pytest.approx(1.22)
    spot = catalog.cheapest_offering("trainium2", tier="spot")
    assert spot is not None and spot[1] == pytest.approx(23.0631 / 16)


def test_unknown_offering_and_accelerator_raise() -> None:
    with pytest.raises(UnknownNameError, match="unknown offering"):
        load_catalog().offering("aws/us-east-1/p9.48xlarge")
    with pytest.raises(UnknownNameError, match="mi300x"):
        load_catalog().offerings_for("mi300")


def test_catalog_rejects_offerings_of_unknown_accelerators() -> None:
    shipped = load_catalog()
    with pytest.raises(ValueError, match="not in the catalog"):
        Catalog(accelerators={}, offerings=shipped.offerings[:1])
