"""The admin UI across the processes of a message queue.

Emits to the admin namespace travel through the relay as any other; on top
of them, the admin UIs of the processes exchange a few messages of their
own (``admin:*``, see `PubSubManager.on_relay`):

- ``admin:presence``: this process has admins connected (sent with each
  ``server_stats``), so that nobody publishes for no one;
- ``admin:fetch``: an admin connected here; the others answer with their
  sockets (``admin:sockets``, to this process only);
- ``admin:op``: the UI's operations (join, leave, disconnect), for the
  others' sockets.

>>> from flask_socketio.managers import PubSubManager
>>> from flask_socketio.server import Server
>>> sio = Server(client_manager=PubSubManager(write_only=True), async_mode="threading")
>>> admin = sio.instrument(auth=False)
>>> admin.cluster is not None, admin.cluster.remote_admins()
(True, False)
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ...managers import PubSubManager, Target
from .protocol import timestamp

if TYPE_CHECKING:
    from .ui import AdminUI

PRESENCE, FETCH, SOCKETS, OP = "admin:presence", "admin:fetch", "admin:sockets", "admin:op"


class AdminCluster:
    """The admin UI `ui` and those of the other processes, through `relay`."""

    def __init__(self, ui: AdminUI, relay: PubSubManager[Any]) -> None:
        self.ui = ui
        self.relay = relay
        #: The processes with admins connected: when each was last heard (monotonic).
        self._peers: dict[str, float] = {}
        relay.on_relay(PRESENCE, self._on_presence)
        relay.on_relay(FETCH, self._on_fetch)
        relay.on_relay(SOCKETS, self._on_sockets)
        relay.on_relay(OP, self._on_op)

    def remote_admins(self) -> bool:
        """Whether another process has admins connected (heard from lately)."""
        if not self._peers:
            return False
        horizon = time.monotonic() - 3 * self.ui.server_stats_interval
        return any(seen > horizon for seen in list(self._peers.values()))

    def announce(self) -> None:
        """Tell the others that admins are connected here, if any are."""
        if self.ui.admins:
            self.relay.relay(PRESENCE)

    def fetch(self, sid: str) -> None:
        """Ask the others for their sockets, for the admin `sid` that just
        connected here (which says we have admins, too)."""
        self.relay.relay(FETCH, sid=sid)

    def operate(self, op: str, namespace: str, fields: Mapping[str, Any]) -> None:
        """Have the others apply the UI's operation `op` to their sockets."""
        self.relay.relay(OP, op=op, namespace=namespace, **fields)

    # -- the others' messages ---------------------------------------------------------

    def _on_presence(self, message: Mapping[str, Any]) -> None:
        self._peers[str(message.get("host_id"))] = time.monotonic()
        self.ui.stats_task.start()

    def _on_fetch(self, message: Mapping[str, Any]) -> None:
        """Another process's admin connected: send it our sockets."""
        self._on_presence(message)
        if self.ui.development:
            sockets = self.ui.local_sockets()
            if sockets:
                origin, sid = message.get("host_id"), message.get("sid")
                self.relay.relay(SOCKETS, to_host=origin, sid=sid, sockets=sockets)

    def _on_sockets(self, message: Mapping[str, Any]) -> None:
        """The sockets of another process, for an admin of ours."""
        sid = message.get("sid")
        if message.get("to_host") != self.relay.host_id or sid not in self.ui.admins:
            return
        target = Target(self.ui.namespace, (sid,), frozenset(), True)
        for serialized in message.get("sockets") or ():
            issued = serialized.get("handshake", {}).get("issued", 0) / 1000
            self.ui.server.emit_to(target, "socket_connected", [serialized, timestamp(issued)])

    def _on_op(self, message: Mapping[str, Any]) -> None:
        if not self.ui.read_only:
            self.ui.apply(str(message.get("op")), message.get("namespace") or "/", message)
