"""Connection state recovery, the server's side (socket.io-client 4.6+).

The server asks this module at four points: when it emits (log the event,
append its offset), when a client connects (is it coming back? its pid),
when it leaves (save its state; its disconnect handler waits), and, from a
task of its own, when a saved state expires (the disconnection is final:
run the disconnect handler then). The store (`managers.recovery`) keeps the
data.

Enabled with ``connection_state_recovery=True`` or a dict of options:

>>> settings = RecoverySettings.from_option({"max_disconnection_duration": 30})
>>> settings.max_disconnection_duration, settings.defer_disconnect
(30.0, True)
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .. import engine
from ..managers import Target
from ..managers.recovery import MemoryRecoveryStore, RedisRecoveryStore, SavedSession

if TYPE_CHECKING:
    from ..drivers import Driver
    from ..managers import Manager
    from .connection import Connection
    from .recovery_relay import RecoveryRelay

log = logging.getLogger("flask_socketio.server")

#: Disconnections a client may come back from (as Socket.IO's server has them).
RECOVERABLE = frozenset({engine.TRANSPORT_CLOSE, engine.TRANSPORT_ERROR, engine.PING_TIMEOUT})


@dataclass(frozen=True)
class RecoverySettings:
    """The options of ``connection_state_recovery``."""

    #: Seconds a client's state is kept after it drops out.
    max_disconnection_duration: float = 120.0
    #: Events kept in all (the oldest go first), and missed by one client at
    #: most (a client that missed more reconnects afresh).
    max_packets: int = 10_000
    max_missed: int = 1_000
    #: Run disconnect handlers only once a disconnection is final (the client
    #: did not come back in time); False runs them at once, as without recovery.
    defer_disconnect: bool = True
    #: Do not run the connect handler of a client that comes back (Node's
    #: ``skipMiddlewares``); by default it runs, and ``request.recovered`` says so.
    skip_connect_handler: bool = False
    #: Where states and events are kept: ``"memory"`` (this process),
    #: ``"redis"`` (Redis, for a cluster: the message queue's server), or
    #: ``"auto"``: Redis when the message queue is Redis, else memory.
    store: str = "auto"

    @classmethod
    def from_option(cls, option: bool | dict[str, Any] | None) -> RecoverySettings | None:
        if not option:
            return None
        if option is True:
            return cls()
        if not isinstance(option, dict):
            raise TypeError("connection_state_recovery is True or a dict of options")
        names = {field.name for field in dataclasses.fields(cls)}
        unknown = sorted(set(option) - names - {"skip_middlewares"})
        if unknown:
            raise TypeError(
                f"unknown connection_state_recovery option(s) {unknown}; known: {sorted(names)}"
            )
        values = dict(option)
        if "skip_middlewares" in values:  # Node's name
            values["skip_connect_handler"] = values.pop("skip_middlewares")
        if "max_disconnection_duration" in values:
            values["max_disconnection_duration"] = float(values["max_disconnection_duration"])
        if values.get("store", "auto") not in ("auto", "memory", "redis"):
            raise ValueError("connection_state_recovery's store is 'auto', 'memory' or 'redis'")
        return cls(**values)


class Carried:
    """What a client that comes back from another process brings: its
    session data, in the place a `Connection` keeps it (`sessions`), and its
    Flask session (`flask_session`, with ``manage_session``)."""

    __slots__ = ("sessions", "app_state", "flask_session")

    def __init__(self, namespace: str, carried: dict[str, Any] | None) -> None:
        carried = carried or {}
        data = carried.get("data")
        self.sessions: dict[str, dict[str, Any]] = {namespace: data} if data is not None else {}
        self.app_state: Any = None
        self.flask_session: dict[str, Any] | None = carried.get("flask")


class RecoveryState:
    """What a connection keeps for recovery, per namespace: its pid, the
    offset logged when it connected, and the connection it came back from
    (or, from another process, what it brought)."""

    __slots__ = ("pids", "offsets", "previous")

    def __init__(self) -> None:
        self.pids: dict[str, str] = {}
        self.offsets: dict[str, str] = {}
        self.previous: dict[str, Connection | Carried] = {}


@dataclass
class Restored:
    """A client coming back: its saved state and the events it missed."""

    session: SavedSession
    missed: list[list[Any]]

    @property
    def previous(self) -> Connection | Carried:
        """Its connection, when it left this process, else what it brought."""
        if self.session.extra is not None:
            conn: Connection = self.session.extra[0]
            return conn
        return Carried(self.session.namespace, self.session.carried)


def make_store(
    settings: RecoverySettings, manager: Manager[Any]
) -> MemoryRecoveryStore | RedisRecoveryStore:
    """The store `settings` ask for: Redis for a Redis message queue (or
    ``store="redis"``), this process's memory otherwise."""
    url = getattr(manager, "url", None)
    is_redis = isinstance(url, str) and url.startswith(("redis://", "rediss://", "unix://"))
    if settings.store == "redis" and not is_redis:
        raise ValueError("connection_state_recovery store='redis' needs a redis:// message_queue")
    if settings.store == "memory" or not isinstance(url, str) or not is_redis:
        return MemoryRecoveryStore(
            settings.max_disconnection_duration, settings.max_packets, settings.max_missed
        )
    import redis

    options = getattr(manager, "redis_options", None) or {}
    channel = getattr(manager, "channel", "flask-socketio")
    return RedisRecoveryStore(
        redis.Redis.from_url(url, **options),
        f"{channel}:recovery",
        settings.max_disconnection_duration,
        settings.max_packets,
        settings.max_missed,
    )


class Recovery:
    """The server's connection state recovery."""

    def __init__(
        self,
        settings: RecoverySettings,
        driver: Driver,
        manager: Manager[Any],
        new_pid: Callable[[], str],
        finally_disconnected: Callable[[Connection, str, str, str], None],
    ) -> None:
        self.settings = settings
        self.driver = driver
        self.manager = manager
        self.new_pid = new_pid
        self.finally_disconnected = finally_disconnected
        self.store = make_store(settings, manager)
        self._expirer: Any = None
        #: Asks the other processes for the states it does not hold (a
        #: message queue without a shared store), or None; see `relay_through`.
        self.relay: RecoveryRelay | None = None

    def relay_through(self, manager: Manager[Any], peers: Callable[[], int | None]) -> None:
        """With a message queue and states kept in memory, ask the other
        processes for those of clients that come back here from there."""
        from ..managers import PubSubManager
        from .recovery_relay import RecoveryRelay

        if (
            isinstance(self.store, MemoryRecoveryStore)
            and isinstance(manager, PubSubManager)
            and not manager.write_only
        ):
            self.relay = RecoveryRelay(self, self.store, manager, peers)

    # -- emit ---------------------------------------------------------------

    def log(self, target: Target, event: str, args: list[Any]) -> list[Any]:
        """Log an event for the clients that may miss it; its arguments with
        the offset appended, as the clients get them."""
        offset = self.store.append(
            target.namespace, target.rooms, target.skip, [event, *args], self.driver.monotonic()
        )
        return [*args, offset] if offset else args

    # -- connect ------------------------------------------------------------

    def restore(self, namespace: str, auth: Any) -> Restored | None:
        """The saved state of a client coming back with ``{pid, offset}`` in
        its CONNECT packet, if it can be recovered."""
        if not isinstance(auth, dict) or not isinstance(auth.get("pid"), str):
            return None
        offset = auth.get("offset")
        pid, offset = auth["pid"], offset if isinstance(offset, str) else None
        found = self.store.restore(pid, offset, self.driver.monotonic())
        if found is None and self.relay is not None and not self.store.knows(pid):
            found = self.relay.fetch(pid, offset)  # it may come from another process
        if found is None:
            return None
        session, missed = found
        if session.namespace != namespace:
            return None
        if session.extra is None and missed:
            # It left another process: what it missed is logged here again,
            # for it alone, so that every offset it holds from now on is one
            # of this process (should it drop out again before it gets one
            # of ours, its offset would name a log it is no longer in).
            now = self.driver.monotonic()
            missed = [
                [*data[:-1], self.store.append(namespace, (session.sid,), frozenset(),
                                               data[:-1], now) or data[-1]]
                for data in missed
            ]
        return Restored(session, missed)

    def connected(
        self, conn: Connection, namespace: str, sid: str, restored: Restored | None
    ) -> str:
        """Record a connection (a new one, or one coming back); its pid."""
        state = conn.recovery
        if state is None:
            state = conn.recovery = RecoveryState()
        state.offsets[namespace] = self.store.last_offset()
        if restored is None:
            pid = self.new_pid()
        else:
            pid = restored.session.pid
            state.previous[namespace] = restored.previous
            for room in restored.session.rooms:
                self.manager.enter_room(sid, namespace, room)
            data = state.previous[namespace].sessions.get(namespace)
            if data is not None:
                conn.sessions[namespace] = data
        state.pids[namespace] = pid
        return pid

    # -- disconnect ---------------------------------------------------------

    def save(self, conn: Connection, namespace: str, sid: str, reason: str) -> bool:
        """Save the state of a client that left for `reason`, if it may come
        back; True when its disconnect handler is to wait."""
        state = conn.recovery
        if state is None or reason not in RECOVERABLE or namespace not in state.pids:
            return False
        saved = SavedSession(
            state.pids[namespace],
            sid,
            namespace,
            self.manager.get_rooms(sid, namespace),
            state.offsets.get(namespace),
            self.driver.monotonic(),
            extra=(conn, reason),
            carried=_carried(conn, namespace),
        )
        self.store.persist(saved)
        self._start_expirer()
        return self.settings.defer_disconnect

    def _start_expirer(self) -> None:
        if self._expirer is None:
            self._expirer = self.driver.spawn(self._expire)

    def _expire(self) -> None:
        """One task for all saved states: forget the expired ones, and run
        their disconnect handlers now that the disconnection is final."""
        tick = max(0.2, min(10.0, self.settings.max_disconnection_duration / 10))
        while True:
            self.driver.sleep(tick)
            if self.relay is not None:
                self.relay.forget_handed(self.driver.monotonic())
            for saved in self.store.expired(self.driver.monotonic()):
                conn, reason = saved.extra
                if self.settings.defer_disconnect:
                    try:
                        self.finally_disconnected(conn, saved.namespace, saved.sid, reason)
                    except Exception:
                        log.exception(
                            "%s: final disconnect of %s failed", saved.sid, saved.namespace
                        )


def _carried(conn: Connection, namespace: str) -> dict[str, Any]:
    """The session data of a connection that another process needs to
    recover it: the python-socketio session, and the Flask session the
    extension forked (kept in its `app_state`)."""
    flask_session = getattr(conn.app_state, "session", None)
    return {
        "data": conn.sessions.get(namespace),
        "flask": dict(flask_session) if isinstance(flask_session, dict) else None,
    }
