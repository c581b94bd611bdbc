"""The plain-PyTorch decoder: same parameters as fleetmix.arch counts, a KV cache that agrees
with a full forward pass, truncation."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from calibrate_helpers import CONFIGS, tiny_arch  # noqa: E402

from fleetmix.arch import load_arch  # noqa: E402
from fleetmix.calibrate.decoder import (  # noqa: E402
    build_decoder,
    check_supported,
    parameter_count,
    truncate,
)
from fleetmix.errors import InputError  # noqa: E402

CPU = torch.device("cpu")


@pytest.mark.parametrize("family", sorted(CONFIGS))
@pytest.mark.parametrize("layers", [None, 2])
def test_parameter_count_equals_the_arch_count(family: str, layers: int | None) -> None:
    arch = truncate(tiny_arch(family), layers)
    model = build_decoder(arch, CPU, dtype=torch.float32)
    assert parameter_count(model) == arch.total_params


def test_truncated_builtin_counts_match() -> None:
    arch = truncate(load_arch("llama-3.2-1b"), 1)
    assert arch.num_layers == 1 and arch.name == "llama-3.2-1b[:1]"
    with torch.device("meta"):  # count without allocating 1.2 GB
        from fleetmix.calibrate.decoder import Decoder
        assert parameter_count(Decoder(arch)) == arch.total_params


def test_truncation_keeps_a_moe_layer_and_scales_sliding_layers() -> None:
    moe = truncate(tiny_arch("qwen3_moe", num_hidden_layers=4, mlp_only_layers=[0, 1, 2]), 2)
    assert (moe.num_dense_layers, moe.num_moe_layers) == (1, 1)
    sliding = truncate(tiny_arch("mistral", num_hidden_layers=4), 2)
    assert sliding.num_sliding_layers == 2 and sliding.sliding_window_tokens == 16
    with pytest.raises(InputError, match=r"--layers \(5\) must be in 1..3"):
        truncate(tiny_arch("llama"), 5)


@pytest.mark.parametrize("family", ["llama", "qwen3", "opt", "mixtral", "mistral"])
def test_decode_with_cache_matches_a_full_prefill(family: str) -> None:
    """Prefill n tokens then decode one = prefill n + 1 tokens (mistral: past its window)."""
    arch = tiny_arch(family)
    model = build_decoder(arch, CPU, dtype=torch.float32, seed=1)
    tokens = torch.randint(arch.vocab_size, (2, 21), generator=torch.Generator().manual_seed(2))
    with torch.inference_mode():
        cache = model.new_cache(2, 21)
        model.body(tokens[:, :20], cache, 0)
        stepped = model.head(model.body(tokens[:, 20:], cache, 20))
        full = model.head(model.body(tokens, model.new_cache(2, 21), 0))
    assert stepped.shape == (2, arch.vocab_size)
    torch.testing.assert_close(stepped, full, rtol=1e-4, atol=1e-4)


def test_unsupported_families_are_refused() -> None:
    with pytest.raises(InputError, match="cannot build a deepseek_v3 decoder"):
        check_supported(load_arch("deepseek-v3"))
    with pytest.raises(InputError, match="gpt_oss"):
        check_supported(load_arch("gpt-oss-20b"))
