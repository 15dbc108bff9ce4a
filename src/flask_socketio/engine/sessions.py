"""The engine's sessions: the registry of the open ones, by sid.

`Sessions` is a base of `Server` (server.py): it admits a new session
(the per-address limits), makes it, offers it to the `Listener` (the
layer above, which gives it a handler), schedules its deadlines, forgets it
once closed, and keeps for a moment the polling sessions whose last GET is
owed (`last_get`); `shutdown` closes them all. `Server` routes the HTTP
requests to them.

>>> from flask_socketio.drivers import load_driver
>>> from flask_socketio.engine import Server
>>> engine = Server(load_driver("threading"))
>>> engine.sessions, engine.accepting
({}, True)
>>> engine.shutdown()
>>> engine.accepting
False
"""

from __future__ import annotations

import logging
import secrets
from typing import Protocol

from .._types import Environ
from ..drivers import Driver
from ..wire import engineio as eio
from .config import EngineConfig
from .deadlines import Deadlines
from .limits import AddressLimits
from .observer import EngineObserver
from .session import Session, SessionHandler
from .state import SERVER_DISCONNECT

log = logging.getLogger("flask_socketio.engine")

#: Seconds during which the GET of a polling session closed with no GET
#: waiting still gets what it would have got waiting: the close packet (the
#: server closed it), or a noop (a GET that raced its client's POST "1").
LAST_GET_WINDOW = 1.0


class Listener(Protocol):
    """What the engine tells the layer above."""

    def engine_connect(self, session: Session, environ: Environ) -> SessionHandler | None:
        """A new session: its handler, or None to refuse it."""


class _EchoListener:
    """Without a listener, the engine echoes every message (a bare Engine.IO
    server, as the protocol's test suites expect)."""

    def engine_connect(self, session: Session, environ: Environ) -> SessionHandler:
        return _Echo(session)


class _Echo:
    def __init__(self, session: Session) -> None:
        self.session = session

    def message(self, data: str | bytes, inline: bool) -> None:
        self.session.send(eio.Packet(eio.MESSAGE, data))

    def closed(self, reason: str) -> None:
        pass


def reader_patience_of(config: EngineConfig) -> float:
    """Seconds a websocket reader may stay busy in a handler before another
    task reads on: a fraction of the heartbeat, between 50 ms and 1 s."""
    return max(0.05, min(1.0, config.ping_interval / 5, config.ping_timeout / 5))


class Sessions:
    """The open sessions of an engine, and what opens and closes them.

    `Server` sets `driver`, `config` and `logger` before it calls this
    constructor, and owns `configure` (which updates `limits` and the
    deadlines' patience).
    """

    driver: Driver
    config: EngineConfig
    logger: logging.Logger

    def __init__(self, listener: Listener | None) -> None:
        self.listener: Listener = listener or _EchoListener()
        self.sessions: dict[str, Session] = {}
        # Sessions closed over polling with no GET waiting, and until when
        # their next GET gets what a waiting one would have (see `last_get`).
        self._closing: dict[str, tuple[Session, float]] = {}
        config = self.config
        self.limits = AddressLimits(
            config.max_connections_per_address, config.handshakes_per_second_per_address
        )
        #: Every session's next deadline, and the one task that acts on them.
        self.deadlines = Deadlines(self.driver, reader_patience_of(config), self._keep_house)
        self._stopping = False
        #: Told of sessions and packets (metrics, the admin UI), or None; see `observe`.
        self.observer: EngineObserver | None = None

    @property
    def sockets(self) -> dict[str, Session]:
        """The open sessions by sid (python-engineio's name)."""
        return self.sessions

    @property
    def accepting(self) -> bool:
        """False once `shutdown` was called (a health check reads it)."""
        return not self._stopping

    def observe(self, observer: EngineObserver | None) -> None:
        """Make `observer` the one told of sessions and packets (None: nobody),
        for the sessions open now and those to come."""
        self.observer = observer
        for session in list(self.sessions.values()):
            session.observer = observer

    @property
    def reader_patience(self) -> float:
        """Seconds a websocket reader may stay busy in a handler before
        another task reads on."""
        return self.deadlines.patience

    # -- opening ------------------------------------------------------------

    def _admit(self, environ: Environ) -> str | None:
        """Whether the client address may open one more session (the optional
        limits), or why not; and say so when it opens them in a tight loop."""
        address = environ.get("REMOTE_ADDR") or "-"
        now = self.driver.monotonic()
        refused = self.limits.admit(address, now)
        count = self.limits.storming(address, now)
        if count:
            log.warning(
                "%d handshakes from %s in a few seconds: a client reconnecting in a "
                "loop? (old socket.io clients that cannot read the server's answers do)",
                count,
                address,
            )
        return refused

    def new_sid(self) -> str:
        return secrets.token_urlsafe(15)

    def _new_session(self, version: int, transport: str, b64: bool) -> Session:
        session = Session(
            self.new_sid(), version, self.config, self.driver, self.forget, transport, b64
        )
        if self.logger.isEnabledFor(logging.INFO):
            session.logger = self.logger
        session.observer = self.observer
        return session

    def add_session(self, session: Session, environ: Environ) -> bool:
        """Register a new session and offer it to the listener; False (and the
        session forgotten) if the listener refuses it."""
        self.sessions[session.sid] = session
        handler = self.listener.engine_connect(session, environ)
        if handler is None:
            self.sessions.pop(session.sid, None)
            session.state.close()
            return False
        session.handler = handler
        if not session.in_process:
            session.address = environ.get("REMOTE_ADDR") or "-"
            self.limits.opened(session.address)
            session.deadlines = self.deadlines
            self.deadlines.schedule(session, session.next_deadline(self.reader_patience))
        if self.observer is not None:
            session.observer = self.observer
            self.observer.session_opened(session, environ)
        return True

    # -- finding ------------------------------------------------------------

    def _live_session(self, sid: str) -> Session | None:
        """The session `sid` if it exists, is reachable over HTTP and has not
        missed a deadline (checked here: a request may come before the reaper)."""
        session = self.sessions.get(sid)
        if session is None or session.in_process:
            return None
        if not session.apply_deadlines(self.driver.monotonic(), self.reader_patience):
            return None
        return session

    # -- closing ------------------------------------------------------------

    def forget(self, session: Session, reason: str = "") -> None:
        """Drop a closed session (the `on_close` callback of its sessions)."""
        if self.sessions.get(session.sid) is session:
            del self.sessions[session.sid]
            if session.address is not None:
                self.limits.closed(session.address)
            if session.last_get_owed:
                now = self.driver.monotonic()
                self._prune_closing(now)
                self._closing[session.sid] = (session, now + LAST_GET_WINDOW)
        if self.observer is not None:
            self.observer.session_closed(session, reason)

    def disconnect(self, sid: str | None = None) -> None:
        """Close one session, or all of them."""
        targets = [self.sessions.get(sid)] if sid else list(self.sessions.values())
        for session in targets:
            if session is not None:
                session.close(SERVER_DISCONNECT)

    def shutdown(self) -> None:
        """Close every session and stop the deadline task."""
        self._stopping = True
        self.disconnect()
        self.deadlines.stop()

    def _keep_house(self, now: float) -> bool:
        """What the deadline task does now and then: forget the per-address
        counts nobody needs; True while some are left."""
        return self.limits.prune(now) > 0

    # -- the last GET of a polling session closed meanwhile -----------------

    def _prune_closing(self, now: float) -> None:
        closing = self._closing
        while closing:
            sid, (_, until) = next(iter(closing.items()))
            if until > now:
                return
            closing.pop(sid, None)

    def _closing_session(self, sid: str) -> Session | None:
        entry = self._closing.get(sid)
        if entry is None:
            return None
        if self.driver.monotonic() >= entry[1]:
            self._closing.pop(sid, None)
            return None
        return entry[0]

    def last_get(self, sid: str) -> tuple[Session, list[eio.Packet]] | None:
        """For a GET of the session `sid`, closed less than `LAST_GET_WINDOW`
        seconds ago over polling while no GET waited: the packets a waiting
        GET would have got (the close packet when the server closed it, a
        noop when the client did: its GET and its POST "1" race on two
        connections); the first GET only, whether it came before or after
        the close (`Session.poll` takes it too)."""
        session = self._closing_session(sid)
        if session is None:
            return None
        self._closing.pop(sid, None)
        with session.lock:
            if not session.last_get_owed:
                return None
            session.last_get_owed = False
            packets = list(session.queue)
            session.queue.clear()
            session.queued_bytes = 0
        return session, packets or [eio.Packet(eio.NOOP)]

    def _closing_by_server(self, sid: str) -> bool:
        """Whether `sid` is a session the server closed, whose close packet
        waits for the client's next GET: its POSTs meanwhile are accepted and
        ignored, as the reference server does."""
        session = self._closing_session(sid)
        if session is None:
            return False
        with session.lock:
            return session.last_get_owed and any(p.type == eio.CLOSE for p in session.queue)


__all__ = ["LAST_GET_WINDOW", "Listener", "Sessions", "reader_patience_of"]
