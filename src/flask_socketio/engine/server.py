"""The Engine.IO server: a WSGI application speaking Engine.IO v3 and v4.

It owns handshakes, sessions, the polling and websocket transports, the
upgrade between them, heartbeats and limits. What the messages mean is the
business of its `listener` (the Socket.IO server), which gives each session a
handler.

`Server` holds the options and routes each request (`handle_request`); its
bases do the rest: `Transports` (transports.py) answers the handshake,
polling GETs and POSTs and websockets, over `Sessions` (sessions.py), the
registry of the open sessions. CORS, cookies and compression are in `http`.

>>> from flask_socketio.drivers import load_driver
>>> engine = Server(load_driver("threading"), cors_allowed_origins="*")
>>> engine.config.ping_interval, engine.config.max_http_buffer_size
(25.0, 1000000)
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any, Protocol
from urllib.parse import parse_qs

from .._types import Environ, StartResponse
from ..drivers import Driver
from ..wire import engineio as eio
from . import http
from .config import OPTION_NAMES, EngineConfig
from .sessions import Listener, reader_patience_of
from .state import WEBSOCKET
from .transports import Transports, _reads_binary_only
from .websocket import upgrade_problem

log = logging.getLogger("flask_socketio.engine")

UNSUPPORTED_VERSION_HINT = (
    "this server speaks EIO=4 (socket.io-client 3.x/4.x, python-socketio 5.x) and, unless "
    "allow_eio3=False, EIO=3 (socket.io-client 1.x/2.x, python-socketio 4.x)"
)
EIO3_REFUSED_HINT = (
    "EIO=3 clients (socket.io-client 1.x/2.x, python-socketio 4.x) are refused because "
    "allow_eio3=False; this server speaks EIO=4 (socket.io-client 3.x/4.x, python-socketio 5.x)"
)


class UnknownSession(Protocol):
    """Who answers a polling request for a session this engine does not hold
    (`Server.unknown_session`): the answer, or None for the usual 400
    "Session ID unknown". The forwarder of `managers.forward` asks the
    process that holds the session."""

    def __call__(
        self, environ: Environ, start_response: StartResponse, sid: str
    ) -> Iterable[bytes] | None: ...


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


class Server(Transports):
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
        super().__init__(listener)
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
        self.deadlines.patience = reader_patience_of(config)

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


__all__ = ["Listener", "Server", "UnknownSession", "make_logger"]
