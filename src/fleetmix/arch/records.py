"""The `Arch` record: an LLM architecture's shape, and the counts the performance model needs.

Counts are per token and per layer so that `perf` can build a per-operator roofline. Parameter
counts are in parameters (multiply by bytes per parameter for bytes); FLOPs count a multiply-add
as 2 FLOPs. FFNs are gated (SwiGLU: gate, up and down matrices) unless `ffn_gated` is False
(OPT: fc1 and fc2 with ReLU between).

Family quirks that change counts are keyed on `family` (the HF model_type), below.
"""

from __future__ import annotations

from dataclasses import dataclass

from fleetmix.arch._checks import check_arch

# NOTE(arch): families whose weights carry terms the plain formulas miss. Keyed on HF model_type.
_EXPERT_BIAS_FAMILIES = frozenset({"gpt_oss"})  # gate_up and down projections have biases
_ROUTER_BIAS_FAMILIES = frozenset({"gpt_oss", "deepseek_v3"})  # router bias / score correction
_ATTN_SINK_FAMILIES = frozenset({"gpt_oss"})  # one learned sink logit per query head
_QK_NORM_FAMILIES = frozenset({"qwen3", "qwen3_moe"})  # RMSNorm over head_dim on q and k
_NO_O_BIAS_FAMILIES = frozenset({"qwen2"})  # attention_bias covers q/k/v only, not o_proj


@dataclass(frozen=True, kw_only=True)
class Arch:
    """Shape of a decoder-only transformer (dense, GQA, MoE, MLA, sliding window).

    All sizes are counts: layers, heads, elements per vector (`*_size`, `*_dim`, `*_rank`) or
    tokens (`*_tokens`).
    """

    name: str  # e.g. "llama-3.1-70b"
    family: str  # HF model_type, e.g. "llama", "mixtral", "qwen3", "deepseek_v3", "gpt_oss"
    num_layers: int  # decoder layers (DeepSeek's MTP layer not included)
    hidden_size: int  # elements in the residual stream
    num_heads: int  # query heads
    num_kv_heads: int  # key/value heads (GQA); for MLA, equal to num_heads
    head_dim: int  # elements per query head; for MLA, qk_nope_head_dim + qk_rope_head_dim
    intermediate_size: int  # dense FFN width, elements (OPT's ffn_dim)
    ffn_gated: bool = True  # True: 3 matrices per FFN (gate, up, down); False: 2 (OPT fc1, fc2)
    ffn_bias: bool = False  # every FFN matrix carries a bias (OPT); gpt-oss experts: by family
    vocab_size: int  # tokens in the vocabulary
    tie_word_embeddings: bool = False  # lm_head shares the embedding matrix
    max_context_tokens: int  # max_position_embeddings, tokens
    # Mixture of experts (num_experts == 0: dense)
    num_experts: int = 0  # routed experts per MoE layer
    num_experts_per_token: int = 0  # routed experts each token uses (top-k)
    moe_intermediate_size: int = 0  # FFN width of one expert, elements
    num_shared_experts: int = 0  # always-active experts per MoE layer (DeepSeek)
    num_dense_layers: int = 0  # layers with a dense FFN instead of MoE (DeepSeek's first k)
    # Multi-head latent attention (kv_lora_rank == 0: standard attention)
    q_lora_rank: int = 0  # elements in the compressed query (0: no query compression)
    kv_lora_rank: int = 0  # elements in the compressed key/value latent that is cached
    qk_nope_head_dim: int = 0  # elements per head without rotary embedding
    qk_rope_head_dim: int = 0  # elements per head with rotary embedding (shared key part cached)
    v_head_dim: int = 0  # elements per value head; 0 means head_dim (also for standard attention)
    # Sliding-window attention on some layers (gpt-oss alternates full and 128-token windows)
    sliding_window_tokens: int = 0  # window length, tokens
    num_sliding_layers: int = 0  # layers that attend only within the window
    attention_bias: bool = False  # q/k/v (and o, except qwen2) carry biases (gpt-oss, qwen2, opt)
    # Positions and norms (defaults: rotary positions, RMSNorm)
    learned_position_tokens: int = 0  # rows of a learned position table, tokens (OPT: max + 2)
    norm_has_bias: bool = False  # block and final norms are LayerNorm (weight + bias), not RMSNorm
    source: str = ""  # where the config came from (HF repo id or file path)

    def __post_init__(self) -> None:
        check_arch(self)

    # ---- kinds and layer counts ------------------------------------------------------------

    @property
    def is_moe(self) -> bool:
        return self.num_experts > 0

    @property
    def is_mla(self) -> bool:
        return self.kv_lora_rank > 0

    @property
    def attention_kind(self) -> str:
        """One of MLA, MHA (kv heads == heads), MQA (one kv head) or GQA."""
        if self.is_mla:
            return "MLA"
        if self.num_kv_heads == self.num_heads:
            return "MHA"
        return "MQA" if self.num_kv_heads == 1 else "GQA"

    @property
    def num_moe_layers(self) -> int:
        return self.num_layers - self.num_dense_layers if self.is_moe else 0

    @property
    def num_ffn_dense_layers(self) -> int:
        """Layers whose FFN is one dense FFN of width intermediate_size."""
        return self.num_layers - self.num_moe_layers

    @property
    def num_full_attention_layers(self) -> int:
        return self.num_layers - self.num_sliding_layers

    @property
    def v_dim(self) -> int:
        """Elements per value head (v_head_dim, or head_dim when that is 0)."""
        return self.v_head_dim or self.head_dim

    # ---- parameters (counts, not bytes) ----------------------------------------------------

    @property
    def attn_params_per_layer(self) -> int:
        """Attention weights of one layer, biases, and the norms and sinks inside attention.

        Standard: q, k, v, o projections (+ biases). MLA (DeepSeek-V2/V3 modeling code):
        q_a_proj, q_a_layernorm, q_b_proj (or one q_proj when q_lora_rank == 0),
        kv_a_proj_with_mqa, kv_a_layernorm, kv_b_proj, o_proj.
        """
        return self._attn_matmul_params_per_layer + self._attn_other_params_per_layer

    @property
    def _attn_matmul_params_per_layer(self) -> int:
        d, h = self.hidden_size, self.num_heads
        o_proj = h * self.v_dim * d
        o_bias = d if self.attention_bias and self.family not in _NO_O_BIAS_FAMILIES else 0
        if self.is_mla:
            q_dim = h * self.head_dim  # (nope + rope) per head
            kv_a_out = self.kv_lora_rank + self.qk_rope_head_dim
            if self.q_lora_rank:
                q = (d + q_dim) * self.q_lora_rank
                q_bias = self.q_lora_rank if self.attention_bias else 0  # q_a_proj only
            else:
                q, q_bias = d * q_dim, 0  # q_proj never has a bias in MLA
            kv_a = d * kv_a_out + (kv_a_out if self.attention_bias else 0)
            kv_b = self.kv_lora_rank * h * (self.qk_nope_head_dim + self.v_dim)
            return q + q_bias + kv_a + kv_b + o_proj + o_bias
        qkv_out = h * self.head_dim + self.num_kv_heads * (self.head_dim + self.v_dim)
        qkv_bias = qkv_out if self.attention_bias else 0
        return d * qkv_out + qkv_bias + o_proj + o_bias

    @property
    def _attn_other_params_per_layer(self) -> int:
        """Attention parameters outside matmuls: latent norms, q/k norms, sinks."""
        n = self.q_lora_rank + self.kv_lora_rank  # MLA latent RMSNorms (0 otherwise)
        if self.family in _QK_NORM_FAMILIES:
            n += 2 * self.head_dim
        if self.family in _ATTN_SINK_FAMILIES:
            n += self.num_heads
        return n

    def _ffn_params(self, width: int, bias: bool) -> int:
        """One FFN of `width`: gated 3 * hidden * width, else 2 * hidden * width (+ biases).

        Biases: one per output of each matrix, i.e. width per input-side matrix + hidden.
        """
        matrices = 3 if self.ffn_gated else 2
        biases = (matrices - 1) * width + self.hidden_size if bias else 0
        return matrices * self.hidden_size * width + biases

    @property
    def dense_ffn_params_per_layer(self) -> int:
        """Gated (SwiGLU gate, up, down): 3 * hidden * intermediate; not gated (OPT fc1, fc2):
        2 * hidden * intermediate; + intermediate + hidden biases when ffn_bias."""
        return self._ffn_params(self.intermediate_size, self.ffn_bias)

    @property
    def expert_params(self) -> int:
        """One routed expert: 3 * hidden * moe_intermediate (2 * if not gated), + biases for
        gpt-oss (gate_up and down) or when ffn_bias."""
        bias = self.ffn_bias or self.family in _EXPERT_BIAS_FAMILIES
        return self._ffn_params(self.moe_intermediate_size, bias)

    @property
    def shared_expert_params(self) -> int:
        """All shared experts of one MoE layer together (each as wide as a routed expert)."""
        return self.num_shared_experts * self.expert_params

    @property
    def router_params_per_layer(self) -> int:
        """Router (gate) of one MoE layer: hidden * num_experts (+ a bias per expert)."""
        if not self.is_moe:
            return 0
        bias = self.num_experts if self.family in _ROUTER_BIAS_FAMILIES else 0
        return self.hidden_size * self.num_experts + bias

    @property
    def embedding_params(self) -> int:
        return self.vocab_size * self.hidden_size

    @property
    def position_embedding_params(self) -> int:
        """Learned absolute position table (OPT): learned_position_tokens * hidden; 0 for rotary."""
        return self.learned_position_tokens * self.hidden_size

    @property
    def lm_head_params(self) -> int:
        """0 when tied: the lm_head reuses the embedding matrix."""
        return 0 if self.tie_word_embeddings else self.vocab_size * self.hidden_size

    @property
    def norm_params(self) -> int:
        """Norms before attention and FFN in each layer (2 per layer) and the final norm:
        hidden weights each for RMSNorm, hidden weights + hidden biases for LayerNorm.

        Norms inside attention (MLA latent norms, Qwen3 q/k norms) are in attn_params_per_layer.
        """
        per_norm = 2 * self.hidden_size if self.norm_has_bias else self.hidden_size
        return (2 * self.num_layers + 1) * per_norm

    def _moe_layer_params(self, routed_experts: int) -> int:
        experts = routed_experts * self.expert_params + self.shared_expert_params
        return experts + self.router_params_per_layer

    @property
    def _layer_params_common(self) -> int:
        """Attention of all layers + dense FFN layers + norms: what every token touches."""
        return (
            self.num_layers * self.attn_params_per_layer
            + self.num_ffn_dense_layers * self.dense_ffn_params_per_layer
            + self.norm_params
        )

    @property
    def _lookup_and_head_params(self) -> int:
        """Token embedding + learned position table + lm_head (0 when tied)."""
        return self.embedding_params + self.position_embedding_params + self.lm_head_params

    @property
    def total_params(self) -> int:
        """Every parameter: embeddings (token, position) + lm_head + layers + norms (no MTP)."""
        moe = self.num_moe_layers * self._moe_layer_params(self.num_experts)
        return self._lookup_and_head_params + self._layer_params_common + moe

    @property
    def active_params_per_token(self) -> int:
        """Parameters one token uses: total, with only top-k routed experts per MoE layer.

        Includes the embedding row table, any learned position table and the lm_head
        (Mixtral's "12.9B active" counts embedding and lm_head; OpenAI's gpt-oss card leaves out
        the embedding, see active_matmul_params_per_token).
        """
        moe = self.num_moe_layers * self._moe_layer_params(self.num_experts_per_token)
        return self._lookup_and_head_params + self._layer_params_common + moe

    @property
    def active_matmul_params_per_token(self) -> int:
        """Parameters in matmuls per token: matmul FLOPs per token = 2 * this.

        Leaves out the token and position embedding lookups, norms and sinks; includes the
        lm_head even when tied, and biases (an add per output, negligible).
        """
        non_matmul = (
            self._lookup_and_head_params
            + self.norm_params
            + self.num_layers * self._attn_other_params_per_layer
        )
        lm_head_matmul = self.vocab_size * self.hidden_size
        return self.active_params_per_token - non_matmul + lm_head_matmul

    # ---- attention FLOPs and KV cache ------------------------------------------------------

    @property
    def attn_flops_per_token_per_context_token(self) -> int:
        """FLOPs one new token spends per cached token in one full-attention layer.

        QK^T + softmax·V: 2*H*head_dim + 2*H*v_dim. MLA uses the absorbed decode form, where
        queries meet the cached latent directly: 2*H*(kv_lora + rope) + 2*H*kv_lora.
        Source: DeepSeek-V2 paper, section 2.1.3 (weight absorption).
        """
        h = self.num_heads
        if self.is_mla:
            return 2 * h * (self.kv_lora_rank + self.qk_rope_head_dim) + 2 * h * self.kv_lora_rank
        return 2 * h * self.head_dim + 2 * h * self.v_dim

    @property
    def kv_elements_per_token_per_layer(self) -> int:
        """Cached elements per token in one layer: K and V, or MLA's latent + rope key."""
        if self.is_mla:
            return self.kv_lora_rank + self.qk_rope_head_dim
        return self.num_kv_heads * (self.head_dim + self.v_dim)

    def kv_cache_bytes_per_sequence(self, bytes_per_element: float, context_tokens: int) -> float:
        """KV cache bytes of one sequence of context_tokens tokens, all layers.

        Sliding-window layers keep only the last min(context_tokens, window) tokens.
        """
        if context_tokens <= 0:
            raise ValueError(f"context_tokens ({context_tokens}) must be > 0")
        layer_bytes_per_token = self.kv_elements_per_token_per_layer * bytes_per_element
        cached_tokens = (
            self.num_full_attention_layers * context_tokens
            + self.num_sliding_layers * min(context_tokens, self.sliding_window_tokens)
        )  # layer-tokens
        return cached_tokens * layer_bytes_per_token

    def kv_cache_bytes_per_token(
        self, bytes_per_element: float, context_tokens: int | None = None
    ) -> float:
        """KV cache bytes per token, summed over layers.

        context_tokens given: the average over a sequence of that length, i.e.
        kv_cache_bytes_per_sequence(...) / context_tokens (sliding layers add
        window / context per token once the context exceeds the window).
        context_tokens None: the limit of a very long context, so only the full-attention
        layers count (the sliding layers' fixed window is per sequence, not per token).
        With no sliding layers both give num_layers * kv_elements * bytes_per_element.
        """
        if context_tokens is None:
            return (
                self.num_full_attention_layers
                * self.kv_elements_per_token_per_layer
                * bytes_per_element
            )
        return self.kv_cache_bytes_per_sequence(bytes_per_element, context_tokens) / context_tokens

    # ---- table row -------------------------------------------------------------------------

    def summary(self) -> dict[str, object]:
        """Main numbers for a table row. kv_bytes_per_token_bf16 is the long-context limit."""
        if self.is_moe:
            shared = f"+{self.num_shared_experts} shared" if self.num_shared_experts else ""
            experts = f"{self.num_experts}{shared} (top-{self.num_experts_per_token})"
        else:
            experts = "-"
        attention = self.attention_kind
        if self.num_sliding_layers:
            attention += (
                f" ({self.num_sliding_layers}/{self.num_layers} layers "
                f"window {self.sliding_window_tokens})"
            )
        ffn = "gated" if self.ffn_gated else "2-matrix"
        return {
            "name": self.name,
            "family": self.family,
            "layers": self.num_layers,
            "hidden": self.hidden_size,
            "heads": self.num_heads,
            "kv_heads": self.num_kv_heads,
            "total_params": self.total_params,
            "active_params": self.active_params_per_token,
            "experts": experts,
            "attention": attention,
            "ffn": ffn + (" +bias" if self.ffn_bias else ""),
            "norm": "LayerNorm" if self.norm_has_bias else "RMSNorm",
            "positions": "learned" if self.learned_position_tokens else "rotary",
            "kv_bytes_per_token_bf16": self.kv_cache_bytes_per_token(2.0),
            "max_context_tokens": self.max_context_tokens,
        }
