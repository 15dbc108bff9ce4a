"""The Engine.IO server: a WSGI application speaking Engine.IO v3 and v4.

It owns handshakes, sessions, the polling and websocket transports, the
upgrade between them, heartbeats and limits (CORS, cookies and compression
are in `http`). What the messages mean is the business of its `listener`
(the Socket.IO server), which gives each session a handler.

>>> from flask_socketio.drivers import load_driver
>>> engine = Server(load_driver("threading"), cors_allowed_origins="*")
>>> engine.config.ping_interval, engine.config.max_http_buffer_size
(25.0, 1000000)
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Iterable
from typing import Any, Protocol
from urllib.parse import parse_qs, parse_qsl

from .._types import Environ, StartResponse
from ..drivers import Driver, TakenSocket
from ..wire import ProtocolError
from ..wire import engineio as eio
from . import http
from .config import OPTION_NAMES, EngineConfig
from .deadlines import Deadlines
from .limits import AddressLimits
from .observer import EngineObserver
from .session import BusyError, Session, SessionHandler, SwitchedError
from .state import (
    FAIL,
    REPLY_PROBE,
    SERVER_DISCONNECT,
    SWITCH,
    TRANSPORT_CLOSE,
    TRANSPORT_ERROR,
    WEBSOCKET,
    Upgrade,
)
from .websocket import MessageTooBig, WebSocket, upgrade_problem

log = logging.getLogger("flask_socketio.engine")

UNSUPPORTED_VERSION_HINT = (
    "this server speaks EIO=4 (socket.io-client 3.x/4.x, python-socketio 5.x) and, unless "
    "allow_eio3=False, EIO=3 (socket.io-client 1.x/2.x, python-socketio 4.x)"
)
EIO3_REFUSED_HINT = (
    "EIO=3 clients (socket.io-client 1.x/2.x, python-socketio 4.x) are refused because "
    "allow_eio3=False; this server speaks EIO=4 (socket.io-client 3.x/4.x, python-socketio 5.x)"
)


#: Seconds during which the GET of a polling session closed with no GET
#: waiting still gets what it would have got waiting: the close packet (the
#: server closed it), or a noop (a GET that raced its client's POST "1").
LAST_GET_WINDOW = 1.0


class Listener(Protocol):
    """What the engine tells the layer above."""

    def engine_connect(self, session: Session, environ: Environ) -> SessionHandler | None:
        """A new session: its handler, or None to refuse it."""


class UnknownSession(Protocol):
    """Who answers a polling request for a session this engine does not hold
    (`Server.unknown_session`): the answer, or None for the usual 400
    "Session ID unknown". The forwarder of `managers.forward` asks the
    process that holds the session."""

    def __call__(
        self, environ: Environ, start_response: StartResponse, sid: str
    ) -> Iterable[bytes] | None: ...


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


#: engine.io-client 1.5 and older (socket.io-client 1.0 to 1.3) stamp their
#: polling requests with `t=<milliseconds>-<count>`; later ones with yeast ids.
_OLD_TIMESTAMP = re.compile(r"[0-9]+-[0-9]+")


def _reads_binary_only(environ: Environ) -> bool:
    """Whether this polling request comes from an engine.io-client 1.5 or older
    that reads binary payloads (no `b64`): in a browser, it takes a response
    only when it is application/octet-stream, and would reconnect for ever."""
    query = environ.get("QUERY_STRING", "")
    if "t=" not in query or "b64=" in query:
        return False
    stamp = next((v for k, v in parse_qsl(query) if k == "t"), "")
    return _OLD_TIMESTAMP.fullmatch(stamp) is not None


def make_logger(option: bool | logging.Logger, name: str) -> logging.Logger:
    """`True` logs at INFO on our logger, `False` warnings and errors (refused
    and malformed input among them), a Logger is used as is."""
    if isinstance(option, logging.Logger):
        return option
    logger = logging.getLogger(name)
    if option:
        logger.setLevel(logging.INFO)
        if not logging.root.handlers and not logger.handlers:
            logger.addHandler(logging.StreamHandler())
    elif logger.level == logging.NOTSET:
        logger.setLevel(logging.WARNING)
    return logger


def _reader_patience(config: EngineConfig) -> float:
    """Seconds a websocket reader may stay busy in a handler before another
    task reads on: a fraction of the heartbeat, between 50 ms and 1 s."""
    return max(0.05, min(1.0, config.ping_interval / 5, config.ping_timeout / 5))


class Server:
    """Engine.IO server. `options` are those of `EngineConfig`.

    Without a `listener`, it echoes every message back to its sender.
    """

    def __init__(
        self,
        driver: Driver,
        *,
        listener: Listener | None = None,
        logger: bool | logging.Logger = False,
        **options: Any,
    ) -> None:
        self.driver = driver
        self.async_mode = driver.name
        self.config = EngineConfig.build(**options)
        self.logger = make_logger(logger, "flask_socketio.engine")
        self.logger.info("Server initialized for %s.", driver.name)
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
        self.deadlines = Deadlines(driver, _reader_patience(config), self._keep_house)
        self._stopping = False
        #: Told of sessions and packets (metrics, the admin UI), or None; see `observe`.
        self.observer: EngineObserver | None = None
        #: Asked for polling requests whose session is not here (None: 400).
        self.unknown_session: UnknownSession | None = None

    # Code written for python-engineio reads (and sets) the options as
    # attributes: they stand for the configuration, and setting one goes
    # through `configure`'s checks.

    def __getattr__(self, name: str) -> Any:
        if name in OPTION_NAMES or name == "ping_grace":
            return getattr(self.config, name)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __setattr__(self, name: str, value: Any) -> None:
        if name in OPTION_NAMES:
            self.configure(**{name: value})
        else:
            super().__setattr__(name, value)

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

    def configure(self, **options: Any) -> None:
        """Change options (checked as the constructor does); sessions opened
        from now on get them.

        >>> from flask_socketio.drivers import load_driver
        >>> engine = Server(load_driver("threading"))
        >>> engine.configure(ping_timeout=5)
        >>> engine.config.ping_timeout
        5.0
        """
        self.config = config = EngineConfig.build(self.config, **options)
        self.limits.max_connections = config.max_connections_per_address
        self.limits.rate = config.handshakes_per_second_per_address
        self.deadlines.patience = _reader_patience(config)

    @property
    def reader_patience(self) -> float:
        """Seconds a websocket reader may stay busy in a handler before
        another task reads on."""
        return self.deadlines.patience

    # -- sessions -----------------------------------------------------------

    def new_sid(self) -> str:
        return secrets.token_urlsafe(15)

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

    def _new_session(self, version: int, transport: str, b64: bool) -> Session:
        session = Session(
            self.new_sid(), version, self.config, self.driver, self.forget, transport, b64
        )
        if self.logger.isEnabledFor(logging.INFO):
            session.logger = self.logger
        session.observer = self.observer
        return session

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

    def _keep_house(self, now: float) -> bool:
        """What the deadline task does now and then: forget the per-address
        counts nobody needs; True while some are left."""
        return self.limits.prune(now) > 0

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

    def shutdown(self) -> None:
        """Close every session and stop the deadline task."""
        self._stopping = True
        self.disconnect()
        self.deadlines.stop()

    def _live_session(self, sid: str) -> Session | None:
        """The session `sid` if it exists, is reachable over HTTP and has not
        missed a deadline (checked here: a request may come before the reaper)."""
        session = self.sessions.get(sid)
        if session is None or session.in_process:
            return None
        if not session.apply_deadlines(self.driver.monotonic(), self.reader_patience):
            return None
        return session

    # -- WSGI ---------------------------------------------------------------

    def handle_request(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        """The WSGI entry point for requests under the Socket.IO path."""
        method = environ.get("REQUEST_METHOD", "GET")
        query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)

        def arg(name: str) -> str | None:
            values = query.get(name)
            return values[0] if values else None

        config = self.config
        cors = http.cors_headers(environ, config.cors_allowed_origins, config.cors_credentials)
        if cors is None:
            log.warning("refused origin %r (see cors_allowed_origins)", environ.get("HTTP_ORIGIN"))
            return http.error(start_response, http.BAD_REQUEST)
        if method == "OPTIONS":
            return http.ok(start_response, b"", "text/plain", http.preflight_headers(environ, cors))

        version_arg = arg("EIO")
        if version_arg not in ("3", "4") or (version_arg == "3" and not config.allow_eio3):
            hint = EIO3_REFUSED_HINT if version_arg == "3" else UNSUPPORTED_VERSION_HINT
            log.warning("unsupported protocol version EIO=%r: %s", version_arg, hint)
            return http.error(start_response, http.BAD_VERSION, cors, hint)
        version = int(version_arg)
        transport = arg("transport")
        if transport not in config.transports:
            log.info("unknown or disabled transport %r", transport)
            return http.error(start_response, http.UNKNOWN_TRANSPORT, cors)
        jsonp = arg("j")
        if jsonp is not None and (version != 3 or not eio.valid_jsonp_index(jsonp)):
            log.warning("refused JSONP index %r", jsonp[:20])
            return http.error(start_response, http.BAD_REQUEST, cors)
        b64 = arg("b64") in ("1", "true") or jsonp is not None
        sid = arg("sid")

        if sid is None:
            if method != "GET":
                log.info("handshake by %s refused: a session opens with a GET", method)
                return http.error(start_response, http.BAD_HANDSHAKE_METHOD, cors)
            refused = self._admit(environ)
            if refused is not None:
                log.warning("handshake refused: %s", refused)
                return http.too_many(start_response, cors)
            if transport == WEBSOCKET:
                problem = upgrade_problem(environ)
                if problem is not None:
                    log.info("websocket refused: %s", problem)
                    return http.error(start_response, http.BAD_REQUEST, cors)
                return self._websocket(environ, start_response, None, version, b64)
            return self._handshake(environ, start_response, version, b64, jsonp, cors)

        session = self._live_session(sid)
        if session is None and transport == "polling" and sid in self._closing:
            if method == "GET":
                last = self.last_get(sid)
                if last is not None and last[0].version == version:
                    body, content_type = eio.encode_payload(
                        last[1], version, last[0].b64, jsonp, _reads_binary_only(environ)
                    )
                    return http.ok(start_response, body, content_type, list(cors))
            elif method == "POST" and self._closing_by_server(sid):
                return http.ok(start_response, b"ok", "text/html", list(cors))
        if session is None and transport != WEBSOCKET and self.unknown_session is not None:
            answer = self.unknown_session(environ, start_response, sid)
            if answer is not None:
                return answer
        if session is None or session.version != version:
            log.info("unknown session id %r", sid[:40])
            return http.error(start_response, http.UNKNOWN_SID, cors)
        if transport == WEBSOCKET:
            problem = upgrade_problem(environ)
            if problem is None and not config.allow_upgrades:
                problem = "upgrades are not allowed (allow_upgrades=False)"
            if problem is None and not session.begin_upgrade():
                # As the reference server does: accepted, and closed at once.
                log.info(
                    "%s: upgrade refused: the session is on websocket already, or "
                    "upgrading; websocket closed",
                    session.sid,
                )
                return self._close_websocket(environ, start_response)
            if problem is not None:
                log.info("%s: upgrade refused: %s", session.sid, problem)
                return http.error(start_response, http.BAD_REQUEST, cors)
            self.logger.info("%s: Received request to upgrade to websocket", session.sid)
            return self._websocket(environ, start_response, session, version, b64)
        if session.transport != "polling":
            log.info("%s: polling request for a session on websocket, refused", session.sid)
            return http.error(start_response, http.BAD_REQUEST, cors)
        if method == "GET":
            return self._poll(start_response, session, environ, jsonp, cors)
        if method == "POST":
            return self._post(start_response, session, environ, jsonp, cors)
        log.info("%s: method %s refused", session.sid, method)
        return http.error(start_response, http.BAD_REQUEST, cors)

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

    # -- polling ------------------------------------------------------------

    def _handshake(
        self,
        environ: Environ,
        start_response: StartResponse,
        version: int,
        b64: bool,
        jsonp: str | None,
        cors: http.Headers,
    ) -> Iterable[bytes]:
        session = self._new_session(version, "polling", b64)
        config = self.config
        upgrades = ["websocket"] if config.allow_upgrades and WEBSOCKET in config.transports else []
        packet = self._open_packet(session.sid, upgrades)
        if not self.add_session(session, environ):
            return http.error(start_response, http.FORBIDDEN, cors)
        body, content_type = eio.encode_payload(
            [packet], version, b64, jsonp, _reads_binary_only(environ)
        )
        headers = [*cors, *http.cookie_headers(config.cookie, session.sid)]
        return http.ok(start_response, body, content_type, headers)

    def _open_packet(self, sid: str, upgrades: list[str]) -> eio.Packet:
        config = self.config
        packet = eio.open_packet(
            sid, upgrades, config.ping_interval, config.ping_timeout, config.max_http_buffer_size
        )
        self.logger.info("%s: Sending packet OPEN data %s", sid, packet.data)
        return packet

    def _poll(
        self,
        start_response: StartResponse,
        session: Session,
        environ: Environ,
        jsonp: str | None,
        cors: http.Headers,
    ) -> Iterable[bytes]:
        try:
            packets = session.poll(session.config.ping_interval)
        except BusyError:
            log.info("%s: second GET while one is pending, closing", session.sid)
            session.close(TRANSPORT_ERROR)
            return http.error(start_response, http.BAD_REQUEST, cors)
        except SwitchedError:
            log.info("%s: polling request for a session on websocket, refused", session.sid)
            return http.error(start_response, http.BAD_REQUEST, cors)
        body, content_type = eio.encode_payload(
            packets, session.version, session.b64, jsonp, _reads_binary_only(environ)
        )
        if self.observer is not None:
            self.observer.packets_sent(session, len(packets), len(body))
        headers = list(cors)
        if self.config.http_compression:
            body = http.compress(environ, body, headers, self.config.compression_threshold)
        return http.ok(start_response, body, content_type, headers)

    def _post(
        self,
        start_response: StartResponse,
        session: Session,
        environ: Environ,
        jsonp: str | None,
        cors: http.Headers,
    ) -> Iterable[bytes]:
        limit = self.config.max_http_buffer_size
        length = environ.get("CONTENT_LENGTH") or ""
        if length and not length.isdigit():
            log.info("%s: POST with Content-Length %r refused", session.sid, length[:20])
            return http.error(start_response, http.BAD_REQUEST, cors)
        declared = int(length) if length else -1
        if "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
            declared = -1  # the chunks tell the length (RFC 9112, 6.3)
        if declared > limit:
            log.warning("%s: POST of %d bytes over max_http_buffer_size", session.sid, declared)
            return http.too_large(start_response, cors)
        stream = environ["wsgi.input"]
        try:
            body = stream.read(declared) if declared >= 0 else stream.read(limit + 1)
        except OSError:
            body = None
        if body is None or len(body) < declared:
            log.warning("%s: POST body cut off, closing", session.sid)
            session.close(TRANSPORT_ERROR)
            return http.error(start_response, http.BAD_REQUEST, cors)
        if len(body) > limit:
            log.warning("%s: POST over max_http_buffer_size", session.sid)
            return http.too_large(start_response, cors)
        try:
            with session.posting_payload():
                packets = eio.decode_payload(body, session.version, jsonp is not None)
        except BusyError:
            session.close(TRANSPORT_ERROR)
            return http.error(start_response, http.BAD_REQUEST, cors)
        except ProtocolError as exc:
            log.warning("%s: malformed payload (%s), closing", session.sid, exc)
            session.close(TRANSPORT_ERROR)
            return http.error(start_response, http.BAD_REQUEST, cors)
        if self.observer is not None:
            self.observer.packets_received(session, len(packets), len(body))
        for packet in packets:
            if session.closed:
                break
            session.receive(packet)
        return http.ok(start_response, b"ok", "text/html", list(cors))

    # -- websocket ----------------------------------------------------------

    def _websocket(
        self,
        environ: Environ,
        start_response: StartResponse,
        session: Session | None,
        version: int,
        b64: bool,
    ) -> Iterable[bytes]:
        """Serve a websocket: a new session (`session` None) or the upgrade of
        a polling one (which `begin_upgrade` already accepted)."""
        taken = self.driver.take_socket(environ)
        if taken is None:
            log.warning("this WSGI server gives no access to the socket: websocket refused")
            if session is not None:
                session.abort_upgrade()
            return http.error(start_response, http.BAD_REQUEST)
        upgrading = session is not None
        greeting = None  # a new session's open packet, sent with the 101
        if session is None:
            session = self._new_session(version, WEBSOCKET, b64)
            greeting = self._open_packet(session.sid, []).text(version)
        ws = self._accept_websocket(environ, taken, greeting)
        try:
            if not upgrading:
                if not self.add_session(session, environ):
                    ws.close()
                    return self._done(start_response, ws)
                session.attach_websocket(ws, b64)
            elif not self._upgrade(session, ws, b64):
                ws.close()
                return self._done(start_response, ws)
            session.read_websocket()
        except MessageTooBig as exc:
            log.warning("%s: %s", session.sid, exc)
            session.close(TRANSPORT_ERROR, notify=False)
        except OSError:
            session.close(TRANSPORT_CLOSE, notify=False)
        finally:
            ws.close()
        return self._done(start_response, ws)

    def _accept_websocket(
        self, environ: Environ, taken: TakenSocket, greeting: str | None = None
    ) -> WebSocket:
        return WebSocket.accept(
            environ,
            taken,
            self.config.max_http_buffer_size,
            self.driver.Lock(),
            self.driver.nonblocking_send,
            greeting,
        )

    def _close_websocket(
        self, environ: Environ, start_response: StartResponse
    ) -> Iterable[bytes]:
        """Accept a websocket (101) and close it at once."""
        taken = self.driver.take_socket(environ)
        if taken is None:
            return http.error(start_response, http.BAD_REQUEST)
        ws = self._accept_websocket(environ, taken)
        ws.close()
        return self._done(start_response, ws)

    def _upgrade(self, session: Session, ws: WebSocket, b64: bool) -> bool:
        """Hold the upgrade dialogue on `ws`; True once the session moved to it."""
        upgrade = Upgrade()
        timeout = session.config.upgrade_timeout
        try:
            while True:
                step = upgrade.receive(ws.receive(timeout))
                if step == FAIL:
                    self.logger.info("%s: Failed websocket upgrade", session.sid)
                    session.abort_upgrade()
                    return False
                if step == SWITCH:
                    self.logger.info("%s: Upgrade to websocket successful", session.sid)
                    if not session.attach_websocket(ws, b64):
                        return False
                    if self.observer is not None:
                        self.observer.session_upgraded(session)
                    return True
                if step == REPLY_PROBE:
                    ws.send(eio.Packet(eio.PONG, "probe").text(session.version))
                    # A pending GET returns, so that the client stops polling.
                    session.probed()
        except OSError:
            session.abort_upgrade()
            return False

    @staticmethod
    def _done(start_response: StartResponse, ws: WebSocket) -> list[bytes]:
        if ws.upgraded_by_server:
            return []  # the server sent the 101 itself and takes no other response
        # The socket was taken over and shut down: whatever the WSGI server
        # writes now goes nowhere, which it reports as a dropped connection.
        start_response("200 OK", [("Content-Length", "0")])
        return []


__all__ = ["Listener", "Server", "UnknownSession", "make_logger"]
