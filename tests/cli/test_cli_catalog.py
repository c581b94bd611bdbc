"""`fleetmix catalog`: accelerators with sources, offerings filters, SkyPilot import."""

from __future__ import annotations

import csv
from pathlib import Path

from cli_helpers import assert_user_error, invoke, json_of

REPO = Path(__file__).resolve().parents[2]
SKYPILOT_AWS = REPO / "tests" / "catalog" / "data" / "skypilot" / "aws" / "vms.csv"
REQUIRED_ACCELERATORS = (
    "a100-80gb", "h100-sxm", "h200", "b200", "gb200", "l40s", "mi300x", "mi325x", "mi355x",
    "maia-100", "maia-200", "trainium2", "inferentia2", "tpu-v5e", "tpu-v6e", "tpu-v7",
    "gaudi2", "gaudi3",
)










def test_accelerators_json_lists_every_required_chip_with_sources() -> None:
    rows = {row["id"]: row for row in json_of("catalog", "accelerators")}
    assert set(REQUIRED_ACCELERATORS) <= set(rows)
    for acc_id in REQUIRED_ACCELERATORS:
        sources = rows[acc_id]["sources"]
        assert sources, acc_id
        assert all(s["source"].strip() and s["as_of"] for s in sources.values()), acc_id
        assert rows[acc_id]["mem_bytes"] > 0 and rows[acc_id]["peak_flops_per_s"]


def test_accelerators_vendor_filter() -> None:
    rows = json_of("catalog", "accelerators", "--vendor", "amd")
    assert {row["id"] for row in rows} == {"mi300x", "mi325x", "mi355x"}
    assert_user_error(invoke("catalog", "accelerators", "--vendor", "amd64"),
                      "--vendor 'amd64'", "expected one of")


def test_accelerators_table_renders() -> None:
    result = invoke("catalog", "accelerators", "--vendor", "google")
    assert result.exit_code == 0, result.output
    assert "tpu-v6e" in result.output


def test_offerings_of_one_vendor() -> None:
    result = invoke("catalog", "offerings", "--vendor", "amd")
    assert result.exit_code == 0, result.output
    rows = json_of("catalog", "offerings", "--vendor", "amd")
    assert rows and {row["accelerator"] for row in rows} <= {"mi300x", "mi325x", "mi355x"}
    assert_user_error(invoke("catalog", "offerings", "--vendor", "nvidai"), "--vendor 'nvidai'")


def test_offerings_of_one_accelerator_by_alias() -> None:
    rows = json_of("catalog", "offerings", "--accelerator", "H100", "--cloud", "lambda")
    assert {row["id"] for row in rows} == {"lambda/us-east-1/gpu_1x_h100_sxm5",
                                           "lambda/us-east-1/gpu_8x_h100_sxm5"}
    for row in rows:
        # per chip-hour = per instance-hour / chips
        assert row["usd_per_chip_hour"]["on_demand"] == (
            row["prices_usd_per_hour"]["on_demand"] / row["chips"])
    assert_user_error(invoke("catalog", "offerings", "--accelerator", "h1000"),
                      "unknown accelerator 'h1000'")


def test_import_skypilot_writes_an_offerings_file(tmp_path: Path) -> None:
    out = tmp_path / "aws.csv"
    result = invoke("catalog", "import-skypilot", SKYPILOT_AWS, "--out", out)
    assert result.exit_code == 0, result.output
    with out.open(newline="") as handle:
        rows = {row["id"]: row for row in csv.DictReader(handle)}
    # m5.large has no accelerator; dl1's Gaudi HL-205 (first-gen Gaudi) is not in the catalog;
    # p5.48xlarge in us-east-1 is one offering across its availability zones
    assert set(rows) == {"aws/us-east-1/inf2.8xlarge", "aws/us-east-1/p5.48xlarge",
                         "aws/us-east-2/p5.48xlarge", "aws/us-east-2/p5e.48xlarge"}
    east1 = rows["aws/us-east-1/p5.48xlarge"]
    assert (east1["accelerator"], east1["chips"]) == ("h100-sxm", "8")
    assert float(east1["spot_usd_per_hour"]) == 17.6289  # lowest of 19.5123 and 17.6289
    assert "wrote 4 offerings" in result.output and "skipped 2 rows" in result.output
    # the written file lists through --offerings
    listed = json_of("catalog", "offerings", "--offerings", out, "--cloud", "aws",
                     "--accelerator", "h200")
    assert "aws/us-east-2/p5e.48xlarge" in {row["id"] for row in listed}


def test_import_skypilot_of_a_missing_file(tmp_path: Path) -> None:
    result = invoke("catalog", "import-skypilot", tmp_path / "aws" / "vms.csv", "--out",
                    tmp_path / "x.csv")
    assert_user_error(result, "CatalogError", "cannot read SkyPilot catalog")
    assert not (tmp_path / "x.csv").exists()
