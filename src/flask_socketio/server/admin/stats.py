"""The admin UI's periodic ``server_stats``: the events counted between two
(`EventBuffer`), and the task that sends them (`Periodic`).

>>> from flask_socketio.drivers import load_driver
>>> ticks = []
>>> loop = Periodic(load_driver("threading"), 60, lambda: ticks.append(1))
>>> loop.start(); loop.stop(); ticks
[1]
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ...drivers import Driver, Task

log = logging.getLogger("flask_socketio.admin")


class EventBuffer:
    """Counts per second and kind (``packetsIn``, ``bytesOut``,
    ``rawConnection``, ...), sent with each ``server_stats`` then cleared.

    >>> buffer = EventBuffer()
    >>> buffer.push("packetsIn", count=2)
    >>> [(e["type"], e["count"]) for e in buffer.take()]
    [('packetsIn', 2)]
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[tuple[int, str, str | None], int] = {}

    def push(self, kind: str, sub_kind: str | None = None, count: int = 1) -> None:
        key = (int(time.time()) * 1000, kind, sub_kind)
        with self._lock:
            self._counts[key] = self._counts.get(key, 0) + count

    def push_packets(self, packets: str, count: int, size_kind: str, size: int) -> None:
        """`count` packets of `size` bytes: two kinds at once (on every packet's path)."""
        moment = int(time.time()) * 1000
        packets_key, size_key = (moment, packets, None), (moment, size_kind, None)
        with self._lock:
            counts = self._counts
            counts[packets_key] = counts.get(packets_key, 0) + count
            counts[size_key] = counts.get(size_key, 0) + size

    def take(self) -> list[dict[str, Any]]:
        with self._lock:
            counts, self._counts = self._counts, {}
        events = []
        for (moment, kind, sub_kind), count in counts.items():
            event: dict[str, Any] = {"timestamp": moment, "type": kind, "count": count}
            if sub_kind is not None:
                event["subType"] = sub_kind
            events.append(event)
        return events


class Periodic:
    """Call `tick` every `interval` seconds in a task of `driver`, from the
    first `start` (the first admin, here or in another process, or the
    first client) until `stop`. An error of `tick` is logged, and the next
    one comes as planned.
    """

    def __init__(self, driver: Driver, interval: float, tick: Callable[[], None]) -> None:
        self.driver = driver
        self.interval = interval
        self.tick = tick
        self._task: Task | None = None
        self._lock = threading.Lock()
        self._stopped = driver.Event()

    def start(self) -> None:
        """Start the task, unless it runs or was stopped (cheap: called often)."""
        if self._task is not None or self._stopped.is_set():
            return
        with self._lock:
            if self._task is None:
                self._task = self.driver.spawn(self._loop)

    def stop(self) -> None:
        """Stop the task and wait for it to end."""
        self._stopped.set()
        task, self._task = self._task, None
        if task is not None:
            task.join()

    def _loop(self) -> None:
        while True:
            try:
                self.tick()
            except Exception:
                log.exception("admin UI: server_stats failed")
            if self._stopped.wait(self.interval):
                return
