"""Acks first: the work after an ack starts in a quiet moment between acks, and never later than
its bound (bot/slack/priority.py)."""

from __future__ import annotations

import threading
import time

import pytest

from bot.slack.priority import AckGate, AcksFirstExecutor


@pytest.mark.parametrize(("ack_ends_at", "deadline", "returns_at"), [
    pytest.param(None, 5.0, 0.0, id="quiet already: at once"),
    pytest.param(1.0, 5.0, 1.02, id="an ack ending: once quiet for 20 ms after it"),
    pytest.param(9.0, 5.0, 5.0, id="acks outlasting the bound: at the deadline"),
])
def test_waiting_for_quiet(ack_ends_at, deadline, returns_at):
    now = [0.0]
    gate = AckGate(quiet=0.02, clock=lambda: now[0])
    ack = gate.acking()
    if ack_ends_at is not None:
        ack.__enter__()

    def sleep(seconds: float) -> None:  # time passes; the ack ends when its moment comes
        if ack_ends_at is not None and now[0] < ack_ends_at <= now[0] + seconds:
            now[0] = ack_ends_at
            ack.__exit__(None, None, None)
        else:
            now[0] += seconds

    gate.wait_for_quiet(deadline, sleep=sleep)
    assert now[0] == pytest.approx(returns_at, abs=1e-6)


def test_work_submitted_during_acks_starts_after_them():
    gate = AckGate(quiet=0.01)
    executor = AcksFirstExecutor(workers=2, gate=gate, max_delay=5.0)
    release = threading.Event()
    acks_ended: list[float] = []

    def acknowledging() -> None:
        with gate.acking():
            release.wait(5)
            acks_ended.append(time.monotonic())  # still inside the ack: no job may have started yet

    worker = threading.Thread(target=acknowledging)
    worker.start()
    time.sleep(0.01)
    started = executor.submit(time.monotonic)
    time.sleep(0.1)
    assert not started.done()  # held back while an ack is being computed
    release.set()
    worker.join()
    assert started.result(timeout=5) >= acks_ended[0]
    executor.shutdown()


def test_work_is_never_held_past_its_bound():
    gate = AckGate(quiet=0.01)
    executor = AcksFirstExecutor(workers=1, gate=gate, max_delay=0.2)
    with gate.acking():  # an ack that never ends, as far as the job can tell
        submitted = time.monotonic()
        started = executor.submit(time.monotonic).result(timeout=5)
    assert started - submitted >= 0.2
    executor.shutdown()
