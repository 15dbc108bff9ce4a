"""What the admin UI reads: sockets, servers and times as the Node server
of npm ``@socket.io/admin-ui`` sends them.

- `config`: the features this server supports (`features`);
- `serialize_socket`: a socket (``all_sockets``, ``socket_connected``), the
  Node server's ``SerializedSocket``;
- `server_stats`: a process (``server_stats``);
- `timestamp`: a time (JavaScript's ``Date`` in JSON).

>>> features(read_only=True, development=False)
['AGGREGATED_EVENTS']
"""

from __future__ import annotations

import os
import socket
import time
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

if TYPE_CHECKING:
    from ..connection import Connection
    from ..server import Server

HOSTNAME = socket.gethostname()

#: The features of the UI a server may announce (``config``).
EDIT_FEATURES = ("EMIT", "JOIN", "LEAVE", "DISCONNECT", "MJOIN", "MLEAVE", "MDISCONNECT")

#: Headers never shown in the UI: they carry the users' credentials.
REDACTED_HEADERS = frozenset({"cookie", "authorization", "proxy-authorization"})


def timestamp(seconds: float | None = None) -> str:
    """A time as the UI reads it (JavaScript's ``Date`` in JSON).

    >>> timestamp(0)
    '1970-01-01T00:00:00.000Z'
    """
    moment = datetime.fromtimestamp(time.time() if seconds is None else seconds, timezone.utc)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def features(read_only: bool, development: bool) -> list[str]:
    """The ``supportedFeatures`` of ``config``: the operations unless
    `read_only`, the aggregated events, and every event live in `development`.

    >>> features(read_only=False, development=True)[-2:]
    ['AGGREGATED_EVENTS', 'ALL_EVENTS']
    """
    found = [] if read_only else list(EDIT_FEATURES)
    found.append("AGGREGATED_EVENTS")
    if development:
        found.append("ALL_EVENTS")
    return found


def serialize_socket(
    conn: Connection, namespace: str, sid: str, issued: float, rooms: list[Any]
) -> dict[str, Any]:
    """The socket `sid` of `conn` on `namespace`, connected at `issued` (a
    Unix time) and in `rooms`, as the UI shows it (the Node server's
    ``SerializedSocket``); the headers that carry credentials are hidden.

    >>> from types import SimpleNamespace
    >>> conn = SimpleNamespace(eio_sid="e1", session=SimpleNamespace(transport="polling"),
    ...                        environ={"HTTP_COOKIE": "session=...", "QUERY_STRING": "v=1"})
    >>> socket = serialize_socket(conn, "/", "s1", 0, ["s1"])
    >>> socket["handshake"]["headers"], socket["handshake"]["query"], socket["handshake"]["time"]
    ({'cookie': '(hidden)'}, {'v': '1'}, '1970-01-01T00:00:00.000Z')
    """
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
        "rooms": rooms,
    }


def server_stats(
    server: Server, server_id: str, started: float, events: list[dict[str, Any]]
) -> dict[str, Any]:
    """The ``server_stats`` of `server`, named `server_id`, up since
    `started` (a Unix time), with the aggregated `events` (`EventBuffer.take`).

    >>> from flask_socketio.server import Server
    >>> stats = server_stats(Server(async_mode="threading"), "me", time.time(), [])
    >>> stats["serverId"], stats["clientsCount"], stats["namespaces"]
    ('me', 0, [{'name': '/', 'socketsCount': 0}])
    """
    sessions = list(server.eio.sessions.values())
    rooms = server.manager.rooms
    names = {"/", *list(server.handlers), *list(server.namespace_handlers), *list(rooms)}
    names.discard("*")
    return {
        "serverId": server_id,
        "hostname": HOSTNAME,
        "pid": os.getpid(),
        "uptime": time.time() - started,
        "clientsCount": len(sessions),
        "pollingClientsCount": sum(1 for s in sessions if s.transport == "polling"),
        "aggregatedEvents": events,
        "namespaces": [
            {"name": name, "socketsCount": len(rooms.get(name, {}).get(None, ()))}
            for name in sorted(names)
        ],
    }
