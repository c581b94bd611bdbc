"""`fleetmix estimate`: JSON output, name suggestions, fit errors, prices and user files."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from cli_helpers import assert_user_error, invoke

REPO = Path(__file__).resolve().parents[2]
SKYPILOT_AWS = REPO / "tests" / "catalog" / "data" / "skypilot" / "aws" / "vms.csv"
ESTIMATE_KEYS = {
    "arch", "accelerator", "chips", "tp", "pp", "ep", "precision", "engine", "fits",
    "kv_cache_tokens", "max_batch", "throughput_output_tokens_per_s", "ttft_s", "tpot_s",
    "tokens_per_joule", "usd_per_million_output_tokens",
}








def estimate_json(*args: str | Path) -> dict[str, Any]:
    result = invoke("estimate", *args, "--json")
    assert result.exit_code == 0, result.output
    row: dict[str, Any] = json.loads(result.stdout)
    return row


def write_config(folder: Path, **overrides: Any) -> Path:
    """A tiny Llama-shaped Hugging Face config.json: 4 layers, hidden 1024, 32k vocabulary."""
    config = {
        "model_type": "llama", "num_hidden_layers": 4, "hidden_size": 1024,
        "num_attention_heads": 16, "num_key_value_heads": 4, "intermediate_size": 4096,
        "vocab_size": 32000, "max_position_embeddings": 4096,
    } | overrides
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "config.json"
    path.write_text(json.dumps(config))
    return path


def test_estimate_json_has_the_documented_keys() -> None:
    row = estimate_json("--arch", "llama-3.1-8b", "--accelerator", "h100-sxm")
    assert set(row) >= ESTIMATE_KEYS
    assert (row["arch"], row["accelerator"], row["chips"], row["precision"]) == (
        "llama-3.1-8b", "h100-sxm", 1, "fp8")
    assert row["fits"] is True and row["throughput_output_tokens_per_s"] > 0
    # priced from the cheapest on-demand H100 chip-hour in the shipped catalog
    expected = (row["usd_per_chip_hour"] * row["chips"] / 3600
                / row["throughput_output_tokens_per_s"] * 1e6)
    assert row["usd_per_million_output_tokens"] == pytest.approx(expected)
    assert row["tokens_per_joule"] == pytest.approx(
        row["throughput_output_tokens_per_s"] / (row["chips"] * 700.0))


def test_estimate_table_renders() -> None:
    result = invoke("estimate", "--arch", "llama-3.2-1b", "--accelerator", "h100-sxm")
    assert result.exit_code == 0, result.output
    assert "llama-3.2-1b" in result.output and "h100-sxm" in result.output


def test_accelerator_alias_resolves_to_the_id() -> None:
    row = estimate_json("--arch", "llama-3.2-1b", "--accelerator", "H100")
    assert row["accelerator"] == "h100-sxm"


def test_unknown_accelerator_suggests_a_name() -> None:
    result = invoke("estimate", "--arch", "llama-3.1-8b", "--accelerator", "h100x")
    assert_user_error(result, "UnknownNameError", "Did you mean 'h100-sxm'")


def test_unknown_arch_suggests_a_name() -> None:
    result = invoke("estimate", "--arch", "llama-3.1-8bb", "--accelerator", "h100-sxm")
    assert_user_error(result, "unknown arch 'llama-3.1-8bb'", "Did you mean 'llama-3.1-8b'")


def test_model_that_does_not_fit_says_how_many_gigabytes() -> None:
    result = invoke("estimate", "--arch", "llama-3.1-405b", "--precision", "bf16", "--chips",
                    "1", "--accelerator", "h100-sxm")
    assert_user_error(result, "DoesNotFitError", "GB per chip", "GB usable")
    assert re.search(r"needs \d{3}\.\d GB per chip", result.output)  # ~810 GB of weights


@pytest.mark.parametrize(("args", "needles"), [
    (("--precision", "fp4"), ("does not support precision 'fp4'", "fp8, bf16")),
    (("--chips", "8", "--tp", "3"), ("no valid layout of 8 chips",)),
    (("--engine", "vllm-gaudi"), ("vllm-gaudi", "it runs on: intel")),
    (("--price-usd-per-chip-hour", "0"), ("must be > 0",)),
    (("--tier", "weekly"), ("--tier 'weekly'", "on_demand")),
    (("--offering", "aws/us-east-1/inf2.8xlarge"), ("sells inferentia2, not h100-sxm",)),
    (("--max-tpot-ms", "0.5"), ("TargetUnreachableError", "at batch 1")),
])
def test_bad_choices_are_one_line_errors(args: tuple[str, ...], needles: tuple[str, ...]) -> None:
    result = invoke("estimate", "--arch", "llama-3.1-8b", "--accelerator", "h100-sxm", *args)
    assert_user_error(result, *needles)


def test_own_price_sets_the_cost_per_million_tokens() -> None:
    row = estimate_json("--arch", "llama-3.1-8b", "--accelerator", "h100-sxm", "--chips", "2",
                        "--price-usd-per-chip-hour", "2.5")
    assert (row["price_offering"], row["usd_per_chip_hour"]) == ("user", 2.5)
    # 2 chips x $2.5/h over 3600 s, divided by output tokens/s, per million
    expected = 2.5 * 2 / 3600 / row["throughput_output_tokens_per_s"] * 1e6
    assert row["usd_per_million_output_tokens"] == pytest.approx(expected, rel=1e-9)


def test_config_json_path_is_an_arch(tmp_path: Path) -> None:
    config = write_config(tmp_path / "tiny-llama")
    row = estimate_json("--arch", config, "--accelerator", "h100-sxm", "--precision", "fp8")
    assert row["arch"] == "tiny-llama"  # a config.json is named after its folder
    # weights from the shape: per layer q, o 1024 x 1024, k, v 1024 x 256, FFN 3 x 1024 x 4096
    layer = 2 * 1024 * 1024 + 2 * 1024 * 256 + 3 * 1024 * 4096
    norms = (2 * 4 + 1) * 1024
    tables = 2 * 32000 * 1024  # embedding and lm_head, kept in bf16
    weight_bytes = (4 * layer + norms) * 1 + tables * 2
    assert row["weight_gb_per_chip"] == pytest.approx(weight_bytes / 1e9, rel=1e-9)
    # a folder that holds config.json works too
    assert estimate_json("--arch", config.parent, "--accelerator", "h100-sxm")["arch"] == (
        "tiny-llama")


def test_bad_config_paths_are_arch_config_errors(tmp_path: Path) -> None:
    missing = invoke("estimate", "--arch", tmp_path / "nope" / "config.json", "--accelerator",
                     "h100-sxm")
    assert_user_error(missing, "ArchConfigError", "no such file")
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    assert_user_error(invoke("estimate", "--arch", broken, "--accelerator", "h100-sxm"),
                      "ArchConfigError", "invalid JSON")
    no_layers = write_config(tmp_path / "no-layers", num_hidden_layers="four")
    assert_user_error(invoke("estimate", "--arch", no_layers, "--accelerator", "h100-sxm"),
                      "ArchConfigError", "num_hidden_layers")


def test_imported_skypilot_offerings_price_an_estimate(tmp_path: Path) -> None:
    out = tmp_path / "aws-offerings.csv"
    imported = invoke("catalog", "import-skypilot", SKYPILOT_AWS, "--out", out)
    assert imported.exit_code == 0, imported.output
    assert out.is_file()
    # us-east-2 p5.48xlarge is only in the imported file: $55.04/h for 8 H100s = $6.88/chip-h
    args = ("--arch", "llama-3.1-8b", "--accelerator", "h100-sxm",
            "--offering", "aws/us-east-2/p5.48xlarge")
    row = estimate_json(*args, "--offerings", out)
    assert row["price_offering"] == "aws/us-east-2/p5.48xlarge"
    assert row["usd_per_chip_hour"] == pytest.approx(55.04 / 8)
    spot = estimate_json(*args, "--offerings", out, "--tier", "spot")
    assert spot["usd_per_chip_hour"] == pytest.approx(18.8114 / 8)
    assert_user_error(invoke("estimate", *args), "unknown offering")


def test_malformed_offerings_file_is_named(tmp_path: Path) -> None:
    bad = tmp_path / "bad-prices.csv"
    bad.write_text(
        "id,cloud,region,instance_type,accelerator,chips,on_demand_usd_per_hour,as_of,source\n"
        "private/dc1/h100-box,private,dc1,h100-box,h100-sxm,8,0,2026-11-01,quote\n"
    )
    result = invoke("estimate", "--arch", "llama-3.1-8b", "--accelerator", "h100-sxm",
                    "--offerings", bad)
    assert_user_error(result, "CatalogError", "bad-prices.csv", "on_demand_usd_per_hour")


def test_names_with_brackets_are_printed_verbatim() -> None:
    result = invoke("estimate", "--arch", "llama-3.1-8b", "--accelerator", "[/x]")
    assert_user_error(result, "unknown accelerator '[/x]'")
