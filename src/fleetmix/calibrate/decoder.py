"""A decoder of any supported `Arch` in plain PyTorch, with random weights and a static KV cache.

No download and no `transformers`: the layers are written here from the arch's shape, with the
same parameters `fleetmix.arch` counts (a test checks the count). Projections are fused as
serving engines fuse them (q/k/v in one GEMM, gate and up in one), experts are looped over.

Supported families: dense llama, mistral, qwen2, qwen3, opt; MoE mixtral, qwen3_moe. DeepSeek's
MLA and gpt-oss (attention sinks, clamped SwiGLU, expert biases) are not built.
"""

from __future__ import annotations

import dataclasses

import torch
import torch.nn.functional as F
from torch import nn

from fleetmix.arch.records import _NO_O_BIAS_FAMILIES, _QK_NORM_FAMILIES, Arch
from fleetmix.calibrate.device import attention
from fleetmix.errors import InputError

SUPPORTED_FAMILIES = ("llama", "mistral", "qwen2", "qwen3", "opt", "mixtral", "qwen3_moe")
_ROPE_THETA = 500_000.0  # rotary base; the value does not change the work
_INIT_STD = 0.02
_OPT_POSITION_OFFSET = 2

KvCache = list[tuple[torch.Tensor, torch.Tensor]]  # per layer: K, V (batch, kv_heads, tokens, dim)


def truncate(arch: Arch, layers: int | None) -> Arch:
    """`arch` with its first `layers` layers (None: all). Layer kinds scale with depth: an MoE
    arch keeps min(dense layers, layers - 1) dense layers, so at least one layer is MoE."""
    if layers is None or layers == arch.num_layers:
        return arch
    if not 1 <= layers <= arch.num_layers:
        raise InputError(f"--layers ({layers}) must be in 1..{arch.num_layers} for {arch.name}")
    sliding = round(arch.num_sliding_layers * layers / arch.num_layers)
    return dataclasses.replace(
        arch, name=f"{arch.name}[:{layers}]", num_layers=layers,
        num_dense_layers=min(arch.num_dense_layers, layers - 1) if arch.is_moe else 0,
        num_sliding_layers=sliding, sliding_window_tokens=arch.sliding_window_tokens if sliding
        else 0)


def check_supported(arch: Arch) -> None:
    if arch.family not in SUPPORTED_FAMILIES or arch.v_dim != arch.head_dim:
        raise InputError(f"measure cannot build a {arch.family} decoder ({arch.name}); it builds "
                         f"{', '.join(SUPPORTED_FAMILIES)}")


class Norm(nn.Module):
    """RMSNorm (weight), or LayerNorm (weight and bias) when the arch's norms have a bias."""

    def __init__(self, dim: int, bias: bool) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.empty(dim))
        self.bias = nn.Parameter(torch.empty(dim)) if bias else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.bias is not None:
            return F.layer_norm(x, x.shape[-1:], self.weight, self.bias)
        xf = x.float()
        xf = xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + 1e-6)
        return xf.to(x.dtype) * self.weight


def _rotate(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    half = x.shape[-1] // 2
    rotated = torch.cat((-x[..., half:], x[..., :half]), dim=-1)
    return x * cos + rotated * sin


class Attention(nn.Module):
    def __init__(self, arch: Arch, sliding: bool) -> None:
        super().__init__()
        self.heads, self.kv_heads, self.dim = arch.num_heads, arch.num_kv_heads, arch.head_dim
        self.window = arch.sliding_window_tokens if sliding else 0
        q_dim, kv_dim = self.heads * self.dim, self.kv_heads * self.dim
        self.qkv = nn.Linear(arch.hidden_size, q_dim + 2 * kv_dim, bias=arch.attention_bias)
        o_bias = arch.attention_bias and arch.family not in _NO_O_BIAS_FAMILIES
        self.o = nn.Linear(q_dim, arch.hidden_size, bias=o_bias)
        qk_norm = arch.family in _QK_NORM_FAMILIES
        self.q_norm = Norm(self.dim, False) if qk_norm else None
        self.k_norm = Norm(self.dim, False) if qk_norm else None

    def forward(self, x: torch.Tensor, cache: tuple[torch.Tensor, torch.Tensor], start: int,
                rope: tuple[torch.Tensor, torch.Tensor] | None) -> torch.Tensor:
        b, s, _ = x.shape
        q, k, v = self.qkv(x).split(
            [self.heads * self.dim, self.kv_heads * self.dim, self.kv_heads * self.dim], dim=-1)
        q = q.view(b, s, self.heads, self.dim).transpose(1, 2)  # (b, heads, s, dim)
        k = k.view(b, s, self.kv_heads, self.dim).transpose(1, 2)
        v = v.view(b, s, self.kv_heads, self.dim).transpose(1, 2)
        if self.q_norm is not None and self.k_norm is not None:
            q, k = self.q_norm(q), self.k_norm(k)
        if rope is not None:
            cos, sin = rope[0][start:start + s], rope[1][start:start + s]
            q, k = _rotate(q, cos, sin), _rotate(k, cos, sin)
        k_cache, v_cache = cache
        k_cache[:, :, start:start + s] = k
        v_cache[:, :, start:start + s] = v
        end = start + s
        if s == 1:  # decode: the new token against the cache (the last window if sliding)
            first = max(0, end - self.window) if self.window else 0
            out = attention(q, k_cache[:, :, first:end], v_cache[:, :, first:end], causal=False)
        elif self.window and s > self.window:  # prefill past the window: banded causal mask
            i = torch.arange(s, device=x.device)
            band = (i[:, None] >= i[None, :]) & (i[:, None] - i[None, :] < self.window)
            out = attention(q, k, v, causal=False, mask=band)
        else:
            out = attention(q, k, v, causal=True)
        projected: torch.Tensor = self.o(out.transpose(1, 2).reshape(b, s, self.heads * self.dim))
        return projected


class Ffn(nn.Module):
    """Gated (SwiGLU: gate and up fused, then down) or two-matrix ReLU (OPT)."""

    def __init__(self, hidden: int, width: int, gated: bool, bias: bool) -> None:
        super().__init__()
        self.gated, self.width = gated, width
        self.up = nn.Linear(hidden, (2 if gated else 1) * width, bias=bias)
        self.down = nn.Linear(width, hidden, bias=bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.up(x)
        if self.gated:
            gate, up = h.split(self.width, dim=-1)
            h = F.silu(gate) * up
        else:
            h = F.relu(h)
        out: torch.Tensor = self.down(h)
        return out


class Moe(nn.Module):
    """Top-k routed experts (softmax over the chosen k), plus shared experts if any."""

    def __init__(self, arch: Arch) -> None:
        super().__init__()
        self.top_k = arch.num_experts_per_token
        self.router = nn.Linear(arch.hidden_size, arch.num_experts, bias=False)
        self.experts = nn.ModuleList(
            Ffn(arch.hidden_size, arch.moe_intermediate_size, arch.ffn_gated, arch.ffn_bias)
            for _ in range(arch.num_experts))
        self.shared = (Ffn(arch.hidden_size, arch.moe_intermediate_size
                           * arch.num_shared_experts, arch.ffn_gated, False)
                       if arch.num_shared_experts else None)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        flat = x.reshape(-1, x.shape[-1])  # (tokens, hidden)
        weights, chosen = self.router(flat).topk(self.top_k, dim=-1)
        weights = weights.float().softmax(dim=-1).to(x.dtype)
        out = torch.zeros_like(flat) if self.shared is None else self.shared(flat)
        for e in chosen.unique().tolist():
            token, slot = (chosen == e).nonzero(as_tuple=True)
            out.index_add_(0, token, self.experts[e](flat[token]) * weights[token, slot, None])
        return out.view_as(x)


class Layer(nn.Module):
    def __init__(self, arch: Arch, moe: bool, sliding: bool) -> None:
        super().__init__()
        self.attn_norm = Norm(arch.hidden_size, arch.norm_has_bias)
        self.attn = Attention(arch, sliding)
        self.ffn_norm = Norm(arch.hidden_size, arch.norm_has_bias)
        self.ffn: nn.Module = (Moe(arch) if moe else Ffn(
            arch.hidden_size, arch.intermediate_size, arch.ffn_gated, arch.ffn_bias))

    def forward(self, x: torch.Tensor, cache: tuple[torch.Tensor, torch.Tensor], start: int,
                rope: tuple[torch.Tensor, torch.Tensor] | None) -> torch.Tensor:
        x = x + self.attn(self.attn_norm(x), cache, start, rope)
        out: torch.Tensor = x + self.ffn(self.ffn_norm(x))
        return out


class Decoder(nn.Module):
    """Embedding, layers, final norm and LM head of `arch`; `body` and `head` split a step so
    the layers and the head can be timed apart."""

    def __init__(self, arch: Arch) -> None:
        super().__init__()
        check_supported(arch)
        self.arch = arch
        self.embed = nn.Embedding(arch.vocab_size, arch.hidden_size)
        self.positions = (nn.Embedding(arch.learned_position_tokens, arch.hidden_size)
                          if arch.learned_position_tokens else None)
        self.layers = nn.ModuleList(
            Layer(arch, moe=arch.is_moe and i >= arch.num_dense_layers,
                  sliding=i < arch.num_sliding_layers)
            for i in range(arch.num_layers))
        self.norm = Norm(arch.hidden_size, arch.norm_has_bias)
        self.lm_head = (None if arch.tie_word_embeddings
                        else nn.Linear(arch.hidden_size, arch.vocab_size, bias=False))
        self._rope: tuple[torch.Tensor, torch.Tensor] | None = None

    def new_cache(self, batch: int, tokens: int) -> KvCache:
        """An empty KV cache of `tokens` positions per sequence, on the decoder's device."""
        p = next(self.parameters())
        shape = (batch, self.arch.num_kv_heads, tokens, self.arch.head_dim)
        self._rope = None if self.positions is not None else self._rope_table(tokens)
        return [(torch.zeros(shape, device=p.device, dtype=p.dtype),
                 torch.zeros(shape, device=p.device, dtype=p.dtype)) for _ in self.layers]

    def _rope_table(self, tokens: int) -> tuple[torch.Tensor, torch.Tensor]:
        p = next(self.parameters())
        dim = self.arch.head_dim
        inv = 1.0 / _ROPE_THETA ** (torch.arange(0, dim, 2, device=p.device) / dim)
        angles = torch.outer(torch.arange(tokens, device=p.device, dtype=torch.float32), inv)
        angles = torch.cat((angles, angles), dim=-1)  # (tokens, dim)
        return angles.cos().to(p.dtype), angles.sin().to(p.dtype)

    def body(self, tokens: torch.Tensor, cache: KvCache, start: int) -> torch.Tensor:
        """Hidden states after the layers for `tokens` (batch, new) at positions start.."""
        x: torch.Tensor = self.embed(tokens)
        if self.positions is not None:
            pos = torch.arange(start, start + tokens.shape[1], device=tokens.device)
            x = x + self.positions(pos + _OPT_POSITION_OFFSET)
        for layer, layer_cache in zip(self.layers, cache, strict=True):
            x = layer(x, layer_cache, start, self._rope)
        return x

    def head(self, hidden: torch.Tensor) -> torch.Tensor:
        """Logits of the last position of each sequence: (batch, vocab)."""
        last = self.norm(hidden[:, -1])
        weight = self.embed.weight if self.lm_head is None else self.lm_head.weight
        return F.linear(last, weight)


def build_decoder(arch: Arch, device: torch.device, dtype: torch.dtype = torch.bfloat16,
                  seed: int = 0) -> Decoder:
    """A decoder of `arch` with random weights (normal, std 0.02; norms at 1), in eval mode."""
    with torch.device("meta"):
        model = Decoder(arch).to(dtype)
    model = model.to_empty(device=device)
    gen = torch.Generator(device=device).manual_seed(seed)
    with torch.no_grad():
        for name, param in model.named_parameters():
            if "norm" in name and name.endswith("weight"):
                param.fill_(1.0)
            elif name.endswith("bias"):
                param.zero_()
            else:
                param.normal_(0.0, _INIT_STD, generator=gen)
    return model.eval()


def parameter_count(model: nn.Module) -> int:
    """Parameters of `model`, each shared tensor counted once."""
    return sum(p.numel() for p in model.parameters())
