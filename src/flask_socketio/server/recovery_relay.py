"""Connection state recovery across processes without a shared store
(RabbitMQ, or ``store="memory"``): the process a client comes back to asks
the others over the message queue for its state.

A process that gets a CONNECT with a pid it does not know publishes
``recovery:fetch``; each other process answers ``recovery:state``: the one
that holds the state hands it over (its sid, rooms, session data and the
events it missed, as JSON) and forgets it, the others say they do not have
it. The asking process waits for the state, or for every process (as
`ClusterAcks.peer_count` counts them) to have said no, or 2 seconds; then
says ``recovery:claimed`` to the holder, or, when the state came too late,
``recovery:unclaimed`` (the holder keeps it again, and its disconnection is
final when its window closes). No other process: no question, no wait.

>>> from flask_socketio.managers import PubSubManager
>>> from flask_socketio.server import Server
>>> class Quiet(PubSubManager):  # a message queue that carries nothing
...     def _publish(self, data): pass
...     def _listen(self): return iter(())
>>> sio = Server(client_manager=Quiet(), async_mode="threading",
...              connection_state_recovery=True)
>>> sio.recovery.relay is not None
True
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..managers import PubSubManager
from ..managers.codec import Message, dumps
from ..managers.recovery import MemoryRecoveryStore, SavedSession

if TYPE_CHECKING:
    from .recovery import Recovery

log = logging.getLogger("flask_socketio.server")

FETCH, STATE, CLAIMED, UNCLAIMED = (
    "recovery:fetch", "recovery:state", "recovery:claimed", "recovery:unclaimed"
)
#: Seconds a process waits for the others' answers.
FETCH_TIMEOUT = 2.0


class _Fetch:
    __slots__ = ("done", "expected", "refusals", "state")

    def __init__(self, done: Any, expected: int) -> None:
        self.done = done
        self.expected = expected
        self.refusals = 0
        self.state: Message | None = None


class RecoveryRelay:
    """Asks the other processes for the state of a client that comes back
    here, and hands over those it holds."""

    def __init__(
        self,
        recovery: Recovery,
        store: MemoryRecoveryStore,
        manager: PubSubManager[Any],
        peers: Callable[[], int | None],
    ) -> None:
        self.recovery = recovery
        self.store = store
        self.manager = manager
        self.peers = peers
        self._lock = threading.Lock()
        self._fetches: dict[str, _Fetch] = {}
        #: States handed to another process, until it says it took them.
        self._handed: dict[str, tuple[SavedSession, float]] = {}
        manager.on_relay(FETCH, self._on_fetch)
        manager.on_relay(STATE, self._on_state)
        manager.on_relay(CLAIMED, self._on_claimed)
        manager.on_relay(UNCLAIMED, self._on_unclaimed)

    # -- the process the client came back to --------------------------------

    def fetch(self, pid: str, offset: str | None) -> tuple[SavedSession, list[list[Any]]] | None:
        """The state `pid` and what it missed, from the process that holds it."""
        expected = self.peers()
        if not expected:
            return None
        driver = self.recovery.driver
        request = uuid.uuid4().hex
        pending = _Fetch(driver.Event(), expected)
        with self._lock:
            self._fetches[request] = pending
        try:
            self.manager.relay(FETCH, request=request, origin=self.manager.host_id, pid=pid,
                               offset=offset)
            pending.done.wait(FETCH_TIMEOUT)
        finally:
            with self._lock:
                self._fetches.pop(request, None)
        state = pending.state
        if state is None:
            return None
        self.manager.relay(CLAIMED, pid=pid, to=state["holder"])
        session = SavedSession(
            pid, state["sid"], state["namespace"], [_room(r) for r in state["rooms"]],
            None, driver.monotonic(), carried=state.get("carried"),
        )
        return session, [list(data) for data in state.get("missed") or ()]

    def _on_state(self, message: Message) -> None:
        if message.get("to") != self.manager.host_id:
            return
        with self._lock:
            pending = self._fetches.get(str(message.get("request")))
            if pending is not None:
                if message.get("found"):
                    pending.state = message
                else:
                    pending.refusals += 1
        if pending is None:
            if message.get("found"):  # too late: the client connected afresh
                self.manager.relay(UNCLAIMED, pid=message.get("pid"), to=message.get("holder"))
            return
        if pending.state is not None or pending.refusals >= pending.expected:
            pending.done.set()

    # -- the process that holds the state ----------------------------------

    def _on_fetch(self, message: Message) -> None:
        pid, origin = str(message.get("pid")), message.get("origin")
        answer = {"request": message.get("request"), "to": origin, "pid": pid,
                  "holder": self.manager.host_id}
        offset = message.get("offset")
        found = None
        if self.store.knows(pid):
            found = self.store.restore(
                pid, offset if isinstance(offset, str) else None,
                self.recovery.driver.monotonic(),
            )
        if found is None:
            self.manager.relay(STATE, found=False, **answer)
            return
        session, missed = found
        conn = session.extra[0]
        from .recovery import _carried

        state = {"sid": session.sid, "namespace": session.namespace, "rooms": session.rooms,
                 "carried": _carried(conn, session.namespace), "missed": missed}
        try:
            dumps(state)
        except (TypeError, ValueError):
            log.warning("%s: its state is not JSON; it recovers in this process only",
                        session.sid)
            self.store.persist(session)
            self.manager.relay(STATE, found=False, **answer)
            return
        with self._lock:
            self._handed[pid] = (session, self.recovery.driver.monotonic())
        self.manager.relay(STATE, found=True, **answer, **state)

    def _on_claimed(self, message: Message) -> None:
        if message.get("to") == self.manager.host_id:
            with self._lock:
                self._handed.pop(str(message.get("pid")), None)

    def _on_unclaimed(self, message: Message) -> None:
        if message.get("to") != self.manager.host_id:
            return
        with self._lock:
            handed = self._handed.pop(str(message.get("pid")), None)
        if handed is not None:
            self.store.persist(handed[0])  # its window closes as if never asked

    def forget_handed(self, now: float) -> None:
        """Forget states handed over long ago whose taker never said so."""
        with self._lock:
            for pid in [p for p, (_, at) in self._handed.items() if now - at > 60]:
                del self._handed[pid]


def _room(value: Any) -> Any:
    return tuple(_room(v) for v in value) if isinstance(value, list) else value
