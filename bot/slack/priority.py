"""Acks first: the work after an ack waits for a gap between requests, within a bound.

Slack wants every request acknowledged within 3 seconds, while the work after it (storing,
rescoring, replying through the response URL, which stays valid for 30 minutes) may take longer.
Both share one interpreter, so background work running during a burst of requests slows every ack
of the burst. The HTTP server marks each request while Bolt acknowledges it
(:meth:`AckGate.acking`); :class:`AcksFirstExecutor`, which runs Bolt's lazy listeners, starts a
job only once no request has been acknowledged for ``quiet`` seconds, or once the job has waited
``max_delay`` seconds: work is postponed by a burst, never starved by one.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, Callable, Iterator


class AckGate:
    """Whether requests are being acknowledged (now or within the last ``quiet`` seconds), and a
    way to wait for a quiet moment."""

    def __init__(self, *, quiet: float = 0.02, clock: Callable[[], float] = time.monotonic) -> None:
        self._quiet = quiet
        self._clock = clock
        self._in_flight = 0
        self._last_ack = float("-inf")
        self._lock = threading.Lock()

    @contextmanager
    def acking(self) -> Iterator[None]:
        """Mark one request as being acknowledged for the duration of the block."""
        with self._lock:
            self._in_flight += 1
        try:
            yield
        finally:
            with self._lock:
                self._in_flight -= 1
                self._last_ack = self._clock()

    def quiet_for(self) -> float:
        """How much longer until the gate is quiet (0: quiet now)."""
        with self._lock:
            if self._in_flight:
                return self._quiet
            return max(0.0, self._last_ack + self._quiet - self._clock())

    def wait_for_quiet(self, deadline: float, sleep: Callable[[float], None] = time.sleep) -> None:
        """Return once no request has been acknowledged for ``quiet`` seconds, or at ``deadline``."""
        while (wait := self.quiet_for()) > 0:
            left = deadline - self._clock()
            if left <= 0:
                return
            sleep(min(wait, left))


#: the gate of this process: its HTTP server marks requests, its Bolt app's work waits on it
ACK_GATE = AckGate()


class AcksFirstExecutor(Executor):
    """A thread pool whose jobs start in a quiet moment between acks (or after ``max_delay`` seconds)."""

    def __init__(self, *, workers: int, gate: AckGate = ACK_GATE, max_delay: float = 2.0,
                 thread_name_prefix: str = "slack-work") -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=thread_name_prefix)
        self._gate = gate
        self._max_delay = max_delay

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        """Queue ``fn``; it starts once the gate is quiet, at most ``max_delay`` from now."""
        deadline = time.monotonic() + self._max_delay

        def when_acks_allow() -> Any:
            self._gate.wait_for_quiet(deadline)
            return fn(*args, **kwargs)

        return self._pool.submit(when_acks_allow)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Stop the pool (waiting for queued jobs unless told not to)."""
        self._pool.shutdown(wait=wait, cancel_futures=cancel_futures)
