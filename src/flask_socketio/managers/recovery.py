"""Connection state recovery: what a client missed while it was away.

With recovery on, every event emitted without an ack is kept for a while
with an *offset* (a string the client receives as the event's last
argument), and a client that drops out (transport closed or failed, ping
timeout) has its state saved under a private id, its *pid*. If it comes back
within ``max_disconnection_duration`` with ``{pid, offset}`` in its CONNECT
packet (socket.io-client 4.6 and later do this by themselves), it gets its
sid, rooms and session data back, and every event it missed, in order.

`MemoryRecoveryStore` keeps both in this process, bounded: at most
`max_packets` events in all (the oldest go first) and `max_missed` per
client (a client that missed more reconnects afresh).

>>> store = MemoryRecoveryStore(max_disconnection_duration=120)
>>> start = store.append("/", ("lobby",), frozenset(), ["news", "one"], now=0.0)
>>> store.persist(SavedSession("pid1", "sid1", "/", ["sid1", "lobby"], start, now=1.0))
>>> _ = store.append("/", ("lobby",), frozenset(), ["news", "two"], now=2.0)
>>> _ = store.append("/", ("kitchen",), frozenset(), ["news", "not yours"], now=3.0)
>>> session, missed = store.restore("pid1", start, now=4.0)
>>> session.sid, [data[:2] for data in missed]
('sid1', [['news', 'two']])
"""

from __future__ import annotations

import secrets
import threading
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class SavedSession:
    """A client's state, kept from its disconnection until it comes back or
    the time runs out."""

    pid: str
    sid: str
    namespace: str
    rooms: list[Any]
    #: The last offset logged when the client connected: a client that
    #: received no event since (and so has no offset of its own) may have
    #: missed anything after it.
    offset: str | None
    now: float
    #: Whatever the server keeps with it (its connection, for the handlers).
    extra: Any = None
    disconnected_at: float = field(init=False)

    def __post_init__(self) -> None:
        self.disconnected_at = self.now


@dataclass
class _Entry:
    seq: int
    namespace: str
    rooms: tuple[Any, ...] | None
    skip: frozenset[str]
    data: list[Any]
    time: float


class MemoryRecoveryStore:
    """Saved sessions and the log of recent events, in this process."""

    def __init__(
        self,
        max_disconnection_duration: float = 120.0,
        max_packets: int = 10_000,
        max_missed: int = 1_000,
    ) -> None:
        self.max_disconnection_duration = float(max_disconnection_duration)
        self.max_packets = int(max_packets)
        self.max_missed = int(max_missed)
        # Offsets of another process (or of this one before a restart) never match.
        self._prefix = secrets.token_hex(4) + "-"
        self._log: deque[_Entry] = deque()
        self._seq = 0
        self._sessions: dict[str, SavedSession] = {}
        self._lock = threading.Lock()  # never held across a blocking call

    def offset(self, seq: int) -> str:
        return f"{self._prefix}{seq:x}"

    def _seq_of(self, offset: str) -> int | None:
        if not offset.startswith(self._prefix):
            return None
        try:
            return int(offset[len(self._prefix) :], 16)
        except ValueError:
            return None

    def last_offset(self) -> str:
        """The offset of the latest event logged (the start, if none yet)."""
        return self.offset(self._seq)

    def append(
        self,
        namespace: str,
        rooms: tuple[Any, ...] | None,
        skip: frozenset[str],
        data: list[Any],
        now: float,
    ) -> str:
        """Log an event (its data: the name and arguments) and return its offset."""
        with self._lock:
            self._seq += 1
            self._log.append(_Entry(self._seq, namespace, rooms, skip, data, now))
            if len(self._log) > self.max_packets:
                self._log.popleft()
            return self.offset(self._seq)

    def persist(self, session: SavedSession) -> None:
        with self._lock:
            self._sessions[session.pid] = session

    def restore(
        self, pid: str, offset: str | None, now: float
    ) -> tuple[SavedSession, list[list[Any]]] | None:
        """The session `pid` and the events it missed after `offset` (its
        own, or the one saved with it), or None when it cannot be recovered:
        unknown, expired, or too much missed."""
        with self._lock:
            session = self._sessions.pop(pid, None)
            if session is None:
                return None
            if now - session.disconnected_at > self.max_disconnection_duration:
                return None
            # The client's own offset (the last event it got), else the one
            # logged when it connected; an offset not ours means nothing here.
            since = self._seq_of(offset or session.offset or "")
            if since is None:
                return None
            first = self._log[0].seq if self._log else self._seq + 1
            if since + 1 < first:
                return None  # some of what it missed is gone already
            rooms = set(session.rooms)
            missed = []
            for entry in self._log:
                if entry.seq <= since or entry.namespace != session.namespace:
                    continue
                if session.sid in entry.skip:
                    continue
                if entry.rooms is not None and rooms.isdisjoint(entry.rooms):
                    continue
                missed.append([*entry.data, self.offset(entry.seq)])
                if len(missed) > self.max_missed:
                    return None
            return session, missed

    def expired(self, now: float) -> list[SavedSession]:
        """Forget the sessions and events older than the recovery window;
        return the sessions forgotten (their disconnection is final now)."""
        limit = now - self.max_disconnection_duration
        with self._lock:
            gone = [s for s in self._sessions.values() if s.disconnected_at < limit]
            for session in gone:
                del self._sessions[session.pid]
            while self._log and self._log[0].time < limit:
                self._log.popleft()
            return gone

    def sessions(self) -> Iterable[SavedSession]:
        with self._lock:
            return list(self._sessions.values())
