"""The recovery store of a cluster (see `recovery`): saved sessions and the
log of recent events in Redis, where every process finds them.

>>> import redis
>>> store = RedisRecoveryStore(redis.Redis(), "chat:recovery")  # doctest: +SKIP
>>> store.last_offset()  # doctest: +SKIP
'5f3a9c01-1733029200000-0'
"""

from __future__ import annotations

import logging
import re
import secrets
import threading
import time
from collections.abc import Iterable
from typing import Any

from .recovery_session import SavedSession

log = logging.getLogger("flask_socketio.server")


#: An offset of `RedisRecoveryStore`: the logging process's prefix, then the
#: id of the event in that process's Redis stream.
_REDIS_OFFSET = re.compile(r"^([0-9a-f]{8})-(\d+-\d+)$")
#: Seconds Redis keeps a saved state past the recovery window, so that the
#: process that saved it decides (it deletes it) whether the disconnection
#: was final.
_GRACE = 60
#: Delete a saved state if it is the save named by ARGV[1] (its token).
_DELETE_IF_SAVE = """
local value = redis.call('GET', KEYS[1])
if value and string.find(value, ARGV[1], 1, true) then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


def _hashable(value: Any) -> Any:
    """A room name back from JSON: lists become tuples again."""
    if isinstance(value, list):
        return tuple(_hashable(v) for v in value)
    return value


class RedisRecoveryStore:
    """Saved sessions and the log of recent events in Redis, for a cluster.

    Each process logs, in a Redis stream of its own, every event it
    delivers (its own emits and those relayed to it), in the order it
    delivers them: the offsets its clients hold are positions in that
    stream. A client that comes back through another process is recovered
    there from its saved state (a key per pid, with its sid, rooms and
    session data) and from the stream of the process it left.

    Keys: ``{key}:log:{prefix}`` (a stream, at most about `max_packets`
    entries, gone `max_disconnection_duration` + 60 s after its process's
    last event) and ``{key}:pid:{pid}`` (a saved state, for as long).

    >>> import redis
    >>> store = RedisRecoveryStore(redis.Redis(), "chat:recovery")  # doctest: +SKIP
    """

    def __init__(
        self,
        redis: Any,
        key: str,
        max_disconnection_duration: float = 120.0,
        max_packets: int = 10_000,
        max_missed: int = 1_000,
        dumps: Any = None,
        loads: Any = None,
    ) -> None:
        from .codec import dumps as default_dumps
        from .codec import loads as default_loads

        self.redis = redis
        self.key = key
        self.max_disconnection_duration = float(max_disconnection_duration)
        self.max_packets = int(max_packets)
        self.max_missed = int(max_missed)
        self._dumps = dumps or default_dumps
        self._loads = loads or default_loads
        self._prefix = secrets.token_hex(4)
        self._stream = f"{key}:log:{self._prefix}"
        self._ttl = int(self.max_disconnection_duration) + _GRACE
        self._lock = threading.Lock()
        #: The states this process saved, until they come back or expire.
        self._sessions: dict[str, SavedSession] = {}
        #: The latest entry of this process's stream; "" until the first
        #: (a start marker, so that every offset handed out names an entry).
        self._last = ""
        #: Set when an event could not be logged (Redis unreachable): the
        #: next entry is a gap, so that no client recovers past it.
        self._lost = False
        self._expire_set = -float("inf")  # when the stream's TTL was last renewed

    def _add(self, fields: dict[str, Any]) -> str:
        data = {"e": self._dumps(fields)}
        now = time.monotonic()
        if now - self._expire_set < self._ttl / 4:
            # One command per event; the stream's lifetime is renewed now and then.
            entry_id = self.redis.xadd(
                self._stream, data, maxlen=self.max_packets, approximate=True
            )
        else:
            pipe = self.redis.pipeline(transaction=False)
            pipe.xadd(self._stream, data, maxlen=self.max_packets, approximate=True)
            pipe.expire(self._stream, self._ttl)
            entry_id, _ = pipe.execute()
            self._expire_set = now
        return _decode(entry_id)

    def offset(self, entry_id: str) -> str:
        return f"{self._prefix}-{entry_id}"

    def last_offset(self) -> str:
        """The offset of the latest event logged by this process ("" when
        Redis cannot be reached: such a client will not recover)."""
        if not self._last:
            try:
                entry_id = self._add({"start": True})
            except Exception:
                log.warning("recovery: Redis unreachable", exc_info=True)
                return ""
            with self._lock:
                self._last = self._last or entry_id
        return self.offset(self._last)

    def append(
        self,
        namespace: str,
        rooms: tuple[Any, ...] | None,
        skip: frozenset[str],
        data: list[Any],
        now: float,
    ) -> str:
        """Log an event in Redis and return its offset. An event that cannot
        be stored (not JSON) is logged as a gap: a client that missed it
        connects afresh rather than recover without it."""
        fields: dict[str, Any] = {
            "n": namespace,
            "r": None if rooms is None else list(rooms),
            "s": sorted(skip),
            "d": data,
        }
        try:
            self._dumps(fields)
        except (TypeError, ValueError):
            log.warning("event %r cannot be kept for recovery (not JSON)", data[:1])
            fields = {"n": namespace, "gap": True}
        try:
            if self._lost:
                self._add({"gap": True, "all": True})
                self._lost = False
            entry_id = self._add(fields)
        except Exception:
            # The emit goes on; the clients that miss it will not recover.
            log.warning("recovery: an event could not be logged in Redis", exc_info=True)
            self._lost = True
            return ""
        with self._lock:
            self._last = max(self._last or "0-0", entry_id, key=_stream_key)
        return self.offset(entry_id)

    def persist(self, session: SavedSession) -> None:
        session.token = secrets.token_hex(8)
        record = {
            "sid": session.sid,
            "namespace": session.namespace,
            "rooms": session.rooms,
            "offset": session.offset,
            "at": time.time(),
            "carried": session.carried,
            "token": session.token,
        }
        try:
            raw = self._dumps(record)
        except (TypeError, ValueError):
            # Its session data is not JSON: only this process can recover it.
            log.warning("%s: session data not JSON; recoverable in this process only", session.sid)
            raw = self._dumps({**record, "carried": None, "local_only": True})
        with self._lock:
            self._sessions[session.pid] = session
        try:
            if self._lost:
                self._add({"gap": True, "all": True})
                self._lost = False
            self.redis.set(f"{self.key}:pid:{session.pid}", raw, ex=self._ttl)
        except Exception:
            log.warning("%s: its state could not be saved in Redis", session.sid, exc_info=True)

    def knows(self, pid: str) -> bool:
        """Whether this process saved the state `pid` (it may have been
        recovered elsewhere since)."""
        return pid in self._sessions

    def restore(
        self, pid: str, offset: str | None, now: float
    ) -> tuple[SavedSession, list[list[Any]]] | None:
        """Read the saved state `pid` (whichever process saved it) and the
        events it missed, and claim it; None when it cannot be recovered (a
        state that cannot be recovered stays until it expires: its
        disconnection is final then)."""
        with self._lock:
            local = self._sessions.get(pid)
        try:
            found = self._restore(pid, offset, now, local)
        except Exception:
            log.warning("recovery: Redis unreachable, %s connects afresh", pid, exc_info=True)
            return None
        if found is not None and local is not None:
            with self._lock:
                if self._sessions.get(pid) is local:
                    del self._sessions[pid]
        return found

    def _restore(
        self, pid: str, offset: str | None, now: float, local: SavedSession | None
    ) -> tuple[SavedSession, list[list[Any]]] | None:
        key = f"{self.key}:pid:{pid}"
        raw = self.redis.get(key)
        if raw is None:
            return None
        record = self._loads(raw)
        if time.time() - float(record["at"]) > self.max_disconnection_duration:
            return None
        if local is not None and record.get("token") != local.token:
            local = None  # an earlier save here, since recovered elsewhere
        if record.get("local_only") and local is None:
            return None
        saved = record.get("offset") or ""
        found = _REDIS_OFFSET.match(offset or saved)
        if found is None or found.group(1) != saved.partition("-")[0]:
            # Not an offset of the process it left: nothing to read from.
            return None
        prefix, since = found.groups()
        missed = self._missed(
            f"{self.key}:log:{prefix}", prefix, since, record["namespace"], record["sid"],
            {_hashable(room) for room in record["rooms"]},
        )
        if missed is None:
            return None
        # Claimed only now, and only if it is still this save.
        if not self.redis.eval(_DELETE_IF_SAVE, 1, key, f'"token":"{record.get("token")}"'):
            return None
        session = SavedSession(
            pid,
            record["sid"],
            record["namespace"],
            [_hashable(room) for room in record["rooms"]],
            record.get("offset"),
            now,
            extra=local.extra if local is not None else None,
            carried=record.get("carried"),
        )
        return session, missed

    def _missed(
        self, stream: str, prefix: str, since: str, namespace: str, sid: str, rooms: set[Any]
    ) -> list[list[Any]] | None:
        """The events of `stream` after `since` meant for the client, or None
        if some are gone (or too many)."""
        missed: list[list[Any]] = []
        start = since
        first = True
        read = 0
        while True:
            page = self.redis.xrange(stream, min=start, max="+", count=500)
            if first:
                # The client's own last entry must still be there, else what
                # came right after it may be gone.
                if not page or _decode(page[0][0]) != since:
                    return None
                page = page[1:]
                first = False
            if not page:
                return missed
            for entry_id, fields in page:
                read += 1
                entry = self._loads(fields[b"e"] if b"e" in fields else fields["e"])
                if entry.get("all") or (entry.get("gap") and entry.get("n") == namespace):
                    return None
                if entry.get("start") or entry.get("n") != namespace:
                    continue
                if sid in entry.get("s", ()):
                    continue
                targets = entry.get("r")
                if targets is not None and rooms.isdisjoint(_hashable(r) for r in targets):
                    continue
                missed.append([*entry["d"], f"{prefix}-{_decode(entry_id)}"])
                if len(missed) > self.max_missed:
                    return None
            if read > self.max_packets * 2:
                return None
            start = "(" + _decode(page[-1][0])

    def expired(self, now: float) -> list[SavedSession]:
        """The states this process saved that nobody claimed in time (their
        disconnection is final); those claimed by another process are
        forgotten silently."""
        limit = now - self.max_disconnection_duration
        with self._lock:
            gone = [s for s in self._sessions.values() if s.disconnected_at < limit]
            for session in gone:
                del self._sessions[session.pid]
        final = []
        for session in gone:
            try:
                # Deleted only if it is still this save (not claimed, nor saved
                # again by the process it came back to).
                claimed = not self.redis.eval(
                    _DELETE_IF_SAVE, 1, f"{self.key}:pid:{session.pid}",
                    f'"token":"{session.token}"',
                )
            except Exception:
                log.warning("recovery: Redis unreachable; %s's disconnection is final",
                            session.sid, exc_info=True)
                claimed = False
            if not claimed:
                final.append(session)
        return final

    def sessions(self) -> Iterable[SavedSession]:
        with self._lock:
            return list(self._sessions.values())


def _decode(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _stream_key(entry_id: str) -> tuple[int, int]:
    ms, _, seq = entry_id.partition("-")
    return int(ms), int(seq or 0)


__all__ = ["RedisRecoveryStore"]
