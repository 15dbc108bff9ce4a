"""Collecting acknowledgements: of one client (`Waiter`, for ``call()``) and of
every client an emit reaches (`AckCollector`, for ``emit_with_ack()``).

Both are resolved on the task that reads the ack (no pool hand-off), so that
a waiting caller wakes as soon as the answer is in.

>>> from flask_socketio.drivers import load_driver
>>> collector = AckCollector(load_driver("threading"))
>>> answer = collector.expect("s1")
>>> collector.expect("s2") and None
>>> answer("yes")
>>> acks = collector.result()
>>> dict(acks), acks.missing
({'s1': ['yes']}, {'s2'})
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..drivers import Driver


class InlineAck:
    """An ack callback run on the task that reads the ack."""

    def __call__(self, *args: Any) -> None:
        raise NotImplementedError


class Waiter(InlineAck):
    """Collects the ack of a `call()`."""

    __slots__ = ("event", "result")

    def __init__(self, driver: Driver) -> None:
        self.event = driver.Event()
        self.result: list[Any] | None = None

    def __call__(self, *args: Any) -> None:
        self.result = list(args)
        self.event.set()


class Acks(Mapping[str, list[Any]]):
    """The acks of an emit to several clients: the arguments of each client's
    ack by its sid, and `missing`, the sids of the clients asked that had not
    answered by the timeout.

    >>> acks = Acks({"s1": [True]}, {"s2"})
    >>> acks["s1"], acks.missing, acks.complete
    ([True], {'s2'}, False)
    """

    def __init__(self, responses: dict[str, list[Any]], missing: set[str]) -> None:
        self._responses = responses
        self.missing = missing

    @property
    def complete(self) -> bool:
        """Whether every client asked answered in time."""
        return not self.missing

    def __getitem__(self, sid: str) -> list[Any]:
        return self._responses[sid]

    def __iter__(self) -> Iterator[str]:
        return iter(self._responses)

    def __len__(self) -> int:
        return len(self._responses)

    def __repr__(self) -> str:
        return f"Acks({self._responses!r}, missing={self.missing!r})"


class _Answer(InlineAck):
    __slots__ = ("collector", "sid")

    def __init__(self, collector: AckCollector, sid: str) -> None:
        self.collector = collector
        self.sid = sid

    def __call__(self, *args: Any) -> None:
        self.collector.answer(self.sid, list(args))


class AckCollector:
    """Gathers the acks of the clients an emit asked, until all are in or the
    caller stops waiting; from then on, late answers are ignored."""

    def __init__(self, driver: Driver) -> None:
        self.done = driver.Event()
        self._lock = threading.Lock()  # never held across a blocking call
        self._responses: dict[str, list[Any]] = {}
        self._pending: set[str] = set()
        self._closed = False
        #: Processes of a cluster that have not yet said whom they asked.
        self._reports_due = 0

    def expect(self, sid: str) -> InlineAck:
        """Ask `sid`: the callback its ack must reach."""
        with self._lock:
            self._pending.add(sid)
        return _Answer(self, sid)

    def answer(self, sid: str, args: list[Any], remote: bool = False) -> None:
        """The ack of `sid`; from another process (`remote`) it may come
        before that process's report of whom it asked."""
        with self._lock:
            if self._closed or (sid not in self._pending and not remote):
                return
            if sid in self._responses:
                return
            self._pending.discard(sid)
            self._responses[sid] = args
        self._check()

    def await_reports(self, processes: int) -> None:
        """`processes` other processes will report whom they asked (see
        `reported`): not done until they have."""
        with self._lock:
            self._reports_due += processes

    def reported(self, sids: list[str]) -> None:
        """Another process asked `sids` (some may have answered already)."""
        with self._lock:
            if self._closed:
                return
            self._reports_due -= 1
            self._pending.update(sid for sid in sids if sid not in self._responses)
        self._check()

    def sealed(self) -> None:
        """Every client has been asked: done now if all answered already."""
        self._check()

    def _check(self) -> None:
        with self._lock:
            finished = not self._pending and self._reports_due <= 0
        if finished:
            self.done.set()

    def result(self) -> Acks:
        """Stop collecting and return what came in."""
        with self._lock:
            self._closed = True
            return Acks(dict(self._responses), set(self._pending))
