"""The Socket.IO server: namespaces, handlers, acks, rooms. Usable without Flask.

`Server` is the facade: its options, rooms, connections and tasks. It
inherits its sending half from `emitting.Emitting` (an emit flows one way: the
caller names a `Target`, the manager answers who, the packet is encoded once
and handed to each connection's session) and the half that the engine drives
from `dispatch.Dispatch` (connections, packets in, handlers in order per
client).

>>> sio = Server(async_mode="threading")
>>> @sio.on("echo")
... def echo(sid, data):
...     return data
>>> from flask_socketio.server import WSGIApp
>>> app = WSGIApp(sio)  # serve `app` with any WSGI server
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from .. import engine
from .._types import Environ, StartResponse
from ..drivers import Task, load_driver
from ..managers import Manager, PubSubManager
from ..managers.forward import Forwarder, for_manager
from ..wire import socketio as sio
from .cluster_acks import ClusterAcks
from .connection import Connection
from .dispatch import Reason
from .emitting import Emitting
from .observer import Observer, combine
from .recovery import Recovery, RecoverySettings

if TYPE_CHECKING:
    from .admin import AdminUI

log = logging.getLogger("flask_socketio.server")


def _event_log(logger: logging.Logger) -> logging.Logger | None:
    return logger if logger.isEnabledFor(logging.INFO) else None


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


class Server(Emitting):
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
        forward_polling: bool | dict[str, float] | None = None,
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
        #: Answers polling requests for sessions of other processes, when on.
        self.forwarder = self._forwarder(forward_polling)
        # The process that made the manager's connections and tasks: a fork
        # (gunicorn --preload) starts its own at its first client.
        self._pid = os.getpid()
        self._fork_lock = self.driver.Lock()
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

    def _forwarder(self, option: bool | dict[str, float] | None) -> Forwarder | None:
        """Forward polling requests through the message queue: by default
        when there is one (see `managers.forward`); a dict gives the
        forwarder's timings (``claim_timeout``, ``owner_timeout``,
        ``alive_interval``)."""
        if option is False:
            return None
        timings = option if isinstance(option, dict) else {}
        forwarder = for_manager(self.manager, self.eio, **timings)
        if forwarder is None:
            if option:
                raise ValueError("forward_polling=True needs a message_queue (or a client_manager "
                                 "on Redis or Kombu that listens)")
            return None
        self.eio.unknown_session = forwarder
        forwarder.start()
        return forwarder

    def _forked(self) -> None:
        """In a process forked after this server was made: the manager's and
        the forwarder's listeners stayed in the parent; start them here."""
        with self._fork_lock:
            if self._pid == os.getpid():
                return
            self._pid = os.getpid()
            self.manager.after_fork()
            if self.forwarder is not None:
                self.forwarder.start(wait=True)

    def engine_connect(self, session: engine.Session, environ: Environ) -> Connection:
        if self._pid != os.getpid():
            self._forked()
        return super().engine_connect(session, environ)

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
        """Disconnect every client (and stop answering forwarded requests)."""
        if self.forwarder is not None:
            self.forwarder.stop()
        self.eio.shutdown()
