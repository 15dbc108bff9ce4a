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
`cluster`).

The modules:

- `ui`: `AdminUI`, the namespace's handlers and the observer's hooks;
- `auth`: who may log in (`Credentials`) and the login tokens (`SessionTokens`);
- `protocol`: sockets, servers and times as the UI reads them;
- `stats`: the aggregated events (`EventBuffer`) and the periodic ``server_stats``;
- `cluster`: the ``admin:*`` messages between processes (`AdminCluster`).

>>> from flask_socketio.server import Server
>>> sio = Server(async_mode="threading", cors_allowed_origins=["https://admin.socket.io"])
>>> admin = sio.instrument(auth={"username": "admin", "password": "changeit"})
>>> isinstance(admin, AdminUI), admin.features[-1]
(True, 'ALL_EVENTS')
"""

from __future__ import annotations

from .auth import Credentials, SessionTokens, password_matches
from .cluster import AdminCluster
from .protocol import EDIT_FEATURES, HOSTNAME, REDACTED_HEADERS, timestamp
from .stats import EventBuffer
from .ui import AdminUI

__all__ = [
    "EDIT_FEATURES",
    "HOSTNAME",
    "REDACTED_HEADERS",
    "AdminCluster",
    "AdminUI",
    "Credentials",
    "EventBuffer",
    "SessionTokens",
    "password_matches",
    "timestamp",
]
