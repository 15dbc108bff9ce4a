"""Every session's next deadline in one heap, and one task that sleeps until
the earliest: no timer per connection, and no work while nothing is due.

A session is scheduled at the time its protocol state may next ask for
something (a ping, a ping timeout, a connect timeout). An entry is only a
reminder to look: the task asks the session what is due
(`Session.apply_deadlines`) and schedules it again at its new next
deadline. A deadline that moves later (a pong, a v3 client's ping)
needs nothing, the old entry just finds nothing due; one that moves earlier is
scheduled again (`schedule` keeps the earliest).

Websocket readers busy in a handler are watched apart, since a reader gets
busy with every message: it joins a set (`reader_busy`, a set insertion per
message), and while the set is not empty the task sweeps it every `patience`
seconds, relieving the readers busy for longer and dropping the others.

>>> from flask_socketio.drivers import load_driver
>>> deadlines = Deadlines(load_driver("threading"), patience=1.0)
>>> deadlines.pending()
0
"""

from __future__ import annotations

import heapq
import itertools
import logging
import math
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING

from ..drivers import Driver, Task

if TYPE_CHECKING:
    from .session import Session

log = logging.getLogger("flask_socketio.engine")

#: Longest sleep while `housekeeping` has something to keep (seconds).
HOUSEKEEPING_EVERY = 10.0


class Deadlines:
    """The deadline task of one engine.

    `patience`: seconds a websocket reader may stay busy in a handler before
    another task reads on. `housekeeping(now)` runs at most every
    `HOUSEKEEPING_EVERY` seconds while it returns True (it has more to keep).
    """

    def __init__(
        self,
        driver: Driver,
        patience: float,
        housekeeping: Callable[[float], bool] | None = None,
    ) -> None:
        self.driver = driver
        self.patience = patience
        self._housekeeping = housekeeping
        self._heap: list[tuple[float, int, weakref.ref[Session]]] = []
        self._order = itertools.count()
        self._lock = driver.Lock()
        self._wake = driver.Event()
        self._task: Task | None = None
        self._stopping = False
        self._busy: set[Session] = set()
        self._sweep_at = math.inf

    def pending(self) -> int:
        """Entries in the heap (stale ones included)."""
        return len(self._heap)

    def schedule(self, session: Session, when: float) -> None:
        """Look at `session` at `when` (monotonic) at the latest."""
        with self._lock:
            if when >= session.deadline_at:
                return
            session.deadline_at = when
            heapq.heappush(self._heap, (when, next(self._order), weakref.ref(session)))
            earliest = self._heap[0][0] == when
            if self._task is None:
                self._task = self.driver.spawn(self._run)
        if earliest:
            self._wake.set()

    def reader_busy(self, session: Session) -> None:
        """`session`'s websocket reader started handling a message."""
        self._busy.add(session)
        if self._sweep_at == math.inf:
            with self._lock:
                if self._sweep_at != math.inf:
                    return
                self._sweep_at = self.driver.monotonic() + self.patience
                if self._task is None:
                    self._task = self.driver.spawn(self._run)
            self._wake.set()

    def _sweep(self, now: float) -> None:
        for session in list(self._busy):
            busy_since = session.busy_since
            if busy_since is not None and now - busy_since < self.patience:
                continue  # busy, not for long yet: looked at next sweep
            self._busy.discard(session)
            if busy_since is not None:
                try:
                    session.apply_deadlines(now, self.patience)
                except Exception:
                    log.exception("%s: error while relieving its reader", session.sid)
        with self._lock:
            self._sweep_at = now + self.patience if self._busy else math.inf

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()

    def _run(self) -> None:
        monotonic = self.driver.monotonic
        kept_at = monotonic()
        keeping = self._housekeeping is not None
        while not self._stopping:
            due: list[Session] = []
            with self._lock:
                self._wake.clear()
                now = monotonic()
                heap = self._heap
                while heap and heap[0][0] <= now:
                    when, _, ref = heapq.heappop(heap)
                    session = ref()
                    if session is not None and session.deadline_at == when:
                        session.deadline_at = math.inf
                        due.append(session)
                wait = heap[0][0] - now if heap else None
                sweep_at = self._sweep_at
            if now >= sweep_at:
                self._sweep(now)
                sweep_at = self._sweep_at
            if sweep_at != math.inf:
                left = max(sweep_at - now, 0.0)
                wait = left if wait is None else min(wait, left)
            for session in due:
                try:
                    if session.apply_deadlines(now, self.patience):
                        self.schedule(session, session.next_deadline(self.patience))
                except Exception:
                    log.exception("%s: error while checking deadlines", session.sid)
            if keeping and now - kept_at >= HOUSEKEEPING_EVERY:
                kept_at = now
                assert self._housekeeping is not None
                keeping = self._housekeeping(now)
            if keeping:
                left = HOUSEKEEPING_EVERY - (now - kept_at)
                wait = left if wait is None else min(wait, left)
            if not due:
                self._wake.wait(wait)
                if not keeping and self._housekeeping is not None:
                    keeping, kept_at = True, monotonic()


__all__ = ["Deadlines"]
