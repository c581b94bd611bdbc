"""`fleetmix.catalog.__all__` lists exactly the public names the package exports."""

from __future__ import annotations

import json

import fleetmix.catalog


def test_all_is_honest() -> None:
    public = {
        name
        for name, value in vars(fleetmix.catalog).items()
        if not name.startswith("_") and getattr(value, "__module__", "").startswith("fleetmix")
    }
    public |= {"OFFERING_COLUMNS", "PRECISIONS", "PRICE_TIERS", "VENDORS"}
    assert set(fleetmix.catalog.__all__) == public
    for name in (
        "Catalog",
        "load_catalog",
        "Accelerator",
        "Offering",
        "FieldSource",
        "read_skypilot_vms",
        "write_offerings_csv",
    ):
        assert name in fleetmix.catalog.__all__


def test_records_convert_to_plain_json() -> None:
    catalog = fleetmix.catalog.load_catalog()
    acc = json.loads(json.dumps(fleetmix.catalog.accelerator_to_dict(catalog.accelerator("h100"))))
    assert acc["mem_bytes"] == 80e9
    assert acc["sources"]["tdp_w"]["as_of"] == "2026-08-01"
    offering = catalog.offering("gcp/us-central1/tpu-v6e-8")
    row = json.loads(json.dumps(fleetmix.catalog.offering_to_dict(offering)))
    assert row["usd_per_chip_hour"]["on_demand"] == 2.7
    assert row["source"]["as_of"] == "2026-11-25"
