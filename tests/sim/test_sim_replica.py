"""One replica's scheduler, driven directly with a hand-built step cost.

With a constant step time every latency is a count of steps, so expected times are worked out by
hand in each test. The decode-stretch fast path is checked against a small step-by-step reference
simulator written here, and block accounting against a direct recount.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import numpy as np
import pytest

from fleetmix.perf.stepcost import StepCost
from fleetmix.sim import Replica, RequestTable, SchedulerLimits
from fleetmix.sim.replica import DONE, REJECTED

MAX_STEP_TOKENS = 1024  # longest step the hand-built cost tables cover


def step_cost(*, step_s: float = 0.010, per_token_s: float = 0.0, per_ctx_token_s: float = 0.0,
              per_pair_s: float = 0.0, per_seq_s: float = 0.0) -> StepCost:
    """A step time of step_s + per_token_s·tokens + per_ctx_token_s·(decode context) +
    per_pair_s·(prefill pairs) + per_seq_s·(sampling sequences); no LM head, no pipeline."""
    return StepCost(
        pp=1, imbalance=1.0,
        linear_comm_s=[step_s + per_token_s * t for t in range(MAX_STEP_TOKENS + 1)],
        head_s_per_logit=0.0, head_bytes_s=0.0, decode_s_per_ctx_token=per_ctx_token_s,
        decode_sliding_s_per_ctx_token=0.0, window_tokens=0.0, prefill_s_per_pair=per_pair_s,
        prefill_sliding_s_per_pair=0.0, step_overhead_s=0.0, seq_overhead_s=per_seq_s,
    )


def limits(*, max_running: int = 256, max_step_tokens: int = 512, block_tokens: int = 16,
           total_blocks: int = 100_000, reserve_full: bool = False, mixed_prefill: bool = True,
           decode_round_steps: int = 1) -> SchedulerLimits:
    return SchedulerLimits(max_running=max_running, max_step_tokens=max_step_tokens,
                           block_tokens=block_tokens, total_blocks=total_blocks,
                           reserve_full=reserve_full, mixed_prefill=mixed_prefill,
                           decode_round_steps=decode_round_steps)


class StepByStep(Replica):
    """The same scheduler with the decode-stretch fast path switched off."""

    def _decode_stretch(self, until_s: float) -> bool:
        return False


class CountingSlowSteps(Replica):
    """Counts regular `_step` calls (the rest of `steps` were advanced by stretches)."""

    slow_steps = 0

    def _step(self) -> None:
        self.slow_steps += 1
        super()._step()


def run(requests: list[tuple[float, int, int]], cost: StepCost, lim: SchedulerLimits,
        replica_cls: type[Replica] = Replica) -> tuple[RequestTable, Replica]:
    """Submit (arrival_s, isl, osl) requests at their arrival times, as the open loop does."""
    table = RequestTable([a for a, _, _ in requests], [i for _, i, _ in requests],
                         [o for _, _, o in requests])
    replica = replica_cls(0, cost, lim, table)
    for rid, (arrival_s, _, _) in enumerate(requests):
        replica.advance_to(arrival_s)
        replica.submit(rid)
    replica.drain()
    return table, replica


# ----- hand-worked latencies ----------------------------------------------------------------


@pytest.mark.parametrize(("budget", "ttft_s", "finish_s"), [
    (512, 0.010, 0.050),  # 1 prefill step + 4 decode steps
    (100, 0.010, 0.050),  # the prompt exactly fills the budget
    (99, 0.020, 0.060),  # 99 + 1 tokens: two prefill steps
    (40, 0.030, 0.070),  # ceil(100 / 40) = 3 prefill steps
])
def test_single_request_latency_counts_steps(budget: int, ttft_s: float, finish_s: float) -> None:
    table, replica = run([(0.0, 100, 5)], step_cost(), limits(max_step_tokens=budget))
    assert table.scheduled_s[0] == 0.0
    assert table.first_token_s[0] == pytest.approx(ttft_s, rel=1e-12)
    assert table.finish_s[0] == pytest.approx(finish_s, rel=1e-12)
    tpot_s = (table.finish_s[0] - table.first_token_s[0]) / (5 - 1)
    assert tpot_s == pytest.approx(0.010, rel=1e-12)
    assert table.state[0] == DONE
    assert replica.steps == round(finish_s / 0.010)
    assert replica.busy_s == pytest.approx(finish_s, rel=1e-12)
    assert replica.idle


def test_one_output_token_finishes_at_the_prefill_step() -> None:
    table, replica = run([(0.0, 64, 1)], step_cost(), limits())
    assert table.first_token_s[0] == pytest.approx(0.010)
    assert table.finish_s[0] == table.first_token_s[0]
    assert replica.steps == 1


def test_idle_replica_jumps_to_a_late_arrival() -> None:
    table, replica = run([(2.5, 100, 3)], step_cost(), limits())
    assert table.scheduled_s[0] == 2.5
    assert table.first_token_s[0] == pytest.approx(2.510)
    assert table.finish_s[0] == pytest.approx(2.530)
    assert replica.busy_s == pytest.approx(0.030)


def test_advance_to_completes_the_step_in_flight() -> None:
    table = RequestTable([0.0], [100], [50])
    replica = Replica(0, step_cost(), limits(), table)
    replica.submit(0)
    replica.advance_to(0.015)  # steps end at 10, 20, ... ms
    assert replica.now_s == pytest.approx(0.020)
    assert replica.steps == 2
    replica.advance_to(0.1049)
    assert replica.now_s == pytest.approx(0.110)
    assert replica.steps == 11


def test_decode_tokens_take_budget_before_a_prefill_chunk() -> None:
    # A (10 in / 10 out) decodes from step 2; B (100 in) arrives during step 2 and is
    # admitted at step 3 with 40 - 1 = 39 tokens of budget: chunks 39, 39, 22 at steps 3-5.
    table, _ = run([(0.0, 10, 10), (0.015, 100, 3)], step_cost(), limits(max_step_tokens=40))
    assert table.first_token_s[0] == pytest.approx(0.010)
    assert table.finish_s[0] == pytest.approx(0.100)  # 1 prefill + 9 decode steps
    assert table.scheduled_s[1] == pytest.approx(0.020)
    assert table.first_token_s[1] == pytest.approx(0.050)
    assert table.finish_s[1] == pytest.approx(0.070)


def test_max_running_one_serialises_requests() -> None:
    requests = [(0.0, 100, 5)] * 3
    table, _ = run(requests, step_cost(), limits(max_running=1))
    # Each request takes 5 steps (50 ms) and starts when the previous one ends.
    assert table.first_token_s == pytest.approx([0.010, 0.060, 0.110])
    assert table.finish_s == pytest.approx([0.050, 0.100, 0.150])
    for rid in range(1, 3):
        assert table.finish_s[rid] > table.finish_s[rid - 1]
        assert table.scheduled_s[rid] >= table.finish_s[rid - 1] - 1e-12
        assert table.scheduled_s[rid] == pytest.approx(table.finish_s[rid - 1])


# ----- the decode-stretch fast path against an independent step-by-step reference ----------


@dataclass(frozen=True)
class LinearCost:
    """The hand-built step cost as a formula, evaluated by the reference simulator."""

    step_s: float
    per_token_s: float
    per_ctx_token_s: float
    per_pair_s: float
    per_seq_s: float

    def step_cost(self) -> StepCost:
        return step_cost(step_s=self.step_s, per_token_s=self.per_token_s,
                         per_ctx_token_s=self.per_ctx_token_s, per_pair_s=self.per_pair_s,
                         per_seq_s=self.per_seq_s)

    def seconds(self, tokens: int, ctx_sum: int, pairs: float, sampling_seqs: int) -> float:
        return (self.step_s + self.per_token_s * tokens + self.per_ctx_token_s * ctx_sum
                + self.per_pair_s * pairs + self.per_seq_s * sampling_seqs)


def reference_run(requests: list[tuple[float, int, int]], cost: LinearCost, max_running: int,
                  max_step_tokens: int, *, mixed_prefill: bool = True,
                  decode_round_steps: int = 1) -> tuple[list[float], list[float], int]:
    """Continuous batching one step at a time with unlimited KV: every step, each decoding
    request attends over its context plus the new token; the rest of the budget goes to prompt
    chunks, first to admitted prompts, then to waiting requests in arrival order. Without mixed
    prefill a step with prompt work runs it alone (full budget) and the decodes wait; waiting
    requests are admitted only every `decode_round_steps` decode steps (a prompt-only step
    starts a new round). Returns (first token times, finish times, engine steps)."""
    n = len(requests)
    first, finish = [math.nan] * n, [math.nan] * n
    waiting: deque[int] = deque()
    prefilling: dict[int, int] = {}  # id -> prompt tokens done (admission order)
    decoding: dict[int, list[int]] = {}  # id -> [context tokens, tokens generated]
    now_s, steps, next_arrival, finished = 0.0, 0, 0, 0
    decode_steps, round_start = 0, 0
    while finished < n:
        while next_arrival < n and requests[next_arrival][0] <= now_s:
            waiting.append(next_arrival)
            next_arrival += 1
        if not waiting and not prefilling and not decoding:
            now_s = requests[next_arrival][0]
            continue
        admit = (decode_round_steps == 1 or not decoding
                 or (decode_steps - round_start) % decode_round_steps == 0)
        can_start = admit and bool(waiting) and len(prefilling) + len(decoding) < max_running
        prompt_only = not mixed_prefill and (bool(prefilling) or can_start)
        decodes = {} if prompt_only else decoding
        budget = max_step_tokens - len(decodes)
        if not mixed_prefill and not prompt_only:
            budget = 0  # a decode step carries no prompt work
        chunks: list[tuple[int, int, int]] = []  # (id, done before, chunk)
        for rid, done in prefilling.items():
            if budget <= 0:
                break
            chunk = min(requests[rid][1] - done, budget)
            chunks.append((rid, done, chunk))
            budget -= chunk
        while admit and waiting and budget > 0 and len(prefilling) + len(decoding) < max_running:
            rid = waiting.popleft()
            prefilling[rid] = 0
            chunk = min(requests[rid][1], budget)
            chunks.append((rid, 0, chunk))
            budget -= chunk
        completing = [rid for rid, done, c in chunks if done + c == requests[rid][1]]
        prefill_tokens = sum(c for _, _, c in chunks)
        pairs = sum(c * done + c * c / 2.0 for _, done, c in chunks)
        ctx_sum = sum(ctx + 1 for ctx, _ in decodes.values())
        now_s += cost.seconds(len(decodes) + prefill_tokens, ctx_sum, pairs,
                              len(decodes) + len(completing))
        steps += 1
        if prompt_only:
            round_start = decode_steps
        else:
            decode_steps += 1
        for rid, state in list(decodes.items()):
            state[0] += 1
            state[1] += 1
            if state[1] == requests[rid][2]:
                finish[rid] = now_s
                finished += 1
                del decoding[rid]
        for rid, done, chunk in chunks:
            prefilling[rid] = done + chunk
        for rid in completing:
            del prefilling[rid]
            first[rid] = now_s
            if requests[rid][2] == 1:
                finish[rid] = now_s
                finished += 1
            else:
                decoding[rid] = [requests[rid][1], 1]
    return first, finish, steps


def random_requests(seed: int, num_requests: int, max_isl: int, max_osl: int,
                    rate_rps: float) -> list[tuple[float, int, int]]:
    rng = np.random.default_rng(seed)
    arrivals = np.cumsum(rng.exponential(1.0 / rate_rps, size=num_requests))
    isl = rng.integers(1, max_isl + 1, size=num_requests)
    osl = rng.integers(1, max_osl + 1, size=num_requests)
    return [(float(a), int(i), int(o)) for a, i, o in zip(arrivals, isl, osl, strict=True)]


@pytest.mark.parametrize(("seed", "max_running", "max_step_tokens"), [
    (1, 6, 128), (2, 3, 64), (3, 64, 256), (4, 2, 512),
])
def test_decode_stretches_match_a_step_by_step_reference(seed: int, max_running: int,
                                                         max_step_tokens: int) -> None:
    cost = LinearCost(step_s=0.008, per_token_s=2e-5, per_ctx_token_s=3e-6, per_pair_s=1e-9,
                      per_seq_s=1e-4)
    requests = random_requests(seed, num_requests=25, max_isl=300, max_osl=200, rate_rps=8.0)
    table, replica = run(requests, cost.step_cost(),
                         limits(max_running=max_running, max_step_tokens=max_step_tokens),
                         replica_cls=CountingSlowSteps)
    first, finish, steps = reference_run(requests, cost, max_running, max_step_tokens)
    assert isinstance(replica, CountingSlowSteps)
    assert replica.slow_steps < steps / 2  # most steps really were fast-forwarded
    assert replica.engine_steps == steps
    assert table.first_token_s == pytest.approx(first, rel=1e-9)
    assert table.finish_s == pytest.approx(finish, rel=1e-9)
    assert replica.preemptions == 0


@pytest.mark.parametrize(("seed", "mixed_prefill", "decode_round_steps"), [
    (11, False, 1), (12, False, 4), (13, True, 3), (14, False, 7),
])
def test_prefill_alone_and_decode_rounds_match_the_reference(seed: int, mixed_prefill: bool,
                                                            decode_round_steps: int) -> None:
    cost = LinearCost(step_s=0.008, per_token_s=2e-5, per_ctx_token_s=3e-6, per_pair_s=1e-9,
                      per_seq_s=1e-4)
    requests = random_requests(seed, num_requests=30, max_isl=300, max_osl=120, rate_rps=12.0)
    lim = limits(max_running=8, max_step_tokens=256, mixed_prefill=mixed_prefill,
                 decode_round_steps=decode_round_steps)
    table, replica = run(requests, cost.step_cost(), lim, replica_cls=CountingSlowSteps)
    first, finish, steps = reference_run(requests, cost, 8, 256, mixed_prefill=mixed_prefill,
                                         decode_round_steps=decode_round_steps)
    assert isinstance(replica, CountingSlowSteps)
    assert replica.engine_steps == steps
    assert replica.slow_steps < steps  # some steps were fast-forwarded
    assert table.first_token_s == pytest.approx(first, rel=1e-9)
    assert table.finish_s == pytest.approx(finish, rel=1e-9)


def test_prefill_alone_pauses_the_decodes() -> None:
    # A 100-token prompt arrives while another request decodes: mixed, it shares a step with
    # the decode; alone, the decode waits one step, so the first request finishes a step later.
    requests = [(0.0, 10, 6), (0.025, 100, 2)]
    mixed, _ = run(requests, step_cost(step_s=0.010), limits())
    alone, rep = run(requests, step_cost(step_s=0.010), limits(mixed_prefill=False))
    assert mixed.finish_s[0] == pytest.approx(0.060)
    assert alone.finish_s[0] == pytest.approx(0.070)
    assert alone.first_token_s[1] == pytest.approx(mixed.first_token_s[1])
    assert rep.prefill_only_steps == 2 and rep.steps == 5  # 5 decode steps: 2 + 3 shared


def test_decode_rounds_hold_new_requests_until_the_round_ends() -> None:
    # SGLang-style: a round of 4 decode steps starts after the prompt-only step (t=0.01); a
    # request arriving at 0.015 is admitted after the round ends at 0.05, not at 0.02.
    requests = [(0.0, 10, 20), (0.015, 10, 2)]
    every, _ = run(requests, step_cost(step_s=0.010),
                   limits(mixed_prefill=False, decode_round_steps=1))
    rounds, _ = run(requests, step_cost(step_s=0.010),
                    limits(mixed_prefill=False, decode_round_steps=4))
    assert every.first_token_s[1] == pytest.approx(0.030)
    assert rounds.first_token_s[1] == pytest.approx(0.060)


def test_decode_round_steps_must_be_positive() -> None:
    with pytest.raises(ValueError, match="decode_round_steps"):
        limits(decode_round_steps=0)


@pytest.mark.parametrize("seed", [5, 6, 7])
def test_fast_path_matches_step_by_step_with_full_reservation(seed: int) -> None:
    # KV pressure and a running limit, but reserve_full admission: fast path == plain steps.
    cost = step_cost(step_s=0.006, per_token_s=1e-5, per_ctx_token_s=2e-6)
    lim = limits(max_running=5, max_step_tokens=96, block_tokens=8, total_blocks=120,
                 reserve_full=True)
    requests = random_requests(seed, num_requests=30, max_isl=200, max_osl=150, rate_rps=20.0)
    fast, fast_rep = run(requests, cost, lim)
    slow, slow_rep = run(requests, cost, lim, replica_cls=StepByStep)
    assert fast_rep.steps == slow_rep.steps
    assert fast.scheduled_s == pytest.approx(slow.scheduled_s, rel=1e-9, nan_ok=True)
    assert fast.first_token_s == pytest.approx(slow.first_token_s, rel=1e-9, nan_ok=True)
    assert fast.finish_s == pytest.approx(slow.finish_s, rel=1e-9, nan_ok=True)
    assert fast.state == slow.state


def test_fast_path_admits_when_a_step_would() -> None:
    # Blocks of 4 tokens, 9-token budget, 5 blocks. A (4 in / 9 out) decodes from step 2 with
    # context 3 + s at step s, so it holds 3 blocks at steps 6-9 and finishes at step 9. B
    # (16 in / 2 out) arrives during step 6. At step 7 the budget left after A's token is 8,
    # an 8-token chunk needs 2 blocks and 2 are free: B is admitted (scheduled 60 ms) with 8
    # tokens, cannot grow at steps 8-9, finishes its prompt at step 10 (100 ms) once A is
    # done, and its last token at step 11 (110 ms).
    lim = limits(max_running=8, max_step_tokens=9, block_tokens=4, total_blocks=5)
    table, _ = run([(0.0, 4, 9), (0.055, 16, 2)], step_cost(), lim)
    assert table.finish_s[0] == pytest.approx(0.090)
    assert table.scheduled_s[1] == pytest.approx(0.060)
    assert table.first_token_s[1] == pytest.approx(0.100)
    assert table.finish_s[1] == pytest.approx(0.110)


def test_step_by_step_replica_agrees_with_the_hand_worked_admission() -> None:
    # The scheduler's own step rules give the hand-worked answer of the test above.
    lim = limits(max_running=8, max_step_tokens=9, block_tokens=4, total_blocks=5)
    table, _ = run([(0.0, 4, 9), (0.055, 16, 2)], step_cost(), lim, replica_cls=StepByStep)
    assert table.scheduled_s[1] == pytest.approx(0.060)
    assert table.first_token_s[1] == pytest.approx(0.100)
    assert table.finish_s[1] == pytest.approx(0.110)


# ----- KV blocks: preemption, reservation, rejection -----------------------------------------

TWO_LONG = [(0.0, 100, 100), (0.0, 100, 100)]  # each ends with 199 tokens = 20 blocks of 10


def tight_kv(*, reserve_full: bool = False) -> SchedulerLimits:
    """30 blocks of 10 tokens: room for 300 tokens of KV."""
    return limits(max_step_tokens=256, block_tokens=10, total_blocks=30,
                  reserve_full=reserve_full)


def test_on_demand_kv_preempts_the_newest_request() -> None:
    # Both prompts fit (10 + 10 blocks); at step 52 both contexts reach 151 tokens and need
    # 16 blocks each, more than 30, so request 1 (admitted last) is preempted.
    table, replica = run(TWO_LONG, step_cost(), tight_kv())
    assert replica.preemptions > 0
    assert table.preemptions[0] == 0
    assert table.preemptions[1] >= 1
    assert table.state == [DONE, DONE]
    assert table.first_token_s == pytest.approx([0.010, 0.010])
    assert table.finish_s[0] == pytest.approx(1.000)  # never disturbed: 1 + 99 steps
    assert table.finish_s[1] > table.finish_s[0]
    assert replica._used_blocks_at(replica.steps) == 0


def test_preempted_request_resumes_after_its_generated_tokens() -> None:
    # Request 1 is preempted before step 52 holding 51 output tokens. Its recompute prompt is
    # 100 + 51 = 151 tokens (16 blocks), which does not fit beside request 0 (>= 16 blocks)
    # until request 0 finishes at step 100. Step 101 recomputes the 151 tokens and samples
    # token 52; tokens 53-100 take steps 102-149, so it finishes at 1.49 s, preempted once.
    table, replica = run(TWO_LONG, step_cost(), tight_kv())
    assert table.preemptions == [0, 1]
    assert table.finish_s[1] == pytest.approx(1.490)
    assert replica.steps == 149


def test_full_reservation_waits_instead_of_preempting() -> None:
    # Each request reserves 20 blocks of 30 at admission, so request 1 waits for request 0.
    table, replica = run(TWO_LONG, step_cost(), tight_kv(reserve_full=True))
    assert replica.preemptions == 0
    assert table.preemptions == [0, 0]
    assert table.first_token_s[1] >= table.finish_s[0]
    assert table.finish_s[0] == pytest.approx(1.000)
    assert table.first_token_s[1] == pytest.approx(1.010)
    assert table.finish_s[1] == pytest.approx(2.000)


def test_request_larger_than_the_kv_cache_is_rejected() -> None:
    # 30 blocks of 10 tokens hold 300 tokens; 250 + 51 = 301 does not fit, 250 + 50 does.
    requests = [(0.0, 100, 5), (0.0, 250, 51), (0.0, 250, 50), (0.0, 100, 5)]
    table, replica = run(requests, step_cost(), tight_kv())
    assert table.state == [DONE, REJECTED, DONE, DONE]
    assert math.isnan(table.first_token_s[1])
    assert math.isnan(table.finish_s[1])
    assert table.replica[1] == 0
    assert all(math.isfinite(table.finish_s[r]) for r in (0, 2, 3))
    assert replica.idle


def test_outstanding_tokens_before_any_step() -> None:
    table = RequestTable([0.0, 0.0], [100, 30], [5, 7])
    replica = Replica(0, step_cost(), limits(), table)
    replica.submit(0)
    replica.submit(1)
    assert replica.outstanding_tokens == 105 + 37


def test_idle_replica_has_no_outstanding_tokens() -> None:
    _, replica = run([(0.0, 100, 5), (0.0, 30, 7), (1.0, 8, 1)], step_cost(), limits())
    assert replica.idle
    assert replica.outstanding_tokens == 0


# ----- block accounting ----------------------------------------------------------------------


def blocks(tokens: int, block_tokens: int) -> int:
    return -(-tokens // block_tokens)


def check_blocks(replica: Replica) -> None:
    """Recount the blocks in use from each running request's context, directly."""
    lim, table = replica.limits, replica.req
    bt = lim.block_tokens
    used = replica._used_blocks_at(replica.steps)
    assert 0 <= used <= lim.total_blocks
    if lim.reserve_full:
        running = [*replica.prefilling, *replica.finish_step]
        expected = sum(blocks(table.input_tokens[r] + table.output_tokens[r], bt)
                       for r in running)
        assert used == expected
        return
    contexts = {}
    for rid, finish_step in replica.finish_step.items():
        # Tokens still to generate are finish_step - steps; the context holds the prompt and
        # every generated token but the newest: isl + generated - 1.
        generated = table.output_tokens[rid] - (finish_step - replica.steps)
        contexts[rid] = table.input_tokens[rid] + generated - 1
        if table.preemptions[rid] == 0:
            assert replica.base[rid] + replica.steps == contexts[rid]
    prefill_blocks = sum(blocks(done, bt) for done in replica.prefilling.values())
    for ahead in (0, 1, 2, bt - 1, bt, 3 * bt + 1):
        decode_blocks = sum(blocks(replica.base[r] + replica.steps + ahead, bt)
                            for r in replica.finish_step)
        assert replica._decode_blocks_at(replica.steps + ahead) == decode_blocks
    assert used == prefill_blocks + sum(blocks(c, bt) for c in contexts.values())


@pytest.mark.parametrize(("seed", "block_tokens", "reserve_full"), [
    (11, 16, False), (12, 1, False), (13, 7, False), (14, 16, True),
])
def test_block_use_matches_a_recount_after_every_advance(seed: int, block_tokens: int,
                                                         reserve_full: bool) -> None:
    requests = random_requests(seed, num_requests=60, max_isl=400, max_osl=300, rate_rps=30.0)
    lim = limits(max_running=12, max_step_tokens=256, block_tokens=block_tokens,
                 total_blocks=2400 // block_tokens, reserve_full=reserve_full)
    cost = step_cost(step_s=0.005, per_ctx_token_s=1e-6)
    table = RequestTable([a for a, _, _ in requests], [i for _, i, _ in requests],
                         [o for _, _, o in requests])
    replica = Replica(0, cost, lim, table)
    for rid, (arrival_s, _, _) in enumerate(requests):
        replica.advance_to(arrival_s)
        check_blocks(replica)
        replica.submit(rid)
    until_s = requests[-1][0]
    while not replica.idle:
        until_s += 0.05
        replica.advance_to(until_s)
        check_blocks(replica)
    assert replica._used_blocks_at(replica.steps) == 0
    assert replica.static_blocks == 0
    assert all(s in (DONE, REJECTED) for s in table.state)
    if not reserve_full:
        assert replica.preemptions > 0  # the workload really exercised preemption
