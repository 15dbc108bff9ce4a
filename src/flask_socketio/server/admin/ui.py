"""`AdminUI`: the admin UI's namespace on a server, and what it reports.

It is an `Observer` of the server: nothing is reported, nor costs anything,
until `Server.instrument` (or ``SocketIO(app, admin_ui={...})``) is called.
Then the admins log in (`auth`), get the sockets and, in development mode,
every change live; the UI's operations apply here and, with a message
queue, in the other processes too (`cluster`).

>>> from flask_socketio.server import Server
>>> sio = Server(async_mode="threading", cors_allowed_origins=["https://admin.socket.io"])
>>> admin = sio.instrument(auth={"username": "admin", "password": "changeit"})
>>> admin.namespace, admin.mode
('/admin', 'development')
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ... import engine
from ...managers import PubSubManager, Target
from ..exceptions import ConnectionRefusedError
from ..observer import Observer
from .auth import Credentials, SessionTokens, session_key
from .cluster import AdminCluster
from .protocol import HOSTNAME, features, serialize_socket, server_stats, timestamp
from .stats import EventBuffer, Periodic

if TYPE_CHECKING:
    from ...engine import Session
    from ..connection import Connection
    from ..server import Server

log = logging.getLogger("flask_socketio.admin")


class AdminUI(Observer):
    """The admin UI's namespace on `server` (see the package's description).

    :param auth: who may log in (see `Credentials`); required.
    :param mode: ``'development'`` reports every socket, room change and
        event live (each event received or sent is one more packet to the
        admins); ``'production'`` only the aggregated statistics.
    :param read_only: refuse the UI's operations (emit, join, leave, disconnect).
    :param server_id: how this process is named in the UI (default
        ``hostname#pid``).
    :param namespace: the namespace of the UI (``'/admin'``).
    :param server_stats_interval: seconds between two ``server_stats``.
    :param session_lifetime: seconds a login token is valid (a day).
    :param session_secret: the key that signs login tokens; by default one
        derived from the users (same in every process), or a random one per
        process with a callable `auth`.
    """

    def __init__(
        self,
        server: Server,
        auth: Any = None,
        mode: str = "development",
        read_only: bool = False,
        server_id: str | None = None,
        namespace: str = "/admin",
        server_stats_interval: float = 2,
        session_lifetime: float = 86400,
        session_secret: str | bytes | None = None,
    ) -> None:
        if mode not in ("development", "production"):
            raise ValueError(f"mode must be 'development' or 'production', not {mode!r}")
        if server_stats_interval <= 0:
            raise ValueError("server_stats_interval must be positive")
        self.server = server
        self.credentials = Credentials(auth)
        self.mode = mode
        self.development = mode == "development"
        self.read_only = read_only
        self.server_id = server_id or f"{HOSTNAME}#{os.getpid()}"
        self.namespace = "/" + namespace.strip("/")
        self.server_stats_interval = float(server_stats_interval)
        key = session_key(session_secret, self.credentials, self.namespace)
        self.tokens = SessionTokens(key, session_lifetime)
        self.events = EventBuffer()
        self.features = features(read_only, self.development)
        self._started = time.time()
        # When each socket connected, by (namespace, sid): the UI shows it.
        self._since: dict[tuple[str, str], float] = {}
        #: The admins' sids here.
        self.admins: set[str] = set()
        #: Sends ``server_stats`` from the first admin (or client) on.
        self.stats_task = Periodic(server.driver, self.server_stats_interval, self._send_stats)
        #: The admin UIs of the other processes (with a message queue).
        self.cluster: AdminCluster | None = None
        self._register()
        server.observe(self)

    def _register(self) -> None:
        server, namespace = self.server, self.namespace
        server.on("connect", self._on_connect, namespace)
        if not self.read_only:
            server.on("emit", self._on_emit, namespace)
            server.on("join", self._on_join, namespace)
            server.on("leave", self._on_leave, namespace)
            server.on("_disconnect", self._on_disconnect, namespace)
        manager = server.manager
        if isinstance(manager, PubSubManager):
            self.cluster = AdminCluster(self, manager)

    def shutdown(self) -> None:
        """Stop sending ``server_stats`` (python-socketio's name)."""
        self.stats_task.stop()

    # -- sending to the admins ------------------------------------------------------

    def _emit(self, event: str, *args: Any) -> None:
        """Emit to the admins: here, and through the message queue while some
        other process has admins connected. An error is logged: the
        application's own emit or event goes on."""
        remote = self._remote_admins()
        if not remote and not self.admins:
            return
        try:
            target = Target(self.namespace, None, frozenset(), not remote)
            self.server.emit_to(target, event, list(args))
        except Exception:
            log.exception("admin UI: could not report %s", event)

    def _watched(self) -> bool:
        """Whether any admin, here or in another process, is connected."""
        return bool(self.admins) or self._remote_admins()

    def _remote_admins(self) -> bool:
        cluster = self.cluster
        return cluster is not None and cluster.remote_admins()

    def _send_stats(self) -> None:
        """One tick of `stats_task`: presence to the other processes, and
        ``server_stats`` to the admins."""
        if self.cluster is not None:
            self.cluster.announce()
        self._emit("server_stats", self.stats())

    def stats(self) -> dict[str, Any]:
        """This process's ``server_stats`` (the aggregated events are taken:
        each is reported once)."""
        return server_stats(self.server, self.server_id, self._started, self.events.take())

    # -- the admins' connections -------------------------------------------------------

    def _on_connect(self, sid: str, environ: Any, auth: Any = None) -> None:
        token = auth.get("sessionId") if isinstance(auth, Mapping) else None
        if not self.credentials.open and not self.tokens.valid(token):
            if not self.credentials.verify(auth):
                log.warning("admin UI login refused (%s)", environ.get("REMOTE_ADDR", "?"))
                raise ConnectionRefusedError("invalid credentials")
            self.server.emit("session", self.tokens.issue(), to=sid, namespace=self.namespace)
        self.admins.add(sid)
        self.stats_task.start()
        self.server.emit(
            "config", {"supportedFeatures": self.features}, to=sid, namespace=self.namespace
        )
        if self.development:
            self.server.emit("all_sockets", self.local_sockets(), to=sid, namespace=self.namespace)
            if self.cluster is not None:
                self.cluster.fetch(sid)
        elif self.cluster is not None:
            self.cluster.announce()

    # -- the UI's operations ----------------------------------------------------------------

    def _on_emit(self, sid: str, namespace: str, room: Any, event: str, *args: Any) -> None:
        self.server.emit(event, tuple(args), to=room or None, namespace=namespace)

    def _on_join(self, sid: str, namespace: str, room: Any, only: Any = None) -> None:
        self._operate("join", namespace, room=room, only=only)

    def _on_leave(self, sid: str, namespace: str, room: Any, only: Any = None) -> None:
        self._operate("leave", namespace, room=room, only=only)

    def _on_disconnect(
        self, sid: str, namespace: str, close: Any = False, only: Any = None
    ) -> None:
        self._operate("disconnect", namespace, close=bool(close), only=only)

    def _operate(self, op: str, namespace: str, **fields: Any) -> None:
        """Apply an operation to the sockets of `namespace` (those in the room
        `only`, or all) here, and have the other processes apply it to theirs."""
        self.apply(op, namespace, fields)
        if self.cluster is not None:
            self.cluster.operate(op, namespace, fields)

    def apply(self, op: str, namespace: str, fields: Mapping[str, Any]) -> None:
        """Apply the UI's operation `op` (join, leave, disconnect) to this
        process's sockets of `namespace` (those in the room ``fields["only"]``,
        or all)."""
        server = self.server
        room, only = fields.get("room"), fields.get("only")
        for sid, _ in server.manager.get_participants(namespace, only or None):
            if op == "join":
                server.enter_room(sid, room, namespace)
            elif op == "leave":
                server.leave_room(sid, room, namespace)
            elif op == "disconnect":
                conn = server.connection(sid, namespace)
                server.disconnect(sid, namespace, ignore_queue=True)
                if fields.get("close") and conn is not None:
                    conn.session.close(engine.SERVER_DISCONNECT)

    # -- sockets as the UI shows them -------------------------------------------------------

    def local_sockets(self) -> list[dict[str, Any]]:
        """This process's sockets, every namespace (`serialize`)."""
        found = []
        for namespace, rooms in list(self.server.manager.rooms.items()):
            for sid, conn in list(rooms.get(None, {}).items()):
                found.append(self.serialize(conn, namespace, sid))
        return found

    def serialize(self, conn: Connection, namespace: str, sid: str) -> dict[str, Any]:
        """A socket as the UI shows it (the Node server's ``SerializedSocket``)."""
        issued = self._since.get((namespace, sid), self._started)
        rooms = self.server.manager.get_rooms(sid, namespace)
        return serialize_socket(conn, namespace, sid, issued, rooms)

    # -- the observer's hooks --------------------------------------------------------------

    def session_opened(self, session: Session, environ: Any) -> None:
        self.events.push("rawConnection")
        self.stats_task.start()

    def session_closed(self, session: Session, reason: str) -> None:
        self.events.push("rawDisconnection", reason)

    def packets_received(self, session: Session, count: int, size: int) -> None:
        self.events.push_packets("packetsIn", count, "bytesIn", size)

    def packets_sent(self, session: Session, count: int, size: int) -> None:
        self.events.push_packets("packetsOut", count, "bytesOut", size)

    def session_upgraded(self, session: Session) -> None:
        if not self.development or not self._watched():
            return
        conn = self.server.connections.get(session.sid)
        if conn is not None:
            for namespace, sid in list(conn.sids.items()):
                update = {"id": sid, "nsp": namespace, "transport": "websocket"}
                self._emit("socket_updated", update)

    def connected(self, conn: Connection, namespace: str, sid: str) -> None:
        now = time.time()
        self._since[(namespace, sid)] = now
        if self.development and self._watched():
            self._emit("socket_connected", self.serialize(conn, namespace, sid), timestamp(now))

    def disconnected(self, conn: Connection, namespace: str, sid: str, reason: str) -> None:
        self._since.pop((namespace, sid), None)
        if namespace == self.namespace:
            self.admins.discard(sid)
        if self.development:
            self._emit("socket_disconnected", namespace, sid, reason, timestamp())

    def handle_event(
        self,
        conn: Connection,
        namespace: str,
        sid: str,
        event: str,
        args: Sequence[Any],
        call: Callable[[], Any],
    ) -> Any:
        if self.development and namespace != self.namespace and self._watched():
            self._emit("event_received", namespace, sid, [event, *args], timestamp())
        return call()

    def emitted(self, target: Target, event: str, args: Sequence[Any], members: list[Any]) -> None:
        namespace = target.namespace
        if not self.development or namespace == self.namespace:
            return
        if not self._watched():
            return
        now = timestamp()
        for conn in members:
            sid = conn.sids.get(namespace)
            if sid is not None:
                self._emit("event_sent", namespace, sid, [event, *args], now)

    def room_joined(self, namespace: str, room: Any, sid: str) -> None:
        if self.development:
            self._emit("room_joined", namespace, room, sid, timestamp())

    def room_left(self, namespace: str, room: Any, sid: str) -> None:
        if self.development:
            self._emit("room_left", namespace, room, sid, timestamp())

    def room_closing(self, namespace: str, room: Any) -> None:
        if self.development:
            for sid, _ in self.server.manager.get_participants(namespace, room):
                self.room_left(namespace, room, sid)
