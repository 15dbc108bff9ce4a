"""The Engine.IO server: a WSGI application speaking Engine.IO v3 and v4.

It owns handshakes, sessions, the polling and websocket transports, the
upgrade between them, heartbeats, limits, CORS, cookies and compression. What
the messages mean is the business of its `listener` (the Socket.IO server).

>>> from flask_socketio.drivers import load_driver
>>> engine = Server(load_driver("threading"), cors_allowed_origins="*")
>>> engine.ping_interval, engine.max_http_buffer_size
(25.0, 1000000)
"""

from __future__ import annotations

import gzip
import json
import logging
import secrets
import zlib
from collections.abc import Callable, Iterable
from typing import Any, Protocol
from urllib.parse import parse_qs

from ..wire import ProtocolError
from ..wire import engineio as eio
from .session import (
    CLIENT_DISCONNECT,
    PING_TIMEOUT,
    SERVER_DISCONNECT,
    TRANSPORT_CLOSE,
    TRANSPORT_ERROR,
    BusyError,
    Session,
)
from .websocket import MessageTooBig, WebSocket, is_upgrade_request

log = logging.getLogger("flask_socketio.engine")

StartResponse = Callable[..., Any]

ERRORS = {
    0: ("400 BAD REQUEST", "Transport unknown"),
    1: ("400 BAD REQUEST", "Session ID unknown"),
    2: ("400 BAD REQUEST", "Bad handshake method"),
    3: ("400 BAD REQUEST", "Bad request"),
    4: ("403 FORBIDDEN", "Forbidden"),
    5: ("400 BAD REQUEST", "Unsupported protocol version"),
}
UNSUPPORTED_VERSION_HINT = (
    "this server speaks EIO=4 (socket.io-client 3.x/4.x, python-socketio 5.x) and, unless "
    "allow_eio3=False, EIO=3 (socket.io-client 1.x/2.x, python-socketio 4.x)"
)
EIO3_REFUSED_HINT = (
    "EIO=3 clients (socket.io-client 1.x/2.x, python-socketio 4.x) are refused because "
    "allow_eio3=False; this server speaks EIO=4 (socket.io-client 3.x/4.x, python-socketio 5.x)"
)
_PROBE_TIMEOUT = 10.0

__all__ = [
    "CLIENT_DISCONNECT",
    "PING_TIMEOUT",
    "SERVER_DISCONNECT",
    "TRANSPORT_CLOSE",
    "TRANSPORT_ERROR",
    "Listener",
    "Server",
    "Session",
]


class Listener(Protocol):
    """What the engine tells the layer above."""

    def engine_connect(self, session: Session, environ: dict[str, Any]) -> bool: ...

    def engine_message(self, session: Session, data: str | bytes, inline: bool) -> None:
        """A message of the client; `inline`: called by the websocket's reader,
        which may run the handlers itself."""

    def engine_disconnect(self, session: Session, reason: str) -> None: ...


class _NullListener:
    def engine_connect(self, session: Session, environ: dict[str, Any]) -> bool:
        return True

    def engine_message(self, session: Session, data: str | bytes, inline: bool) -> None:
        pass

    def engine_disconnect(self, session: Session, reason: str) -> None:
        pass


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


class Server:
    """Engine.IO server. See the package docs for every option."""

    def __init__(
        self,
        driver: Any,
        *,
        ping_interval: float | tuple[float, float] = 25,
        ping_timeout: float = 20,
        max_http_buffer_size: int = 1_000_000,
        allow_upgrades: bool = True,
        transports: Iterable[str] | None = None,
        http_compression: bool = True,
        compression_threshold: int = 1024,
        cookie: str | dict[str, Any] | None = None,
        cors_allowed_origins: str | list[str] | Callable[[str], bool] | None = None,
        cors_credentials: bool = True,
        logger: bool | logging.Logger = False,
        connect_timeout: float = 45,
        allow_eio3: bool = True,
        max_queue_size: int = 10_000,
        listener: Listener | None = None,
    ) -> None:
        self.driver = driver
        if isinstance(ping_interval, (tuple, list)):
            self.ping_interval, self.ping_grace = float(ping_interval[0]), float(ping_interval[1])
        else:
            self.ping_interval, self.ping_grace = float(ping_interval), 0.0
        self.ping_timeout = float(ping_timeout)
        self.max_http_buffer_size = int(max_http_buffer_size)
        self.allow_upgrades = allow_upgrades
        self.transports = tuple(transports or ("polling", "websocket"))
        unknown = set(self.transports) - {"polling", "websocket"}
        if unknown:
            raise ValueError(f"unknown transports {sorted(unknown)}; use polling and/or websocket")
        self.http_compression = http_compression
        self.compression_threshold = compression_threshold
        self.cookie = cookie
        self.cors_allowed_origins = cors_allowed_origins
        self.cors_credentials = cors_credentials
        self.logger = make_logger(logger, "flask_socketio.engine")
        self.connect_timeout = connect_timeout
        self.allow_eio3 = allow_eio3
        self.max_queue_size = max_queue_size
        self.listener: Listener = listener or _NullListener()
        self.sessions: dict[str, Session] = {}
        self._reaper: Any = None
        self._reaper_lock = driver.Lock()
        # Seconds a websocket reader may stay busy in a handler before another
        # task reads on (set with the reaper's period when it starts).
        self.reader_patience = 1.0
        self._stopping = False

    @property
    def async_mode(self) -> str:
        return self.driver.name

    # -- sessions -----------------------------------------------------------

    def new_sid(self) -> str:
        return secrets.token_urlsafe(15)

    def _open(self, version: int, transport: str, environ: dict[str, Any], b64: bool) -> Session:
        session = Session(self, self.new_sid(), version, transport, environ, b64)
        self.sessions[session.sid] = session
        self._start_reaper()
        return session

    def open_local(
        self,
        environ: dict[str, Any],
        deliver: Callable[[list[eio.Packet]], None],
        version: int = 4,
    ) -> Session:
        """An in-process session whose packets go to `deliver` (the test client)."""
        session = Session(self, self.new_sid(), version, "local", environ)
        session.deliver = deliver
        session.connect_deadline = None
        self.sessions[session.sid] = session
        if not self.listener.engine_connect(session, environ):
            session.close(SERVER_DISCONNECT, notify=False)
        return session

    def forget(self, session: Session) -> None:
        if self.sessions.get(session.sid) is session:
            del self.sessions[session.sid]

    def disconnect(self, sid: str | None = None) -> None:
        """Close one session, or all of them."""
        targets = [self.sessions.get(sid)] if sid else list(self.sessions.values())
        for session in targets:
            if session is not None:
                session.close(SERVER_DISCONNECT)

    def _start_reaper(self) -> None:
        if self._reaper is not None:
            return
        with self._reaper_lock:
            if self._reaper is None:
                self._reaper = self.driver.spawn(self._reap)

    def _reap(self) -> None:
        """One task checks every session's deadlines: no timer per connection."""
        tick = max(0.05, min(1.0, self.ping_interval / 5, self.ping_timeout / 5))
        # A websocket reader busy in a handler for a tick or two gets relieved.
        self.reader_patience = tick
        while not self._stopping:
            self.driver.sleep(tick)
            now = self.driver.monotonic()
            for session in list(self.sessions.values()):
                try:
                    session.check(now)
                except Exception:
                    log.exception("%s: error while checking deadlines", session.sid)

    def shutdown(self) -> None:
        """Close every session and stop the deadline task."""
        self._stopping = True
        self.disconnect()

    # -- WSGI ---------------------------------------------------------------

    def handle_request(
        self, environ: dict[str, Any], start_response: StartResponse
    ) -> Iterable[bytes]:
        """The WSGI entry point for requests under the Socket.IO path."""
        method = environ.get("REQUEST_METHOD", "GET")
        query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)

        def arg(name: str) -> str | None:
            values = query.get(name)
            return values[0] if values else None

        cors = self._cors_headers(environ)
        if cors is None:
            log.warning("refused origin %r (see cors_allowed_origins)", environ.get("HTTP_ORIGIN"))
            return self._error(start_response, 3, [])
        if method == "OPTIONS":
            return self._preflight(environ, start_response, cors)

        version_arg = arg("EIO")
        if version_arg not in ("3", "4") or (version_arg == "3" and not self.allow_eio3):
            hint = EIO3_REFUSED_HINT if version_arg == "3" else UNSUPPORTED_VERSION_HINT
            log.warning("unsupported protocol version EIO=%r: %s", version_arg, hint)
            return self._error(start_response, 5, cors, hint)
        version = int(version_arg)
        transport = arg("transport")
        if transport not in self.transports:
            log.info("unknown or disabled transport %r", transport)
            return self._error(start_response, 0, cors)
        jsonp = arg("j")
        if jsonp is not None and (version != 3 or not eio.valid_jsonp_index(jsonp)):
            log.warning("refused JSONP index %r", jsonp[:20])
            return self._error(start_response, 3, cors)
        b64 = arg("b64") in ("1", "true") or jsonp is not None
        sid = arg("sid")

        if sid is None:
            if method != "GET":
                return self._error(start_response, 2, cors)
            if transport == "websocket":
                if not is_upgrade_request(environ):
                    return self._error(start_response, 3, cors)
                return self._websocket(environ, start_response, None, version, b64)
            return self._handshake(environ, start_response, version, b64, jsonp, cors)

        session = self.sessions.get(sid)
        if session is not None and not session.check(self.driver.monotonic()):
            session = None
        if session is None or session.version != version or session.deliver is not None:
            log.info("unknown session id %r", sid[:40])
            return self._error(start_response, 1, cors)
        if transport == "websocket":
            if (
                not is_upgrade_request(environ)
                or not self.allow_upgrades
                or session.transport != "polling"
                or session.upgrading
            ):
                return self._error(start_response, 3, cors)
            return self._websocket(environ, start_response, session, version, b64)
        if session.transport != "polling":
            return self._error(start_response, 3, cors)
        if method == "GET":
            return self._poll(start_response, session, environ, jsonp, cors)
        if method == "POST":
            return self._post(start_response, session, environ, jsonp, cors)
        return self._error(start_response, 3, cors)

    # -- polling ------------------------------------------------------------

    def _handshake(
        self,
        environ: dict[str, Any],
        start_response: StartResponse,
        version: int,
        b64: bool,
        jsonp: str | None,
        cors: list[tuple[str, str]],
    ) -> Iterable[bytes]:
        session = self._open(version, "polling", environ, b64)
        upgrades = ["websocket"] if self.allow_upgrades and "websocket" in self.transports else []
        packet = self._open_packet(session.sid, upgrades)
        if not self.listener.engine_connect(session, environ):
            self.forget(session)
            session.closed = True
            return self._error(start_response, 4, cors)
        body, content_type = eio.encode_payload([packet], version, b64, jsonp)
        headers = [*cors, *self._cookie_headers(session.sid)]
        return self._ok(start_response, body, content_type, headers)

    def _open_packet(self, sid: str, upgrades: list[str]) -> eio.Packet:
        return eio.open_packet(
            sid, upgrades, self.ping_interval, self.ping_timeout, self.max_http_buffer_size
        )

    def _poll(
        self,
        start_response: StartResponse,
        session: Session,
        environ: dict[str, Any],
        jsonp: str | None,
        cors: list[tuple[str, str]],
    ) -> Iterable[bytes]:
        try:
            packets = session.poll(self.ping_interval)
        except BusyError:
            log.info("%s: second GET while one is pending, closing", session.sid)
            session.close(TRANSPORT_ERROR)
            return self._error(start_response, 3, cors)
        body, content_type = eio.encode_payload(packets, session.version, session.b64, jsonp)
        headers = list(cors)
        body = self._compress(environ, body, headers)
        return self._ok(start_response, body, content_type, headers)

    def _post(
        self,
        start_response: StartResponse,
        session: Session,
        environ: dict[str, Any],
        jsonp: str | None,
        cors: list[tuple[str, str]],
    ) -> Iterable[bytes]:
        limit = self.max_http_buffer_size
        try:
            declared = int(environ.get("CONTENT_LENGTH") or -1)
        except ValueError:
            return self._error(start_response, 3, cors)
        if declared > limit:
            log.warning("%s: POST of %d bytes over max_http_buffer_size", session.sid, declared)
            return self._too_large(start_response, cors)
        stream = environ["wsgi.input"]
        body = stream.read(declared) if declared >= 0 else stream.read(limit + 1)
        if len(body) > limit:
            log.warning("%s: POST over max_http_buffer_size", session.sid)
            return self._too_large(start_response, cors)
        with session.lock:
            busy, session.posting = session.posting, True
        if busy:
            session.close(TRANSPORT_ERROR)
            return self._error(start_response, 3, cors)
        try:
            packets = eio.decode_payload(body, session.version, jsonp is not None)
        except ProtocolError as exc:
            log.warning("%s: malformed payload (%s), closing", session.sid, exc)
            session.close(TRANSPORT_ERROR)
            return self._error(start_response, 3, cors)
        finally:
            session.posting = False
        for packet in packets:
            if session.closed:
                break
            session.receive(packet)
        return self._ok(start_response, b"ok", "text/html", list(cors))

    # -- websocket ----------------------------------------------------------

    def _websocket(
        self,
        environ: dict[str, Any],
        start_response: StartResponse,
        session: Session | None,
        version: int,
        b64: bool,
    ) -> Iterable[bytes]:
        ws = self._accept_websocket(environ)
        if ws is None:
            log.warning("this WSGI server gives no access to the socket: websocket refused")
            return self._error(start_response, 3, [])
        try:
            if session is None:
                session = self._open(version, "websocket", environ, b64)
                ws.send(self._open_packet(session.sid, []).text(version))
                if not self.listener.engine_connect(session, environ):
                    session.close(SERVER_DISCONNECT)
                    ws.close()
                    return self._done(start_response, ws)
                session.attach_websocket(ws, b64)
            elif not self._upgrade(session, ws, b64):
                ws.close()
                return self._done(start_response, ws)
            session.read_websocket()
        except MessageTooBig as exc:
            log.warning("%s: %s", session.sid if session else "-", exc)
            if session is not None:
                session.close(TRANSPORT_ERROR, notify=False)
        except OSError:
            if session is not None:
                session.close(TRANSPORT_CLOSE, notify=False)
        finally:
            ws.close()
        return self._done(start_response, ws)

    def _accept_websocket(self, environ: dict[str, Any]) -> WebSocket | None:
        """Answer the upgrade: the driver's own way if it has one (a server that
        speaks websocket itself), else on the socket taken over from the server."""
        accept = getattr(self.driver, "accept_websocket", None)
        if accept is not None:
            return accept(environ, self.max_http_buffer_size)
        sock = self.driver.raw_socket(environ)
        if sock is None:
            return None
        return WebSocket.accept(environ, sock, self.max_http_buffer_size, self.driver.Lock())

    def _upgrade(self, session: Session, ws: WebSocket, b64: bool) -> bool:
        session.upgrading = True
        try:
            if ws.receive(_PROBE_TIMEOUT) != "2probe":
                return False
            ws.send(eio.Packet(eio.PONG, "probe").text(session.version))
            session.send(eio.Packet(eio.NOOP))
            message = ws.receive(_PROBE_TIMEOUT)
            while message == "2probe":
                message = ws.receive(_PROBE_TIMEOUT)
            if message != "5":
                return False
        except OSError:
            return False
        finally:
            if session.transport == "polling":
                session.upgrading = False
        if session.closed:
            return False
        session.attach_websocket(ws, b64)
        return True

    # -- HTTP helpers -------------------------------------------------------

    def _cors_headers(self, environ: dict[str, Any]) -> list[tuple[str, str]] | None:
        """CORS response headers, or None when the origin is refused."""
        allowed = self.cors_allowed_origins
        origin = environ.get("HTTP_ORIGIN")
        if origin is None or allowed == []:
            return []
        # Same-origin requests are never refused: CORS governs only the others.
        if allowed == "*" or origin in self._same_origins(environ):
            ok = True
        elif callable(allowed):
            ok = bool(allowed(origin))
        else:
            ok = allowed is not None and origin in (
                [allowed] if isinstance(allowed, str) else allowed
            )
        if not ok:
            return None
        headers = [("Access-Control-Allow-Origin", origin), ("Vary", "Origin")]
        if self.cors_credentials:
            headers.append(("Access-Control-Allow-Credentials", "true"))
        return headers

    @staticmethod
    def _same_origins(environ: dict[str, Any]) -> set[str]:
        scheme = environ.get("HTTP_X_FORWARDED_PROTO") or environ.get("wsgi.url_scheme", "http")
        hosts = {environ.get("HTTP_HOST", "")}
        forwarded = environ.get("HTTP_X_FORWARDED_HOST")
        if forwarded:
            hosts.add(forwarded.split(",")[0].strip())
        return {f"{scheme}://{host}" for host in hosts if host}

    def _preflight(
        self,
        environ: dict[str, Any],
        start_response: StartResponse,
        cors: list[tuple[str, str]],
    ) -> Iterable[bytes]:
        headers = [*cors, ("Access-Control-Allow-Methods", "OPTIONS, GET, POST")]
        requested = environ.get("HTTP_ACCESS_CONTROL_REQUEST_HEADERS")
        if requested:
            headers.append(("Access-Control-Allow-Headers", requested))
        return self._ok(start_response, b"", "text/plain", headers)

    def _cookie_headers(self, sid: str) -> list[tuple[str, str]]:
        if not self.cookie:
            return []
        options: dict[str, Any] = (
            {"name": self.cookie} if isinstance(self.cookie, str) else dict(self.cookie)
        )
        parts = [f"{options.pop('name', 'io')}={sid}", f"Path={options.pop('path', '/')}"]
        options.setdefault("SameSite", "Lax")
        for key, value in options.items():
            if value is True:
                parts.append(key)
            elif value not in (None, False):
                parts.append(f"{key}={value}")
        return [("Set-Cookie", "; ".join(parts))]

    def _compress(self, environ: dict[str, Any], body: bytes, headers: list) -> bytes:
        if not self.http_compression or len(body) < self.compression_threshold:
            return body
        accepted = environ.get("HTTP_ACCEPT_ENCODING", "")
        if "gzip" in accepted:
            headers.append(("Content-Encoding", "gzip"))
            return gzip.compress(body, compresslevel=6)
        if "deflate" in accepted:
            headers.append(("Content-Encoding", "deflate"))
            return zlib.compress(body)
        return body

    @staticmethod
    def _ok(
        start_response: StartResponse, body: bytes, content_type: str, headers: list
    ) -> list[bytes]:
        start_response(
            "200 OK",
            [("Content-Type", content_type), ("Content-Length", str(len(body))), *headers],
        )
        return [body]

    @staticmethod
    def _error(
        start_response: StartResponse, code: int, headers: list, detail: str | None = None
    ) -> list[bytes]:
        status, message = ERRORS[code]
        payload: dict[str, Any] = {"code": code, "message": message}
        if detail:
            payload["details"] = detail
        body = json.dumps(payload, separators=(",", ":")).encode()
        start_response(
            status,
            [("Content-Type", "application/json"), ("Content-Length", str(len(body))), *headers],
        )
        return [body]

    @staticmethod
    def _too_large(start_response: StartResponse, headers: list) -> list[bytes]:
        body = b'{"code":3,"message":"Payload too large"}'
        start_response(
            "413 PAYLOAD TOO LARGE",
            [("Content-Type", "application/json"), ("Content-Length", str(len(body))), *headers],
        )
        return [body]

    @staticmethod
    def _done(start_response: StartResponse, ws: WebSocket) -> list[bytes]:
        if ws.upgraded_by_server:
            return []  # the server sent the 101 itself and takes no other response
        # The socket was taken over and shut down: whatever the WSGI server
        # writes now goes nowhere, which it reports as a dropped connection.
        start_response("200 OK", [("Content-Length", "0")])
        return []
