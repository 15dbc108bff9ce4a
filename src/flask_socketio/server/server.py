"""The Socket.IO server: namespaces, handlers, acks, rooms. Usable without Flask.

An emit flows one way: the caller names a `Target`, the manager answers who
(the local connections it reaches, and a relay to other processes), and the
server encodes the packet once and hands it to each connection's session.

>>> sio = Server(async_mode="threading")
>>> @sio.on("echo")
... def echo(sid, data):
...     return data
>>> from flask_socketio.server import WSGIApp
>>> app = WSGIApp(sio)  # serve `app` with any WSGI server
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import logging
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from .. import engine
from .._types import Environ, StartResponse
from ..drivers import Task, load_driver
from ..managers import Manager, PubSubManager, Target, to_args
from ..wire import ProtocolError
from ..wire import engineio as eio
from ..wire import socketio as sio
from .acks import AckCollector, Acks, InlineAck, Waiter
from .cluster_acks import ClusterAcks
from .connection import Connection
from .exceptions import ConnectionRefusedError
from .observer import Observer, combine
from .recovery import Recovery, RecoverySettings
from .registry import NOT_HANDLED, HandlerRegistry

if TYPE_CHECKING:
    from .admin import AdminUI

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


def _event_log(logger: logging.Logger) -> logging.Logger | None:
    return logger if logger.isEnabledFor(logging.INFO) else None


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


class _Environs(Mapping[str, Environ]):
    """The WSGI environ of each connection by Engine.IO sid: python-socketio's
    ``server.environ``, which applications read (a live view)."""

    def __init__(self, connections: dict[str, Connection]) -> None:
        self._connections = connections

    def __getitem__(self, eio_sid: str) -> Environ:
        return self._connections[eio_sid].environ

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._connections))

    def __len__(self) -> int:
        return len(self._connections)


class Server(HandlerRegistry):
    """A Socket.IO server speaking protocol v5 (and v4 to old clients).

    Options of the Engine.IO layer (ping_interval, ping_timeout,
    max_http_buffer_size, allow_upgrades, transports, http_compression,
    compression_threshold, cookie, cors_allowed_origins, cors_credentials,
    allow_eio3, connect_timeout, max_queue_size) are passed through.
    """

    reason = Reason

    def __init__(
        self,
        client_manager: Manager[Any] | None = None,
        logger: bool | logging.Logger = False,
        json: Any = None,
        async_handlers: bool = True,
        always_connect: bool = False,
        namespaces: list[str] | str | None = None,
        async_mode: str | None = None,
        engineio_logger: bool | logging.Logger = False,
        max_attachments: int = sio.DEFAULT_MAX_ATTACHMENTS,
        connection_state_recovery: bool | dict[str, Any] | None = None,
        **engine_options: Any,
    ) -> None:
        self.driver = load_driver(async_mode)
        self.async_mode = self.driver.name
        self.logger = engine.make_logger(logger, "flask_socketio.server")
        #: The logger when it logs events (``logger=True``), else None: the
        #: hot paths test this, and format nothing when it is None.
        self.event_log = _event_log(self.logger)
        self.json = json
        self.async_handlers = async_handlers
        self.always_connect = always_connect
        self.namespaces = namespaces
        self.max_attachments = max_attachments
        self.eio = engine.Server(
            self.driver, logger=engineio_logger, listener=self, **engine_options
        )
        # The deliveries of `batched_sends`, per task (threading.local is a
        # greenlet's own under gevent's and eventlet's monkey patching).
        self._batch = threading.local()
        self.manager: Manager[Connection] = client_manager or Manager()
        self.manager.attach(self, self.driver)
        super().__init__()
        settings = RecoverySettings.from_option(connection_state_recovery)
        #: Connection state recovery, when it is on (see `server.recovery`).
        self.recovery: Recovery | None = None
        if settings is not None:
            self.recovery = Recovery(
                settings, self.driver, self.manager, self.eio.new_sid, self._disconnected_for_good
            )
        #: Broadcast acks across the processes of a message queue, or None.
        self.cluster_acks: ClusterAcks | None = None
        if isinstance(self.manager, PubSubManager):
            self.cluster_acks = ClusterAcks(self, self.manager)
            if self.recovery is not None:
                self.recovery.relay_through(self.manager, self.cluster_acks.peer_count)
        self.connections: dict[str, Connection] = {}  # by Engine.IO sid
        #: Told of connections, events, emits and rooms (the admin UI,
        #: metrics), or None; see `observe`.
        self.observer: Observer | None = None
        self._volatile_groups = itertools.count(1)
        #: The environ of each connection by Engine.IO sid (python-socketio's name).
        self.environ: Mapping[str, Environ] = _Environs(self.connections)

    def configure(self, **options: Any) -> None:
        """Change options after construction (``socketio.run(app, **options)``):
        those of this server, the rest to the engine (checked as there)."""
        own = {"logger", "json", "async_handlers", "always_connect", "namespaces"}
        own |= {"engineio_logger", "max_attachments"}
        engine_options = {key: value for key, value in options.items() if key not in own}
        if engine_options:
            self.eio.configure(**engine_options)
        for key, value in options.items():
            if key == "logger":
                self.logger = engine.make_logger(value, "flask_socketio.server")
                self.event_log = _event_log(self.logger)
            elif key == "engineio_logger":
                self.eio.logger = engine.make_logger(value, "flask_socketio.engine")
            elif key in own:
                setattr(self, key, value)

    def observe(self, observer: Observer) -> None:
        """Tell `observer` of this server's sessions, packets, connections,
        events, emits and rooms, after the observers added before it (see
        `server.observer`; the admin UI and the metrics are observers).

        >>> from flask_socketio.server.observer import Observer
        >>> Server(async_mode="threading").observe(Observer())
        """
        self.observer = combine(self.observer, observer)
        self.eio.observe(self.observer)

    def instrument(self, auth: Any = None, **options: Any) -> AdminUI:
        """Serve the Socket.IO Admin UI (https://admin.socket.io, or npm
        ``@socket.io/admin-ui``): python-socketio's call, with its options
        (``mode``, ``read_only``, ``server_id``, ``namespace``,
        ``server_stats_interval``) and those of `server.admin.AdminUI`.
        `auth` is required (``False`` turns authentication off).

        >>> sio = Server(async_mode="threading", cors_allowed_origins=["https://admin.socket.io"])
        >>> admin = sio.instrument(auth={"username": "admin", "password": "secret"})
        """
        from .admin import AdminUI

        return AdminUI(self, auth=auth, **options)

    # -- sending ------------------------------------------------------------

    def emit(
        self,
        event: str,
        data: Any = None,
        to: Any = None,
        room: Any = None,
        skip_sid: str | Iterable[str] | None = None,
        namespace: str | None = None,
        callback: Callable[..., Any] | None = None,
        ignore_queue: bool = False,
    ) -> None:
        """Emit `event` to one client (its sid), a room, a list of rooms, or everyone.

        A tuple as `data` is sent as several arguments.
        """
        target = Target.of(namespace, to if to is not None else room, skip_sid, ignore_queue)
        self.emit_to(target, event, to_args(data), callback)

    def emit_to(
        self,
        target: Target,
        event: str,
        args: list[Any],
        callback: Callable[..., Any] | None = None,
        volatile: bool = False,
    ) -> None:
        """Emit `event` with `args` to the clients of `target`, here and, unless
        the target is local, in the other processes of a message queue.

        The packet is encoded once for every recipient (once per recipient
        with a `callback`, which gets each recipient's ack). A `volatile`
        event may be dropped for a client that does not keep up, rather than
        have it disconnected.
        """
        if self.event_log is not None:
            to = "all" if target.rooms is None else ", ".join(map(str, target.rooms))
            self.event_log.info('emitting event "%s" to %s [%s]', event, to, target.namespace)
        manager = self.manager
        members = manager.members(target)
        if not target.local:
            manager.relay_emit(target, event, args, callback)
        if self.observer is not None:
            self.observer.emitted(target, event, args, members)
        if self.recovery is not None and callback is None and not volatile:
            args = self.recovery.log(target, event, args)
        if not members:
            return
        namespace = target.namespace
        batch: dict[Any, list[eio.Packet]] | None = getattr(self._batch, "sends", None)
        if callback is not None:
            if batch:
                self._send_batch()  # what came before goes first
            for conn in members:
                ack_id = conn.register_ack(callback)
                conn.send(self._encode(sio.Packet(sio.EVENT, namespace, [event, *args], ack_id)))
            return
        packets = self._encode(sio.Packet(sio.EVENT, namespace, [event, *args]))
        group = next(self._volatile_groups) if volatile else 0
        if len(members) > 1 or group:
            for packet in packets:
                packet.cache = {}  # each wire form is framed once, for everyone
                packet.volatile = group
        if batch is not None:
            for conn in members:
                if conn.held is None:
                    pending = batch.get(conn.session)
                    if pending is None:
                        batch[conn.session] = list(packets)
                    else:
                        pending.extend(packets)
                else:
                    self._send_batch()
                    conn.send(packets)
            return
        for conn in members:
            if conn.held is None:
                conn.session.send_many(packets)
            else:
                conn.send(packets)

    @contextlib.contextmanager
    def batched_sends(self) -> Iterator[None]:
        """Within this block, emits of the current task are gathered and each
        client gets its share in one write when the block ends (or before
        anything that must not overtake them: an emit with an ack, a
        disconnect). The message-queue relay applies the emits it has at hand
        so: one socket write per client instead of one per emit.

        >>> with sio.batched_sends():  # doctest: +SKIP
        ...     for n in range(64):
        ...         sio.emit("tick", n)
        """
        if getattr(self._batch, "sends", None) is not None:
            yield  # nested: the outer block sends
            return
        self._batch.sends = {}
        try:
            yield
        finally:
            self._send_batch()
            self._batch.sends = None

    def _send_batch(self) -> None:
        batch = getattr(self._batch, "sends", None)
        if not batch:
            return
        self._batch.sends = {}
        for session, packets in batch.items():
            session.send_many(packets)

    def send(
        self,
        data: Any,
        to: Any = None,
        room: Any = None,
        skip_sid: str | Iterable[str] | None = None,
        namespace: str | None = None,
        callback: Callable[..., Any] | None = None,
        ignore_queue: bool = False,
    ) -> None:
        """Send a ``message`` event."""
        self.emit("message", data, to, room, skip_sid, namespace, callback, ignore_queue)

    def call(
        self,
        event: str,
        data: Any = None,
        to: str | None = None,
        sid: str | None = None,
        namespace: str | None = None,
        timeout: float = 60,
        ignore_queue: bool = False,
    ) -> Any:
        """Emit to one client and wait for its ack; raises TimeoutError.

        Returns the ack's single argument, or a tuple of several.
        """
        target = to or sid
        if target is None:
            raise ValueError("call() needs the sid of one client (to=...)")
        namespace = namespace or "/"
        waiter = Waiter(self.driver)
        deadline = self.driver.monotonic() + timeout
        self.emit_to(Target.of(namespace, target, None, ignore_queue), event, to_args(data), waiter)
        conn = self.manager.member(target, namespace)
        if conn is not None:
            # A handler of this very client may be running on its websocket's
            # reader: then the ack has to be read here.
            conn.session.pump(waiter.event, deadline)
        if not waiter.event.wait(max(0.0, deadline - self.driver.monotonic())):
            if conn is not None:
                conn.forget_ack(waiter)
            else:
                self.manager.forget_ack(waiter)  # a client of another process
            raise TimeoutError(f"no ack for {event!r} from {target} within {timeout}s")
        result = waiter.result or []
        return result[0] if len(result) == 1 else tuple(result) if result else None

    def emit_with_ack(
        self,
        event: str,
        data: Any = None,
        to: Any = None,
        room: Any = None,
        skip_sid: str | Iterable[str] | None = None,
        namespace: str | None = None,
        timeout: float = 60,
        callback: Callable[[Acks], Any] | None = None,
    ) -> Acks | None:
        """Emit to several clients (a room, a list, everyone) and collect each
        one's ack, until all are in or `timeout` seconds pass.

        Returns the `Acks` (responses by sid, and the sids `missing`); with a
        `callback`, returns at once and calls it with the `Acks` instead.

        >>> sio = Server(async_mode="threading")
        >>> sio.emit_with_ack("ready?", to="lobby", timeout=0.1).missing
        set()
        """
        target = Target.of(namespace, to if to is not None else room, skip_sid)
        return self.collect_acks(target, event, to_args(data), timeout, callback)

    def collect_acks(
        self,
        target: Target,
        event: str,
        args: list[Any],
        timeout: float,
        callback: Callable[[Acks], Any] | None = None,
    ) -> Acks | None:
        """`emit_with_ack` to a `Target`: its clients here and, unless the
        target is local, in the other processes of a message queue."""
        collector = AckCollector(self.driver)
        deadline = self.driver.monotonic() + timeout
        namespace = target.namespace
        cluster, request = self.cluster_acks, None
        if cluster is not None and not target.local:
            request = cluster.ask(target, event, args, timeout, collector)
        asked: list[tuple[Connection, InlineAck]] = []
        for conn in self.manager.members(target):
            sid = conn.sids.get(namespace)
            if sid is None:
                continue
            answer = collector.expect(sid)
            ack_id = conn.register_ack(answer)
            conn.send(self._encode(sio.Packet(sio.EVENT, namespace, [event, *args], ack_id)))
            asked.append((conn, answer))
        collector.sealed()
        if self.observer is not None:
            self.observer.emitted(target, event, args, [conn for conn, _ in asked])

        def finish() -> Acks:
            acks = collector.result()
            if cluster is not None and request is not None:
                cluster.done(request)
            for conn, answer in asked:
                conn.forget_ack(answer)  # late answers go nowhere
            return acks

        if callback is not None:

            def wait_then_call() -> None:
                collector.done.wait(max(0.0, deadline - self.driver.monotonic()))
                callback(finish())

            self.driver.spawn(wait_then_call)
            return None
        for conn, _ in asked:
            # A handler running on the reader of one of them reads its ack.
            conn.session.pump(collector.done, deadline)
        collector.done.wait(max(0.0, deadline - self.driver.monotonic()))
        return finish()

    def _encode(self, packet: sio.Packet) -> list[eio.Packet]:
        return [eio.Packet(eio.MESSAGE, part) for part in sio.encode(packet, self.json)]

    def _send(self, conn: Connection, packet: sio.Packet) -> None:
        conn.session.send_many(self._encode(packet))

    # -- rooms --------------------------------------------------------------

    def enter_room(self, sid: str, room: Any, namespace: str | None = None) -> None:
        """Add a client to a room."""
        namespace = namespace or "/"
        self.logger.info("%s is entering room %s [%s]", sid, room, namespace)
        self.manager.enter_room(sid, namespace, room)
        if self.observer is not None:
            self.observer.room_joined(namespace, room, sid)

    def leave_room(self, sid: str, room: Any, namespace: str | None = None) -> None:
        """Remove a client from a room."""
        namespace = namespace or "/"
        self.logger.info("%s is leaving room %s [%s]", sid, room, namespace)
        self.manager.leave_room(sid, namespace, room)
        if self.observer is not None:
            self.observer.room_left(namespace, room, sid)

    def close_room(self, room: Any, namespace: str | None = None) -> None:
        """Remove every client from a room."""
        namespace = namespace or "/"
        self.logger.info("room %s is closing [%s]", room, namespace)
        if self.observer is not None:
            self.observer.room_closing(namespace, room)
        self.manager.close_room(room, namespace)

    def rooms(self, sid: str, namespace: str | None = None) -> list[Any]:
        """The rooms a client is in (its own sid room included)."""
        return self.manager.get_rooms(sid, namespace or "/")

    # -- connections --------------------------------------------------------

    def connection(self, sid: str, namespace: str | None = None) -> Connection | None:
        """The connection of the client `sid` on `namespace`, if it is here."""
        return self.manager.member(sid, namespace or "/")

    def disconnect(
        self, sid: str, namespace: str | None = None, ignore_queue: bool = False
    ) -> None:
        """Disconnect a client from a namespace (the server side of it)."""
        namespace = namespace or "/"
        conn = self.manager.member(sid, namespace)
        if conn is None or conn.sids.get(namespace) != sid:
            if not ignore_queue:
                self.manager.relay_disconnect(sid, namespace)
            return
        self._send_batch()  # what was emitted before the disconnect goes first
        self.logger.info("Disconnecting %s [%s]", sid, namespace)
        self._send(conn, sio.Packet(sio.DISCONNECT, namespace))
        self._leave_namespace(conn, namespace, Reason.SERVER_DISCONNECT)
        if conn.version == 3 and namespace == "/":
            conn.session.close(engine.SERVER_DISCONNECT)

    def get_session(self, sid: str, namespace: str | None = None) -> dict[str, Any]:
        """The user session of a client on `namespace`: a dict kept with the
        connection (python-socketio's API; Flask handlers have
        ``flask.session``). KeyError if the client is not connected here.

        >>> sio = Server(async_mode="threading")
        >>> @sio.on("connect")
        ... def connect(sid, environ):
        ...     sio.save_session(sid, {"user": environ.get("REMOTE_USER")})
        """
        namespace = namespace or "/"
        conn = self.manager.member(sid, namespace)
        if conn is None:
            raise KeyError(f"{sid} is not connected to {namespace}")
        return conn.sessions.setdefault(namespace, {})

    def save_session(self, sid: str, session: dict[str, Any], namespace: str | None = None) -> None:
        """Store the user session of a client (see `get_session`)."""
        namespace = namespace or "/"
        conn = self.manager.member(sid, namespace)
        if conn is None:
            raise KeyError(f"{sid} is not connected to {namespace}")
        conn.sessions[namespace] = session

    @contextlib.contextmanager
    def session(self, sid: str, namespace: str | None = None) -> Iterator[dict[str, Any]]:
        """The user session of a client, saved when the block ends.

        >>> sio = Server(async_mode="threading")
        >>> @sio.on("message")
        ... def message(sid, data):
        ...     with sio.session(sid) as session:
        ...         session["last"] = data
        """
        session = self.get_session(sid, namespace)
        yield session
        self.save_session(sid, session, namespace)

    def get_environ(self, sid: str, namespace: str | None = None) -> Environ | None:
        """The WSGI environ of the request that opened the client's connection."""
        conn = self.manager.member(sid, namespace or "/")
        return conn.environ if conn is not None else None

    def transport(self, sid: str, namespace: str | None = None) -> str | None:
        """'polling' or 'websocket'."""
        conn = self.manager.member(sid, namespace or "/")
        return conn.session.transport if conn is not None else None

    def start_background_task(self, target: Callable[..., Any], *args: Any, **kwargs: Any) -> Task:
        """Run `target` in a thread or greenlet of the async mode; returns it (``join()``)."""
        return self.driver.spawn(target, *args, **kwargs)

    def sleep(self, seconds: float = 0) -> None:
        """Sleep in the way of the async mode."""
        self.driver.sleep(seconds)

    def handle_request(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        return self.eio.handle_request(environ, start_response)

    def shutdown(self) -> None:
        """Disconnect every client."""
        self.eio.shutdown()

    # -- from the engine ----------------------------------------------------

    def engine_connect(self, session: engine.Session, environ: Environ) -> Connection:
        conn = Connection(
            self, session, environ, sio.Decoder(self.json, self.max_attachments), self.driver.Lock()
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
