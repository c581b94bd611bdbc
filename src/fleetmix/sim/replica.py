"""One serving replica: a continuous-batching scheduler over a paged KV cache, step by step.

The scheduler follows vLLM v1 (and SGLang / TensorRT-LLM in-flight batching): every step has a
token budget; running requests decode one token each, partially prefilled prompts continue, and
waiting requests are admitted first-come-first-served with chunked prefill while the budget, the
running-sequence limit and free KV blocks allow. Engines that reserve KV on admission
(`kv_reserve == "full"`, TensorRT-LLM's no-evict policy) reserve a request's whole ISL+OSL and
never preempt; the others allocate blocks as sequences grow and, when blocks run out, preempt the
most recently admitted request, which later recomputes its prompt and generated tokens.

Two scheduler options follow SGLang: without mixed prefill (`mixed_prefill=False`, SGLang's
default without --enable-mixed-chunk) a step that has prompt work runs prompt chunks only and the
decoding requests wait for it; with decode rounds of k steps (--num-continuous-decode-steps k)
new requests are admitted only between rounds.

NOTE: to be fast, stretches of pure-decode steps with a fixed running set are advanced in one
go: step times are affine in the batch's total context, so k steps cost k·t0 + Δ·k(k-1)/2, and a
stretch ends at the next finish, the next arrival or the step at which KV blocks run out. Block
use of decoding sequences is counted exactly from (base mod block) histograms, not per token.
"""

from __future__ import annotations

import heapq
import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from fleetmix.perf.deployment import Deployment
from fleetmix.perf.stepcost import StepCost, compile_step_cost

WAITING, PREFILL, DECODE, DONE, REJECTED = 0, 1, 2, 3, 4


@dataclass(frozen=True, kw_only=True)
class SchedulerLimits:
    """The engine limits one replica schedules under."""

    max_running: int  # max running sequences
    max_step_tokens: int  # token budget per step
    block_tokens: int  # tokens per KV block
    total_blocks: int  # KV blocks in the replica
    reserve_full: bool  # reserve ISL+OSL at admission (no preemption)
    mixed_prefill: bool = True  # prompt chunks share a step with decodes
    decode_round_steps: int = 1  # decode steps between two admissions of new requests

    def __post_init__(self) -> None:
        if self.decode_round_steps < 1:
            raise ValueError(f"decode_round_steps ({self.decode_round_steps}) must be >= 1")

    @classmethod
    def for_deployment(cls, dep: Deployment, kv_cache_tokens: int) -> SchedulerLimits:
        engine = dep.engine
        return cls(max_running=engine.max_batch_seqs, max_step_tokens=engine.max_batch_tokens,
                   block_tokens=engine.kv_block_tokens,
                   total_blocks=kv_cache_tokens // engine.kv_block_tokens,
                   reserve_full=engine.kv_reserve == "full",
                   mixed_prefill=engine.mixed_prefill,
                   decode_round_steps=engine.decode_round_steps)


class RequestTable:
    """Per-request inputs and outcomes, shared by the replicas of one run (columnar)."""

    def __init__(self, arrival_s: list[float], input_tokens: list[int],
                 output_tokens: list[int]) -> None:
        n = len(arrival_s)
        self.arrival_s = arrival_s
        self.input_tokens = input_tokens
        self.output_tokens = output_tokens
        self.scheduled_s = [math.nan] * n  # first admission
        self.first_token_s = [math.nan] * n
        self.finish_s = [math.nan] * n
        self.preemptions = [0] * n
        self.replica = [-1] * n
        self.state = [WAITING] * n

    def __len__(self) -> int:
        return len(self.arrival_s)

    def append(self, arrival_s: float, input_tokens: int, output_tokens: int) -> int:
        """Add a request (closed loop) and return its id."""
        self.arrival_s.append(arrival_s)
        self.input_tokens.append(input_tokens)
        self.output_tokens.append(output_tokens)
        for floats in (self.scheduled_s, self.first_token_s, self.finish_s):
            floats.append(math.nan)
        self.preemptions.append(0)
        self.replica.append(-1)
        self.state.append(WAITING)
        return len(self.arrival_s) - 1

    def column(self, name: str) -> NDArray[np.float64]:
        return np.asarray(getattr(self, name), dtype=np.float64)


class Replica:
    """A replica's scheduler state, advanced in simulated time."""

    def __init__(self, index: int, cost: StepCost, limits: SchedulerLimits,
                 requests: RequestTable,
                 on_finish: Callable[[int, float], None] | None = None) -> None:
        self.index = index
        self.cost = cost
        self.limits = limits
        self.req = requests
        self.on_finish = on_finish
        self.now_s = 0.0
        self.steps = 0  # steps that decode; a decoding sequence gains one token per step
        self.prefill_only_steps = 0  # steps without decodes (mixed_prefill=False only)
        self.round_start = 0  # value of `steps` when the current decode round began
        self.busy_s = 0.0
        self.work_submitted = 0  # prompt + output tokens routed here
        self.work_done = 0  # prompt + output tokens processed
        self.preemptions = 0
        self.waiting: deque[int] = deque()
        self.prefilling: dict[int, int] = {}  # id -> prompt tokens computed, admission order
        self.prompt: dict[int, int] = {}  # id -> tokens to prefill (grows after preemption)
        self.generated: dict[int, int] = {}  # id -> output tokens produced
        self.admitted: list[int] = []  # running ids in admission order (preemption victims)
        self.finish_heap: list[tuple[int, int]] = []  # (step at which it finishes, id)
        self.finish_step: dict[int, int] = {}  # decoding id -> finish step
        self.base: dict[int, int] = {}  # decoding id -> context - steps (context = base + steps)
        self.static_blocks = 0  # blocks of prefilling (or, with full reserve, all) sequences
        self.reserved: dict[int, int] = {}  # id -> static blocks it holds
        # Decoding sequences' blocks: sum(ceil((base+steps)/B)) = sum_q + n*(G//B) + #{r >= B-G%B}
        self.dec_sum_q = 0
        self.dec_sum_base = 0
        self.dec_hist = [0] * limits.block_tokens

    # ----- public interface -------------------------------------------------------------

    @property
    def running(self) -> int:
        return len(self.prefilling) + len(self.finish_step)

    @property
    def engine_steps(self) -> int:
        """Every step the engine ran."""
        return self.steps + self.prefill_only_steps

    @property
    def idle(self) -> bool:
        return not self.waiting and not self.running

    @property
    def outstanding_tokens(self) -> int:
        return self.work_submitted - self.work_done

    def submit(self, rid: int) -> None:
        """Queue a request; one that can never fit in this replica's KV cache is rejected."""
        isl, osl = self.req.input_tokens[rid], self.req.output_tokens[rid]
        self.req.replica[rid] = self.index
        if self._blocks_for(isl + osl) > self.limits.total_blocks:
            self.req.state[rid] = REJECTED
            return
        self.work_submitted += isl + osl
        self.prompt[rid] = isl
        self.generated[rid] = 0
        self.waiting.append(rid)

    def advance_to(self, until_s: float) -> None:
        """Run steps until simulated time reaches `until_s` (a step in flight completes)."""
        while self.now_s < until_s:
            if self.idle:
                self.now_s = until_s
                return
            if not self._decode_stretch(until_s):
                self._step()

    def drain(self, limit_s: float = math.inf) -> None:
        """Run until every queued request has finished (or `limit_s` is reached)."""
        while not self.idle and self.now_s < limit_s:
            if not self._decode_stretch(limit_s):
                self._step()

    # ----- blocks ----------------------------------------------------------------------

    def _blocks_for(self, tokens: int) -> int:
        return -(-tokens // self.limits.block_tokens)

    def _decode_blocks_at(self, steps: int) -> int:
        n = len(self.finish_step)
        if n == 0:
            return 0
        bs = self.limits.block_tokens
        g = steps + bs - 1
        rem = g % bs
        over = sum(self.dec_hist[bs - rem:]) if rem else 0
        return self.dec_sum_q + n * (g // bs) + over

    def _used_blocks_at(self, steps: int) -> int:
        if self.limits.reserve_full:
            return self.static_blocks
        return self.static_blocks + self._decode_blocks_at(steps)

    def _add_decoding(self, rid: int, context: int) -> None:
        base = context - self.steps
        q, r = divmod(base, self.limits.block_tokens)
        self.base[rid] = base
        self.dec_sum_q += q
        self.dec_sum_base += base
        self.dec_hist[r] += 1
        finish = self.steps + self.req.output_tokens[rid] - self.generated[rid]
        self.finish_step[rid] = finish
        heapq.heappush(self.finish_heap, (finish, rid))

    def _remove_decoding(self, rid: int) -> None:
        base = self.base.pop(rid)
        q, r = divmod(base, self.limits.block_tokens)
        self.dec_sum_q -= q
        self.dec_sum_base -= base
        self.dec_hist[r] -= 1
        del self.finish_step[rid]

    def _release_static(self, rid: int) -> None:
        self.static_blocks -= self.reserved.pop(rid, 0)

    # ----- one step ---------------------------------------------------------------------

    def _admission_open(self) -> bool:
        """New requests are admitted between decode rounds (every step when rounds are 1)."""
        k = self.limits.decode_round_steps
        return k == 1 or not self.finish_step or (self.steps - self.round_start) % k == 0

    def _step(self) -> None:
        """One engine step with prefill work (or a plain decode step before a preemption)."""
        lim = self.limits
        if not lim.reserve_full:
            self._preempt_until_fits()
        admit = self._admission_open()
        if lim.mixed_prefill:
            n_dec = len(self.finish_step)
            chunks = self._prefill_chunks(n_dec, admit)
        else:
            # Prompt work runs alone; when no prompt can grow, the decodes run (and free blocks).
            has_prompt_work = bool(self.prefilling) or (
                admit and self._can_admit(prefill_only=True))
            chunks = self._prefill_chunks(0, admit) if has_prompt_work else []
            n_dec = 0 if chunks else len(self.finish_step)
        prefill_only = not lim.mixed_prefill and bool(chunks)
        prefill_tokens = sum(c for _, _, c in chunks)
        if n_dec == 0 and prefill_tokens == 0:
            # Prefilling prompts hold all free blocks and none can grow: preempt the newest.
            assert self.prefilling, "a step with no work and nothing to preempt"
            self._preempt(self.admitted.pop())
            return
        pairs = float(sum(c * done + c * c / 2.0 for _, done, c in chunks))
        completing = [rid for rid, done, c in chunks if done + c == self.prompt[rid]]
        ctx_sum = self.dec_sum_base + n_dec * (self.steps + 1) if n_dec else 0
        dt = self.cost.time_s(n_dec, ctx_sum, prefill_tokens, pairs, len(completing))
        self.now_s += dt
        self.busy_s += dt
        if prefill_only:
            self.prefill_only_steps += 1
        else:
            self.steps += 1
        self.work_done += n_dec + prefill_tokens + len(completing)  # + first sampled tokens
        for rid, done, chunk in chunks:
            self.prefilling[rid] = done + chunk
        self._finish_decodes()
        for rid in completing:
            self._prefill_complete(rid)
        if prefill_only:
            self.round_start = self.steps  # the next decode step starts a round
        assert self.running <= lim.max_running
        assert self._used_blocks_at(self.steps) <= lim.total_blocks

    def _prefill_chunks(self, n_dec: int, admit: bool) -> list[tuple[int, int, int]]:
        """Prompt chunks for a step with `n_dec` decodes: admitted prompts continue first, then
        waiting requests are admitted (when `admit`) while budget, running limit and KV allow.
        Returns (id, tokens computed before, chunk); admissions take effect."""
        lim = self.limits
        budget = lim.max_step_tokens - n_dec
        chunks: list[tuple[int, int, int]] = []
        for rid, done in self.prefilling.items():
            if budget <= 0:
                break
            chunk = min(self.prompt[rid] - done, budget)
            if not self._grow_static(rid, done + chunk):
                break
            chunks.append((rid, done, chunk))
            budget -= chunk
        while admit and self.waiting and budget > 0 and self.running < lim.max_running:
            rid = self.waiting[0]
            chunk = min(self.prompt[rid], budget)
            need = (self.req.input_tokens[rid] + self.req.output_tokens[rid]
                    if lim.reserve_full else chunk)
            if not self._fits(self._blocks_for(need)):
                break
            self.waiting.popleft()
            self._admit(rid, self._blocks_for(need))
            chunks.append((rid, 0, chunk))
            budget -= chunk
        return chunks

    def _fits(self, extra_blocks: int) -> bool:
        return self._used_blocks_at(self.steps + 1) + extra_blocks <= self.limits.total_blocks

    def _grow_static(self, rid: int, tokens: int) -> bool:
        """Hold blocks for `tokens` of a prefilling prompt (no-op with full reservation)."""
        if self.limits.reserve_full:
            return True
        extra = self._blocks_for(tokens) - self.reserved[rid]
        if extra and not self._fits(extra):
            return False
        self.reserved[rid] += extra
        self.static_blocks += extra
        return True

    def _admit(self, rid: int, blocks: int) -> None:
        if math.isnan(self.req.scheduled_s[rid]):
            self.req.scheduled_s[rid] = self.now_s
        self.req.state[rid] = PREFILL
        self.prefilling[rid] = 0
        self.admitted.append(rid)
        self.reserved[rid] = blocks
        self.static_blocks += blocks

    def _prefill_complete(self, rid: int) -> None:
        computed = self.prefilling.pop(rid)
        self.generated[rid] += 1  # the step that ends a prompt samples a token
        if math.isnan(self.req.first_token_s[rid]):
            self.req.first_token_s[rid] = self.now_s
        if self.generated[rid] >= self.req.output_tokens[rid]:
            self._finish(rid)
            return
        self.req.state[rid] = DECODE
        if not self.limits.reserve_full:
            self._release_static(rid)
        self._add_decoding(rid, computed)

    def _finish_decodes(self) -> None:
        heap = self.finish_heap
        while heap and heap[0][0] <= self.steps:
            step, rid = heapq.heappop(heap)
            if self.finish_step.get(rid) != step:
                continue  # stale entry of a preempted request
            self._remove_decoding(rid)
            self.generated[rid] = self.req.output_tokens[rid]
            self._finish(rid)

    def _finish(self, rid: int) -> None:
        self.req.finish_s[rid] = self.now_s
        self.req.state[rid] = DONE
        self._release_static(rid)
        self.admitted.remove(rid)
        for table in (self.prompt, self.generated):
            del table[rid]
        if self.on_finish is not None:
            self.on_finish(rid, self.now_s)

    def _preempt_until_fits(self) -> None:
        """Free blocks for the next step's decode tokens by preempting the newest requests."""
        while self.admitted and self._used_blocks_at(self.steps + 1) > self.limits.total_blocks:
            self._preempt(self.admitted.pop())

    def _preempt(self, victim: int) -> None:
        """Free a running request's blocks; it waits at the head of the queue to recompute."""
        if victim in self.finish_step:
            # Decoding progress lives in the step counter: tokens still to come = finish - now.
            remaining = self.finish_step[victim] - self.steps
            self.generated[victim] = self.req.output_tokens[victim] - remaining
            self._remove_decoding(victim)
        else:
            del self.prefilling[victim]
            self._release_static(victim)
        self.prompt[victim] = self.req.input_tokens[victim] + self.generated[victim]
        self.work_submitted += self.prompt[victim]  # recomputed tokens are extra work
        self.req.state[victim] = WAITING
        self.req.preemptions[victim] += 1
        self.preemptions += 1
        self.waiting.appendleft(victim)

    # ----- decode stretches ---------------------------------------------------------------

    def _can_admit(self, *, prefill_only: bool = False) -> bool:
        """Whether a step would admit the head of the queue now (same sizing rules)."""
        if not self.waiting or self.running >= self.limits.max_running:
            return False
        budget = self.limits.max_step_tokens - (0 if prefill_only else len(self.finish_step))
        if budget <= 0:
            return False
        rid = self.waiting[0]
        need = (self.req.input_tokens[rid] + self.req.output_tokens[rid]
                if self.limits.reserve_full else min(self.prompt[rid], budget))
        return self._fits(self._blocks_for(need))

    def _decode_stretch(self, until_s: float) -> bool:
        """Advance several pure-decode steps at once; False when a regular step is needed."""
        n = len(self.finish_step)
        lim = self.limits
        if n == 0 or self.prefilling:
            return False
        admit = self._admission_open()
        if admit and self._can_admit(prefill_only=not lim.mixed_prefill):
            return False
        while self.finish_heap and self.finish_step.get(self.finish_heap[0][1]) != \
                self.finish_heap[0][0]:
            heapq.heappop(self.finish_heap)
        k = self.finish_heap[0][0] - self.steps  # steps to the next finish
        if self.waiting and lim.decode_round_steps > 1:
            # stop where the round ends: the queue is looked at again there
            k = min(k, lim.decode_round_steps
                    - (self.steps - self.round_start) % lim.decode_round_steps)
        if not self.limits.reserve_full:
            k = min(k, self._steps_until_blocks_run_out(k))
        if k < 2:
            return False
        s1 = self.dec_sum_base + n * (self.steps + 1)
        t0 = self.cost.time_s(n, s1)
        delta = self.cost.time_s(n, s1 + n) - t0
        k = min(k, _steps_to_reach(until_s - self.now_s, t0, delta))
        elapsed = k * t0 + delta * k * (k - 1) / 2.0
        self.now_s += elapsed
        self.busy_s += elapsed
        self.steps += k
        self.work_done += n * k
        self._finish_decodes()
        return True

    def _steps_until_blocks_run_out(self, k_max: int) -> int:
        """Largest k <= k_max such that k more decode steps fit in the KV blocks."""
        free_after = self.limits.total_blocks - self.static_blocks
        if self._decode_blocks_at(self.steps + k_max) <= free_after:
            return k_max
        lo, hi = 0, k_max  # blocks(lo) fit, blocks(hi) do not
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if self._decode_blocks_at(self.steps + mid) <= free_after:
                lo = mid
            else:
                hi = mid
        return lo


def _steps_to_reach(span_s: float, t0: float, delta: float) -> int:
    """Smallest k >= 1 with k·t0 + delta·k(k-1)/2 >= span_s (steps of growing cost)."""
    if math.isinf(span_s):
        return 1 << 62
    if span_s <= t0:
        return 1
    if abs(delta) < 1e-18:
        return max(1, math.ceil(span_s / t0))
    a, b = delta / 2.0, t0 - delta / 2.0
    disc = b * b + 4.0 * a * span_s
    if disc < 0:
        return 1 << 62
    k = math.ceil((-b + math.sqrt(disc)) / (2.0 * a))
    return max(1, k)


def make_replica(index: int, dep: Deployment, kv_cache_tokens: int, requests: RequestTable,
                 on_finish: Callable[[int, float], None] | None = None,
                 cost: StepCost | None = None) -> Replica:
    """A replica of `dep` with `kv_cache_tokens` of KV cache."""
    return Replica(index, cost or compile_step_cost(dep),
                   SchedulerLimits.for_deployment(dep, kv_cache_tokens), requests, on_finish)
