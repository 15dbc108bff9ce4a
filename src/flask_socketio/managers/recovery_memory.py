"""The recovery store of a single process (see `recovery`): saved sessions
and the log of recent events in memory, bounded.

>>> store = MemoryRecoveryStore(max_packets=2)
>>> offsets = [store.append("/", None, frozenset(), ["tick", n], now=0.0) for n in range(3)]
>>> store.last_offset() == offsets[-1]
True
"""

from __future__ import annotations

import secrets
import threading
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .recovery_session import SavedSession


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

    def knows(self, pid: str) -> bool:
        """Whether this process holds the state `pid`."""
        return pid in self._sessions

    def restore(
        self, pid: str, offset: str | None, now: float
    ) -> tuple[SavedSession, list[list[Any]]] | None:
        """The session `pid` and the events it missed after `offset` (its
        own, or the one saved with it), or None when it cannot be recovered:
        unknown, expired, or too much missed. A session that cannot be
        recovered stays until it expires: its disconnection is final then."""
        with self._lock:
            session = self._sessions.get(pid)
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
            del self._sessions[pid]
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


__all__ = ["MemoryRecoveryStore"]
