"""`fleetmix compare`, `archs` and `validate`."""

from __future__ import annotations

import json
from pathlib import Path

from cli_helpers import assert_user_error, invoke, json_of

from fleetmix.arch import builtin_names


def test_compare_lists_ranked_rows() -> None:
    doc = json_of("compare", "--arch", "llama-3.1-8b")
    assert (doc["arch"], doc["isl"], doc["osl"], doc["tier"]) == (
        "llama-3.1-8b", 1000, 1000, "on_demand")
    rows = doc["rows"]
    assert {"h100-sxm", "mi300x", "tpu-v6e"} <= {row["accelerator"] for row in rows}
    costs = [row["usd_per_million_output_tokens"] for row in rows]
    priced = [c for c in costs if c is not None]
    assert priced and costs[:len(priced)] == priced and priced == sorted(priced)
    for row in rows:
        assert row["fits"] and row["tp"] * row["pp"] == row["chips"]
    for skipped in doc["skipped"]:
        assert skipped["reason"].strip()


def test_compare_one_vendor_under_a_tpot_target() -> None:
    doc = json_of("compare", "--arch", "llama-3.2-1b", "--vendor", "google",
                  "--max-tpot-ms", "20")
    assert doc["max_tpot_ms"] == 20
    assert doc["rows"] and {row["vendor"] for row in doc["rows"]} == {"google"}
    assert all(row["tpot_s"] <= 0.020 for row in doc["rows"])


def test_compare_rejects_unknown_vendor_and_tier() -> None:
    assert_user_error(invoke("compare", "--arch", "llama-3.1-8b", "--vendor", "nvida"),
                      "--vendor 'nvida'")
    assert_user_error(invoke("compare", "--arch", "llama-3.1-8b", "--tier", "hourly"),
                      "--tier 'hourly'")


def test_compare_table_renders() -> None:
    result = invoke("compare", "--arch", "llama-3.2-1b", "--vendor", "amd")
    assert result.exit_code == 0, result.output
    assert "mi300x" in result.output


def test_archs_json_lists_the_builtins() -> None:
    rows = json_of("archs")
    assert [row["name"] for row in rows] == list(builtin_names())
    by_name = {row["name"]: row for row in rows}
    # Llama-3.1-8B: 32 layers x 8 KV heads x 128 x (K + V) x 2 bytes = 128 KiB per token
    assert by_name["llama-3.1-8b"]["kv_bytes_per_token_bf16"] == 32 * 8 * 128 * 2 * 2
    assert by_name["deepseek-v3"]["attention"] == "MLA"


def test_archs_reads_a_config_json(tmp_path: Path) -> None:
    folder = tmp_path / "my-model"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({
        "model_type": "qwen3", "num_hidden_layers": 2, "hidden_size": 512,
        "num_attention_heads": 8, "num_key_value_heads": 2, "head_dim": 64,
        "intermediate_size": 1024, "vocab_size": 1000, "max_position_embeddings": 2048,
    }))
    (row,) = json_of("archs", folder / "config.json")
    assert (row["name"], row["layers"], row["kv_heads"]) == ("my-model", 2, 2)
    assert_user_error(invoke("archs", "llama-9"), "unknown arch 'llama-9'")


def test_validate_json_meets_the_accuracy_target() -> None:
    doc = json_of("validate")
    assert doc["median_abs_error_throughput"] <= 0.15
    assert doc["max_abs_error"] <= 0.40
    assert doc["included_rows"] == sum(row["included"] for row in doc["rows"]) >= 30
    for row in doc["rows"]:
        assert row["source"].strip()
        if not row["included"]:
            assert row["exclude_reason"].strip() or row["error"].strip()


def test_validate_table_prints_exclusions_and_the_median() -> None:
    result = invoke("validate")
    assert result.exit_code == 0, result.output
    assert "excluded" in result.output and "median |error|" in result.output
