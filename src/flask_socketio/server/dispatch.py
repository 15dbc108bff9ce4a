"""The server's half that the engine drives: connections, packets in, dispatch.

`Dispatch` is a base of `Server` (server.py): the engine tells it of new
sessions, their messages and their ends; it decodes Socket.IO packets, runs
connect, event and disconnect handlers in order per client (inline on the
reading task, or on the driver's pool), answers acks and CONNECTs, and sends
what it encodes (`_encode`, `_send`).

>>> query_auth("token=abc&EIO=3&transport=polling")
{'token': 'abc'}
"""

from __future__ import annotations

import functools
import logging
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import parse_qsl

from .. import engine
from .._types import Environ
from ..managers import to_args
from ..wire import ProtocolError, engineio
from ..wire import socketio as sio
from .acks import InlineAck
from .connection import Connection
from .exceptions import ConnectionRefusedError
from .registry import NOT_HANDLED, HandlerRegistry

if TYPE_CHECKING:
    from ..drivers import Driver
    from ..managers import Manager
    from .observer import Observer
    from .recovery import Recovery
    from .server import Server

log = logging.getLogger("flask_socketio.server")

# Query parameters that belong to Engine.IO, not to the application.
_ENGINE_QUERY = frozenset({"EIO", "transport", "t", "b64", "j", "sid"})


class Reason:
    """Why a client disconnected, as passed to disconnect handlers."""

    CLIENT_DISCONNECT = engine.CLIENT_DISCONNECT
    SERVER_DISCONNECT = engine.SERVER_DISCONNECT
    PING_TIMEOUT = engine.PING_TIMEOUT
    TRANSPORT_CLOSE = engine.TRANSPORT_CLOSE
    TRANSPORT_ERROR = engine.TRANSPORT_ERROR
    #: Disconnected by the server: it did not read what it was sent fast enough.
    SLOW_CONSUMER = engine.SLOW_CONSUMER


def query_auth(query: str | None) -> dict[str, str] | None:
    """The `auth` of an old (EIO=3) client: its query string, last value per key.

    Such clients send credentials as query parameters: for "/" those of the
    Engine.IO handshake (Engine.IO's own left out), for other namespaces those
    appended to the CONNECT packet (``40/admin?token=abc,``).

    >>> query_auth("token=abc&EIO=3&transport=polling&t=x")
    {'token': 'abc'}
    """
    if not query:
        return None
    pairs = parse_qsl(query, keep_blank_values=True)
    return {key: value for key, value in pairs if key not in _ENGINE_QUERY} or None


class Dispatch(HandlerRegistry):
    """What the engine calls (`engine_connect`, `receive`, `connection_closed`)
    and the dispatch of each client's packets; `Server` sets the attributes."""

    driver: Driver
    logger: logging.Logger
    event_log: logging.Logger | None
    json: Any
    async_handlers: bool
    always_connect: bool
    max_attachments: int
    eio: engine.Server
    manager: Manager[Connection]
    recovery: Recovery | None
    connections: dict[str, Connection]
    observer: Observer | None

    def _encode(self, packet: sio.Packet) -> list[engineio.Packet]:
        return [engineio.Packet(engineio.MESSAGE, part) for part in sio.encode(packet, self.json)]

    def _send(self, conn: Connection, packet: sio.Packet) -> None:
        conn.session.send_many(self._encode(packet))


    def engine_connect(self, session: engine.Session, environ: Environ) -> Connection:
        conn = Connection(
            cast("Server", self),
            session,
            environ,
            sio.Decoder(self.json, self.max_attachments),
            self.driver.Lock(),
        )
        self.connections[session.sid] = conn
        if session.version == 3:
            # Old clients are connected to "/" with the Engine.IO handshake.
            query = environ.get("QUERY_STRING", "")
            self._schedule(
                conn, lambda: self._connect(conn, sio.Packet(sio.CONNECT, "/", query=query))
            )
        return conn

    def receive(self, conn: Connection, data: str | bytes, inline: bool) -> None:
        """A message of `conn`'s client (`inline`: on its websocket's reader)."""
        try:
            packet = conn.decoder.feed(data)
        except ProtocolError as exc:
            log.warning("%s: malformed Socket.IO packet (%s), closing", conn.eio_sid, exc)
            conn.session.close(engine.TRANSPORT_ERROR)
            return
        if packet is None:
            return
        kind = packet.type
        if kind == sio.EVENT or kind == sio.BINARY_EVENT:
            self._schedule(conn, lambda: self._event(conn, packet), inline)
        elif kind == sio.ACK or kind == sio.BINARY_ACK:
            self._ack(conn, packet)
        elif kind == sio.CONNECT:
            if conn.version == 3 and packet.namespace == "/":
                return  # old clients may repeat the implicit connect
            # Not on the reader, even when it could: a connect handler is often
            # the deepest code a connection runs (authentication, a database),
            # and the stack pages it touches on the reader's thread or greenlet
            # would stay resident for as long as the connection idles.
            self._schedule(conn, lambda: self._connect(conn, packet))
        elif kind == sio.DISCONNECT:
            self._schedule(
                conn,
                lambda: self._leave_namespace(conn, packet.namespace, Reason.CLIENT_DISCONNECT),
            )
        else:
            log.warning("%s: client sent %s, closing", conn.eio_sid, sio.TYPE_NAMES[kind])
            conn.session.close(engine.TRANSPORT_ERROR)

    def connection_closed(self, conn: Connection, reason: str) -> None:
        """The connection's session ended: it leaves every namespace."""

        def finish() -> None:
            for namespace in list(conn.sids):
                self._leave_namespace(conn, namespace, reason)
            self.connections.pop(conn.eio_sid, None)

        self._schedule(conn, finish)

    # -- dispatch -----------------------------------------------------------

    def _schedule(self, conn: Connection, job: Callable[[], None], inline: bool = False) -> None:
        """Run `job` after the earlier jobs of the same client.

        With `inline` (the caller is the client's websocket reader) the caller
        runs the jobs itself when none is running, otherwise the pool does:
        sparing a thread switch per event. In-process sessions (the test
        client) run their jobs at once, so that what a test sends has been
        handled when its call returns, and raise what a handler raised.
        """
        if conn.session.in_process:
            job()  # a test sees its handler's exception
            return
        if not self.async_handlers:
            # On the request (or reader) that brought the packet: an exception
            # must not escape into the WSGI server (a 500, a dead reader).
            try:
                job()
            except Exception:
                log.exception("%s: unhandled error in a handler", conn.eio_sid)
            return
        with conn.lock:
            if conn.running:
                if conn.inbox is None:
                    conn.inbox = deque()
                conn.inbox.append(job)
                return
            conn.running = True
        if inline:
            self._drain(conn, job)
        else:
            self.driver.submit(functools.partial(self._drain, conn, job))

    def _drain(self, conn: Connection, job: Callable[[], None]) -> None:
        """Run `job`, then the client's jobs queued meanwhile; the caller set
        `conn.running`."""
        while True:
            try:
                job()
            except Exception:
                log.exception("%s: unhandled error in a handler", conn.eio_sid)
            with conn.lock:
                inbox = conn.inbox
                if not inbox:
                    conn.running = False
                    return
                job = inbox.popleft()

    def _connect(self, conn: Connection, packet: sio.Packet) -> None:
        namespace = packet.namespace
        session = conn.session
        if session.closed:
            return
        if namespace in conn.sids:
            # A client never does this; the reference server closes too.
            log.warning("%s: second CONNECT to %s, closing", session.sid, namespace)
            session.close(engine.TRANSPORT_ERROR)
            return
        if not self._namespace_known(namespace):
            self._send_connect_error(conn, namespace, {"message": "Invalid namespace"})
            return
        restored = None
        if conn.version == 4:
            auth = packet.data
            if self.recovery is not None:
                restored = self.recovery.restore(namespace, auth)
            sid = restored.session.sid if restored is not None else self.eio.new_sid()
        else:
            sid = session.sid if namespace == "/" else f"{namespace}#{session.sid}"
            auth = query_auth(packet.query)
        self.manager.connect(sid, namespace, conn)
        conn.sids[namespace] = sid
        pid = None
        if self.recovery is not None and conn.version == 4:
            pid = self.recovery.connected(conn, namespace, sid, restored)
        session.joined(True)
        if self.always_connect:
            self._send_connected(conn, namespace, sid, pid)
        else:
            conn.held = []
        error: dict[str, Any] = {"message": "Connection rejected by server"}
        try:
            if (
                restored is not None
                and self.recovery
                and self.recovery.settings.skip_connect_handler
            ):
                accepted = True
            else:
                result = self._trigger(conn, "connect", namespace, sid, (conn.environ, auth), 1)
                accepted = result is not False
        except ConnectionRefusedError as exc:
            accepted, error = False, exc.error_args
        except Exception:
            log.exception("%s: connect handler of %s failed", sid, namespace)
            accepted = False
        finally:
            with conn.lock:
                held, conn.held = conn.held, None
        if not accepted:
            self.manager.disconnect(sid, namespace)
            conn.sids.pop(namespace, None)
            if self.always_connect:
                self._send(conn, sio.Packet(sio.DISCONNECT, namespace))
            else:
                self._send_connect_error(conn, namespace, error)
            if not conn.sids:
                # A client refused everywhere still meets the connect timeout.
                session.joined(False)
            return
        if not self.always_connect:
            self._send_connected(conn, namespace, sid, pid)
            if held:
                session.send_many(held)
        if restored is not None:
            # What it missed, in order, then what its connect handler sent.
            for data in restored.missed:
                self._send(conn, sio.Packet(sio.EVENT, namespace, data))
        self.logger.info("%s connected to %s (Engine.IO session %s)", sid, namespace, session.sid)
        if self.observer is not None:
            self.observer.connected(conn, namespace, sid)

    def _send_connected(
        self, conn: Connection, namespace: str, sid: str, pid: str | None = None
    ) -> None:
        data: dict[str, str] | None = None
        if conn.version == 4:
            data = {"sid": sid} if pid is None else {"sid": sid, "pid": pid}
        self._send(conn, sio.Packet(sio.CONNECT, namespace, data))

    def _send_connect_error(self, conn: Connection, namespace: str, error: dict[str, Any]) -> None:
        if conn.version == 4:
            data: Any = error
        else:
            data = error["data"] if "data" in error else error["message"]
        self._send(conn, sio.Packet(sio.CONNECT_ERROR, namespace, data))

    def _event(self, conn: Connection, packet: sio.Packet) -> None:
        namespace = packet.namespace
        sid = conn.sids.get(namespace)
        if sid is None:
            log.info("%s: event for %s, which it has not joined; ignored", conn.eio_sid, namespace)
            return
        event, *args = packet.data
        if self.event_log is not None:
            self.event_log.info('received event "%s" from %s [%s]', event, sid, namespace)
        observer = self.observer
        if observer is None:
            result = self._trigger(conn, event, namespace, sid, args)
        else:
            call = functools.partial(self._trigger, conn, event, namespace, sid, args)
            result = observer.handle_event(conn, namespace, sid, event, args, call)
        if packet.id is not None and result is not NOT_HANDLED and not conn.session.closed:
            self._send(conn, sio.Packet(sio.ACK, namespace, to_args(result), packet.id))

    def _ack(self, conn: Connection, packet: sio.Packet) -> None:
        if self.event_log is not None:
            sid = conn.sids.get(packet.namespace)
            self.event_log.info("received ack from %s [%s]", sid, packet.namespace)
        with conn.lock:
            callback = conn.acks.pop(packet.id, None)  # type: ignore[arg-type]
        if callback is None:
            log.info("%s: ack %s matches no callback", conn.eio_sid, packet.id)
        elif isinstance(callback, InlineAck):
            callback(*packet.data)
        else:
            self.driver.submit(functools.partial(callback, *packet.data))

    def _leave_namespace(self, conn: Connection, namespace: str, reason: str) -> None:
        sid = conn.sids.pop(namespace, None)
        if sid is None:
            return
        self.logger.info("%s disconnected from %s (%s)", sid, namespace, reason)
        if self.observer is not None:
            self.observer.disconnected(conn, namespace, sid, reason)
        if self.recovery is not None and self.recovery.save(conn, namespace, sid, reason):
            # It may come back: its disconnect handler runs once that is over.
            self.manager.disconnect(sid, namespace)
            return
        self._finally_disconnected(conn, namespace, sid, reason)

    def _disconnected_for_good(
        self, conn: Connection, namespace: str, sid: str, reason: str
    ) -> None:
        """A saved state expired: the disconnect handler runs now (after the
        connection's other jobs)."""
        self._schedule(
            conn, functools.partial(self._finally_disconnected, conn, namespace, sid, reason)
        )

    def _finally_disconnected(
        self, conn: Connection, namespace: str, sid: str, reason: str
    ) -> None:
        """Run the disconnect handler of a client gone from `namespace` for good."""
        try:
            self._trigger(conn, "disconnect", namespace, sid, (reason,), 1)
        except Exception:
            log.exception("%s: disconnect handler of %s failed", sid, namespace)
        finally:
            self.manager.disconnect(sid, namespace)
