"""The server side of the Socket.IO Admin UI (npm ``@socket.io/admin-ui``).

The UI (hosted at https://admin.socket.io, or served from the npm
package's ``ui/dist``) connects to a namespace of this server (``/admin``)
and speaks the protocol of the package's Node server:

- on connect, the server sends ``session`` (a token the UI keeps, to log in
  again without the password), ``config`` (the features it supports) and,
  in development mode, ``all_sockets``;
- every ``server_stats_interval`` seconds each server sends ``server_stats``
  (its id, clients, namespaces, and the packets, bytes, connections and
  disconnections of the last seconds);
- in development mode, live: ``socket_connected``, ``socket_updated`` (the
  upgrade to websocket), ``socket_disconnected``, ``room_joined``,
  ``room_left``, ``event_received`` and ``event_sent``;
- unless read-only, the UI sends ``emit``, ``join``, ``leave`` and
  ``_disconnect``, each for a namespace and optionally a room or a socket.

With a message queue every process of the cluster appears: emits to the
admin namespace travel through the relay as any other, and the admin UIs of
the processes exchange a few messages of their own (``admin:*``, see
`PubSubManager.on_relay`): who has admins connected (so that nobody
publishes for no one), the sockets of the other processes when an admin
connects, and the UI's operations for their sockets.

It is an `Observer` of the server: nothing is reported, nor costs anything,
until `Server.instrument` (or ``SocketIO(app, admin_ui={...})``) is called.

>>> from flask_socketio.server import Server
>>> sio = Server(async_mode="threading", cors_allowed_origins=["https://admin.socket.io"])
>>> admin = sio.instrument(auth={"username": "admin", "password": "changeit"})
>>> admin.namespace, admin.mode
('/admin', 'development')
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from .. import engine
from ..managers import PubSubManager, Target
from .exceptions import ConnectionRefusedError
from .observer import Observer

if TYPE_CHECKING:
    from ..drivers import Task
    from ..engine import Session
    from .connection import Connection
    from .server import Server

log = logging.getLogger("flask_socketio.admin")

HOSTNAME = socket.gethostname()

#: The features of the UI a server may announce (``config``).
EDIT_FEATURES = ("EMIT", "JOIN", "LEAVE", "DISCONNECT", "MJOIN", "MLEAVE", "MDISCONNECT")

#: Headers never shown in the UI: they carry the users' credentials.
REDACTED_HEADERS = frozenset({"cookie", "authorization", "proxy-authorization"})

_BCRYPT_PREFIXES = ("$2a$", "$2b$", "$2y$")
_WERKZEUG_PREFIXES = ("pbkdf2:", "scrypt:")


def timestamp(seconds: float | None = None) -> str:
    """A time as the UI reads it (JavaScript's ``Date`` in JSON).

    >>> timestamp(0)
    '1970-01-01T00:00:00.000Z'
    """
    moment = datetime.fromtimestamp(time.time() if seconds is None else seconds, timezone.utc)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


# -- authentication -------------------------------------------------------------


def password_matches(stored: str, given: Any) -> bool:
    """Whether `given` is the password `stored` stands for: a bcrypt hash
    (``$2b$...``, as the Node server takes; needs the ``bcrypt`` package), a
    Werkzeug hash (``scrypt:...``, ``pbkdf2:...``), or the password itself
    (compared in constant time).

    >>> from werkzeug.security import generate_password_hash
    >>> password_matches(generate_password_hash("changeit"), "changeit")
    True
    >>> password_matches("changeit", "guess")
    False
    """
    if not isinstance(given, str):
        return False
    if stored.startswith(_BCRYPT_PREFIXES):
        import bcrypt

        try:
            return bool(bcrypt.checkpw(given.encode(), stored.encode()))
        except ValueError:
            return False
    if stored.startswith(_WERKZEUG_PREFIXES):
        from werkzeug.security import check_password_hash

        return check_password_hash(stored, given)
    return hmac.compare_digest(stored.encode(), given.encode())


class Credentials:
    """Who may use the admin UI, from `AdminUI`'s `auth`:

    - ``{"username": ..., "password": ...}``, where the password is a bcrypt
      hash, a Werkzeug hash or the password itself (see `password_matches`;
      the Node server's ``{"type": "basic", ...}`` is the same);
    - a list of such dicts;
    - a callable given the UI's auth data (``{"username", "password"}``),
      returning whether to let it in;
    - ``False``: anyone (never on a server others can reach).

    >>> Credentials({"username": "admin", "password": "changeit"}).verify(
    ...     {"username": "admin", "password": "changeit"})
    True
    """

    def __init__(self, auth: Any) -> None:
        self.open = auth is False
        self._callable: Callable[[Any], Any] | None = None
        self._users: list[tuple[str, str]] = []
        if auth is None or auth is True:
            raise ValueError(
                "the admin UI needs auth: {'username': ..., 'password': ...} (the password "
                "may be a bcrypt or Werkzeug hash), a list of them, a callable, or False to "
                "let anyone in"
            )
        if self.open:
            log.warning("the admin UI is open to anyone: authentication is off (auth=False)")
        elif callable(auth):
            self._callable = auth
        elif isinstance(auth, Mapping):
            self._users = [self._user(auth)]
        elif isinstance(auth, (list, tuple)) and auth:
            self._users = [self._user(entry) for entry in auth]
        else:
            raise TypeError(f"unsupported admin UI auth: {type(auth).__name__}")

    @staticmethod
    def _user(entry: Any) -> tuple[str, str]:
        if not isinstance(entry, Mapping):
            raise TypeError("each admin UI user is a dict with a username and a password")
        if entry.get("type", "basic") != "basic":
            raise ValueError(f"unsupported admin UI auth type {entry.get('type')!r}")
        username, password = entry.get("username"), entry.get("password")
        if not isinstance(username, str) or not isinstance(password, str) or not password:
            raise ValueError("an admin UI user needs a username and a non-empty password")
        if password.startswith(_BCRYPT_PREFIXES):
            try:
                import bcrypt  # noqa: F401 - checked now rather than at the first login
            except ImportError as exc:
                raise ImportError(
                    "a bcrypt password hash needs the bcrypt package: "
                    "pip install flask-socketio-native[admin]"
                ) from exc
        return username, password

    def verify(self, given: Any) -> bool:
        """Whether the UI's auth data `given` lets it in."""
        if self.open:
            return True
        if self._callable is not None:
            return bool(self._callable(given))
        if not isinstance(given, Mapping):
            return False
        username = given.get("username")
        if not isinstance(username, str):
            return False
        matched = False
        for name, stored in self._users:
            if hmac.compare_digest(name.encode(), username.encode()):
                matched = password_matches(stored, given.get("password")) or matched
        return matched

    def secret(self) -> bytes | None:
        """Key material shared by every process with the same users (None for
        a callable or no authentication)."""
        if not self._users:
            return None
        return json.dumps(sorted(self._users)).encode()


class SessionTokens:
    """The tokens the UI keeps to log in again without the password (its
    ``sessionId``): an expiry time signed with HMAC-SHA256, so that any
    process with the same key accepts them.

    >>> tokens = SessionTokens(b"key", lifetime=60)
    >>> tokens.valid(tokens.issue())
    True
    >>> tokens.valid("123.forged")
    False
    """

    def __init__(self, key: bytes, lifetime: float) -> None:
        self.key = key
        self.lifetime = lifetime

    def _sign(self, expires: str) -> str:
        return hmac.new(self.key, expires.encode(), hashlib.sha256).hexdigest()

    def issue(self) -> str:
        expires = str(int(time.time() + self.lifetime))
        return f"{expires}.{self._sign(expires)}"

    def valid(self, token: Any) -> bool:
        if not isinstance(token, str) or "." not in token:
            return False
        expires, signature = token.split(".", 1)
        if not hmac.compare_digest(signature.encode(), self._sign(expires).encode()):
            return False
        return expires.isdigit() and int(expires) > time.time()


# -- aggregated events --------------------------------------------------------------


class EventBuffer:
    """Counts per second and kind (``packetsIn``, ``bytesOut``,
    ``rawConnection``, ...), sent with each ``server_stats`` then cleared.

    >>> buffer = EventBuffer()
    >>> buffer.push("packetsIn", count=2)
    >>> [(e["type"], e["count"]) for e in buffer.take()]
    [('packetsIn', 2)]
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[tuple[int, str, str | None], int] = {}

    def push(self, kind: str, sub_kind: str | None = None, count: int = 1) -> None:
        key = (int(time.time()) * 1000, kind, sub_kind)
        with self._lock:
            self._counts[key] = self._counts.get(key, 0) + count

    def push_packets(self, packets: str, count: int, size_kind: str, size: int) -> None:
        """`count` packets of `size` bytes: two kinds at once (on every packet's path)."""
        moment = int(time.time()) * 1000
        packets_key, size_key = (moment, packets, None), (moment, size_kind, None)
        with self._lock:
            counts = self._counts
            counts[packets_key] = counts.get(packets_key, 0) + count
            counts[size_key] = counts.get(size_key, 0) + size

    def take(self) -> list[dict[str, Any]]:
        with self._lock:
            counts, self._counts = self._counts, {}
        events = []
        for (moment, kind, sub_kind), count in counts.items():
            event: dict[str, Any] = {"timestamp": moment, "type": kind, "count": count}
            if sub_kind is not None:
                event["subType"] = sub_kind
            events.append(event)
        return events


# -- the admin namespace ------------------------------------------------------------


class AdminUI(Observer):
    """The admin UI's namespace on `server` (see the module's description).

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
        if isinstance(session_secret, str):
            session_secret = session_secret.encode()
        key = session_secret or self.credentials.secret() or secrets.token_bytes(32)
        key = hmac.new(key, self.namespace.encode(), hashlib.sha256).digest()
        self.tokens = SessionTokens(key, session_lifetime)
        self.events = EventBuffer()
        self.features = [] if read_only else list(EDIT_FEATURES)
        self.features.append("AGGREGATED_EVENTS")
        if self.development:
            self.features.append("ALL_EVENTS")
        self._started = time.time()
        # When each socket connected, by (namespace, sid): the UI shows it.
        self._since: dict[tuple[str, str], float] = {}
        self._admins: set[str] = set()  # the admins' sids here
        self._peers: dict[str, float] = {}  # processes with admins: last heard (monotonic)
        self._stats_task: Task | None = None
        self._stats_lock = threading.Lock()
        self._stopped = server.driver.Event()
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
            manager.on_relay("admin:presence", self._on_presence)
            manager.on_relay("admin:fetch", self._on_fetch)
            manager.on_relay("admin:sockets", self._on_sockets)
            manager.on_relay("admin:op", self._on_op)

    @property
    def _relay(self) -> PubSubManager[Any] | None:
        manager = self.server.manager
        return manager if isinstance(manager, PubSubManager) else None

    def shutdown(self) -> None:
        """Stop sending ``server_stats`` (python-socketio's name)."""
        self._stopped.set()
        task, self._stats_task = self._stats_task, None
        if task is not None:
            task.join()

    # -- sending to the admins ------------------------------------------------------

    def _emit(self, event: str, *args: Any) -> None:
        """Emit to the admins: here, and through the message queue while some
        other process has admins connected. An error is logged: the
        application's own emit or event goes on."""
        remote = self._remote_admins()
        if not remote and not self._admins:
            return
        try:
            target = Target(self.namespace, None, frozenset(), not remote)
            self.server.emit_to(target, event, list(args))
        except Exception:
            log.exception("admin UI: could not report %s", event)

    def _watched(self) -> bool:
        """Whether any admin, here or in another process, is connected."""
        return bool(self._admins) or self._remote_admins()

    def _remote_admins(self) -> bool:
        if not self._peers:
            return False
        horizon = time.monotonic() - 3 * self.server_stats_interval
        return any(seen > horizon for seen in list(self._peers.values()))

    def _announce(self) -> None:
        relay = self._relay
        if relay is not None and self._admins:
            relay.relay("admin:presence")

    # -- the admins' connections -------------------------------------------------------

    def _on_connect(self, sid: str, environ: Any, auth: Any = None) -> None:
        token = auth.get("sessionId") if isinstance(auth, Mapping) else None
        if not self.credentials.open and not self.tokens.valid(token):
            if not self.credentials.verify(auth):
                log.warning("admin UI login refused (%s)", environ.get("REMOTE_ADDR", "?"))
                raise ConnectionRefusedError("invalid credentials")
            self.server.emit("session", self.tokens.issue(), to=sid, namespace=self.namespace)
        self._admins.add(sid)
        self._start_stats()
        self.server.emit(
            "config", {"supportedFeatures": self.features}, to=sid, namespace=self.namespace
        )
        if self.development:
            self.server.emit("all_sockets", self._local_sockets(), to=sid, namespace=self.namespace)
            relay = self._relay
            if relay is not None:
                relay.relay("admin:fetch", sid=sid)  # which says we have admins, too
        else:
            self._announce()

    def _on_presence(self, message: Mapping[str, Any]) -> None:
        self._peers[str(message.get("host_id"))] = time.monotonic()
        self._start_stats()

    def _on_fetch(self, message: Mapping[str, Any]) -> None:
        """Another process's admin connected: send it our sockets."""
        self._on_presence(message)
        relay = self._relay
        if relay is not None and self.development:
            sockets = self._local_sockets()
            if sockets:
                origin, sid = message.get("host_id"), message.get("sid")
                relay.relay("admin:sockets", to_host=origin, sid=sid, sockets=sockets)

    def _on_sockets(self, message: Mapping[str, Any]) -> None:
        """The sockets of another process, for an admin of ours."""
        relay, sid = self._relay, message.get("sid")
        if relay is None or message.get("to_host") != relay.host_id or sid not in self._admins:
            return
        target = Target(self.namespace, (sid,), frozenset(), True)
        for serialized in message.get("sockets") or ():
            issued = serialized.get("handshake", {}).get("issued", 0) / 1000
            self.server.emit_to(target, "socket_connected", [serialized, timestamp(issued)])

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
        self._apply(op, namespace, fields)
        relay = self._relay
        if relay is not None:
            relay.relay("admin:op", op=op, namespace=namespace, **fields)

    def _on_op(self, message: Mapping[str, Any]) -> None:
        if not self.read_only:
            self._apply(str(message.get("op")), message.get("namespace") or "/", message)

    def _apply(self, op: str, namespace: str, fields: Mapping[str, Any]) -> None:
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

    # -- server statistics -------------------------------------------------------------------

    def _start_stats(self) -> None:
        if self._stats_task is not None or self._stopped.is_set():
            return
        with self._stats_lock:
            if self._stats_task is None:
                self._stats_task = self.server.driver.spawn(self._stats_loop)

    def _stats_loop(self) -> None:
        while True:
            try:
                self._announce()
                self._emit("server_stats", self.stats())
            except Exception:
                log.exception("admin UI: server_stats failed")
            if self._stopped.wait(self.server_stats_interval):
                return

    def stats(self) -> dict[str, Any]:
        """This process's ``server_stats`` (the aggregated events are taken:
        each is reported once)."""
        server = self.server
        sessions = list(server.eio.sessions.values())
        rooms = server.manager.rooms
        names = {"/", *list(server.handlers), *list(server.namespace_handlers), *list(rooms)}
        names.discard("*")
        return {
            "serverId": self.server_id,
            "hostname": HOSTNAME,
            "pid": os.getpid(),
            "uptime": time.time() - self._started,
            "clientsCount": len(sessions),
            "pollingClientsCount": sum(1 for s in sessions if s.transport == "polling"),
            "aggregatedEvents": self.events.take(),
            "namespaces": [
                {"name": name, "socketsCount": len(rooms.get(name, {}).get(None, ()))}
                for name in sorted(names)
            ],
        }

    # -- sockets as the UI shows them -------------------------------------------------------

    def _local_sockets(self) -> list[dict[str, Any]]:
        found = []
        for namespace, rooms in list(self.server.manager.rooms.items()):
            for sid, conn in list(rooms.get(None, {}).items()):
                found.append(self.serialize(conn, namespace, sid))
        return found

    def serialize(self, conn: Connection, namespace: str, sid: str) -> dict[str, Any]:
        """A socket as the UI shows it (the Node server's ``SerializedSocket``)."""
        environ = conn.environ
        headers = {
            key[5:].lower().replace("_", "-"): value
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        for name in REDACTED_HEADERS & headers.keys():
            headers[name] = "(hidden)"
        address = (
            headers.get("cf-connecting-ip")
            or headers.get("x-forwarded-for")
            or environ.get("REMOTE_ADDR", "")
        )
        query_string = environ.get("QUERY_STRING", "")
        query = {k: v[0] if len(v) == 1 else v for k, v in parse_qs(query_string).items()}
        issued = self._since.get((namespace, sid), self._started)
        return {
            "id": sid,
            "clientId": conn.eio_sid,
            "transport": conn.session.transport,
            "nsp": namespace,
            "data": {},
            "handshake": {
                "address": address,
                "headers": headers,
                "query": query,
                "issued": int(issued * 1000),
                "secure": environ.get("wsgi.url_scheme") == "https",
                "time": timestamp(issued),
                "url": environ.get("PATH_INFO", "") + ("?" + query_string if query_string else ""),
                "xdomain": "origin" in headers,
            },
            "rooms": self.server.manager.get_rooms(sid, namespace),
        }

    # -- the observer's hooks --------------------------------------------------------------

    def session_opened(self, session: Session, environ: Any) -> None:
        self.events.push("rawConnection")
        self._start_stats()

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
            self._admins.discard(sid)
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
