"""The bounded outbox of a message-queue manager: one task publishes, in order.

Whoever emits (any number of threads or greenlets) only appends to the
outbox; a single task owns the publishing connection and sends what the
outbox holds, oldest first. While the broker is down the outbox keeps up to
`size` messages, reconnects with backoff (0.1 s doubling to 5 s), waits (5 s
at most) until the other processes listen again, and then sends the backlog
in order. An emitting handler never raises for the broker: it waits (1 s at
most) only when the broker is up and the outbox fills faster than it drains;
when it is full, `full` says which message goes: ``"drop-oldest"`` (the
default) or ``"drop-newest"``. A process's hello is the exception to the
wait: the others wait for it to know that this process is back.

>>> from flask_socketio.drivers import load_driver
>>> sent = []
>>> box = Outbox(load_driver("threading"), lambda method, data: sent.append(data))
>>> box.put("emit", b"hello")
>>> box.flush(5)
True
>>> sent
[b'hello']
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..drivers import Driver

log = logging.getLogger("flask_socketio.managers")

BUFFER_FULL = ("drop-oldest", "drop-newest")
FIRST_RETRY = 0.1
LAST_RETRY = 5.0
READY_TIMEOUT = 5.0
FULL_WAIT = 1.0
#: The messages sent without waiting for the others to listen again.
UNWAITED = frozenset({"hello"})


def check_options(size: int, full: str) -> None:
    """Raise ValueError for a `buffer_size` or `buffer_full` that cannot be."""
    if full not in BUFFER_FULL:
        raise ValueError(f"buffer_full must be one of {BUFFER_FULL}, not {full!r}")
    if size < 1:
        raise ValueError("buffer_size must be at least 1")


def _noop() -> None:
    """No reconnection step: the publisher reconnects by itself."""


def _always_ready(timeout: float) -> bool:
    return True


def _log_health(up: bool, detail: str) -> None:
    log.warning("message queue %s: %s", "back" if up else "lost", detail)


class Outbox:
    """Messages waiting for the broker, sent by one task in the order they came.

    `publish(method, data)` sends one message (raising when the broker is
    unreachable); `reconnect()` makes a fresh publishing connection (raising
    when it cannot); `ready(timeout)` waits until the other processes listen
    again after an outage (True when they do); `health(up, detail)` hears
    when publishing starts failing and when it works again (the manager
    logs one line for each, with its listener's).
    """

    def __init__(
        self,
        driver: Driver,
        publish: Callable[[str, bytes], None],
        reconnect: Callable[[], None] = _noop,
        ready: Callable[[float], bool] = _always_ready,
        health: Callable[[bool, str], None] = _log_health,
        size: int = 10_000,
        full: str = "drop-oldest",
        name: str = "message queue",
    ) -> None:
        check_options(size, full)
        self.size = size
        self.full = full
        self.name = name
        self._driver = driver
        self._publish = publish
        self._reconnect = reconnect
        self._ready = ready
        self._health = health
        self._queue: deque[tuple[str, bytes]] = deque()
        self._lock = driver.Lock()
        self._wake = driver.Event()
        self._space = driver.Event()
        self._space.set()
        self._in_flight = 0
        self._down = False
        self._stale = False
        self._unready = False
        #: Messages dropped because the outbox was full (all time).
        self.dropped = 0
        self._dropped_in_outage = 0
        self._task = driver.spawn(self._run)

    @property
    def down(self) -> bool:
        """Whether the last attempt to publish failed (the outbox buffers)."""
        return self._down

    def __len__(self) -> int:
        return len(self._queue) + self._in_flight

    def put(self, method: str, data: bytes) -> None:
        """Queue a message; never raises for the broker."""
        if len(self._queue) >= self.size and not self._down:
            # The broker is up but slower than the emitters: hold them back a little.
            self._space.clear()
            if len(self._queue) >= self.size:
                self._space.wait(FULL_WAIT)
        with self._lock:
            if len(self._queue) >= self.size:
                self.dropped += 1
                self._dropped_in_outage += 1
                if self._dropped_in_outage == 1:
                    log.warning(
                        "%s outbox full (%d messages): dropping the %s ones",
                        self.name, self.size,
                        "oldest" if self.full == "drop-oldest" else "newest",
                    )
                if self.full == "drop-newest":
                    return
                self._queue.popleft()
            self._queue.append((method, data))
        self._wake.set()

    def mark_stale(self) -> None:
        """The broker was lost (the listener noticed): reconnect, and wait for
        the other processes to listen again, before the next publish."""
        self._stale = True

    def flush(self, timeout: float) -> bool:
        """Wait until everything queued is published, `timeout` seconds at most.

        Returns whether the outbox is empty.
        """
        deadline = self._driver.monotonic() + timeout
        while len(self):
            if self._driver.monotonic() >= deadline:
                return False
            self._driver.sleep(0.005)
        return True

    def _run(self) -> None:
        while True:
            self._wake.wait()
            self._wake.clear()
            while self._queue:
                with self._lock:
                    if not self._queue:
                        break
                    method, data = self._queue.popleft()
                    self._in_flight = 1
                try:
                    self._send(method, data)
                finally:
                    self._in_flight = 0
                if len(self._queue) < self.size:
                    self._space.set()

    def _send(self, method: str, data: bytes) -> None:
        """Publish one message, reconnecting for as long as it takes; a message
        that still fails on a fresh connection twice is refused by the broker
        itself (too large, say): it is dropped with a warning."""
        delay = FIRST_RETRY
        reconnected = 0
        while True:
            try:
                if self._stale:
                    self._stale = False
                    self._reconnect()
                    self._unready = True
                if self._unready and method not in UNWAITED:
                    self._unready = False
                    self._ready(READY_TIMEOUT)
                self._publish(method, data)
                return
            except Exception as exc:  # noqa: BLE001 - whatever the client raises
                if reconnected >= 2:
                    self.dropped += 1
                    log.warning(
                        "%s: a %s message of %d bytes failed on a fresh connection "
                        "(%s: %s): dropped", self.name, method, len(data), type(exc).__name__, exc,
                    )
                    return
                if not self._down:
                    self._down = True
                    self._dropped_in_outage = 0
                    self._health(
                        False,
                        f"publishing failed ({type(exc).__name__}: {exc}); buffering up to "
                        f"{self.size} messages until it is back",
                    )
            # Put the message back at the head while we wait, so that
            # `flush` and the full-outbox policy see it.
            with self._lock:
                self._queue.appendleft((method, data))
                self._in_flight = 0
                while len(self._queue) > self.size:  # filled while it was in flight
                    self.dropped += 1
                    self._dropped_in_outage += 1
                    if self.full == "drop-oldest":
                        self._queue.popleft()
                    else:
                        self._queue.pop()
            while True:
                self._driver.sleep(delay)
                delay = min(delay * 2, LAST_RETRY)
                try:
                    self._reconnect()
                except Exception:  # noqa: BLE001, S112 - still down: try later
                    continue
                break
            reconnected += 1
            self._unready = True
            with self._lock:
                if not self._queue:
                    return  # dropped while we waited (drop-oldest)
                method, data = self._queue.popleft()
                self._in_flight = 1
            if self._down:
                self._down = False
                dropped = self._dropped_in_outage
                self._health(
                    True,
                    f"sending {len(self._queue) + 1} buffered messages"
                    + (f" ({dropped} dropped while it was away)" if dropped else ""),
                )
