"""The engine's answers to each kind of request, once `Server` routed it.

`Transports` is a base of `Server` (server.py), over `Sessions`
(sessions.py): the polling handshake, a long-polling GET, a POST of
packets, and a websocket, either a new session's or the upgrade of a polling
one (the probe dialogue, then the switch).

>>> _reads_binary_only({"QUERY_STRING": "EIO=3&transport=polling&t=1400000000000-0"})
True
>>> _reads_binary_only({"QUERY_STRING": "EIO=3&transport=polling&t=NxJ4gbk&b64=1"})
False
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from urllib.parse import parse_qsl

from .._types import Environ, StartResponse
from ..drivers import TakenSocket
from ..wire import ProtocolError
from ..wire import engineio as eio
from . import http
from .session import BusyError, Session, SwitchedError
from .sessions import Sessions
from .state import (
    FAIL,
    REPLY_PROBE,
    SWITCH,
    TRANSPORT_CLOSE,
    TRANSPORT_ERROR,
    WEBSOCKET,
    Upgrade,
)
from .websocket import MessageTooBig, WebSocket

log = logging.getLogger("flask_socketio.engine")

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


class Transports(Sessions):
    """The handshake, polling GETs and POSTs, and websockets of an engine."""

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
        declared = http.declared_length(environ)
        if declared is None:
            log.info("%s: POST with Content-Length %r refused", session.sid,
                     str(environ.get("CONTENT_LENGTH"))[:20])
            return http.error(start_response, http.BAD_REQUEST, cors)
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


__all__ = ["Transports"]
