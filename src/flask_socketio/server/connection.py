"""The Socket.IO side of one Engine.IO session: `Connection`.

A connection is what the engine's session hands its client's messages to
(it is the session's `SessionHandler`), what the manager keeps in its rooms,
and what the server sends through. It holds the client's sids (one per
namespace since protocol v5), its pending acks, the queue of its handler
jobs, and the WSGI environ of the request that opened it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from .._types import Environ
from ..wire import engineio as eio
from ..wire import socketio as sio

if TYPE_CHECKING:
    from ..drivers import Lock
    from ..engine import Session
    from .recovery import Carried, RecoveryState
    from .server import Server


class ConnectionHandler:
    """Base of handlers that want the connection of the event they handle
    (the Flask extension's, which run in the request context of the
    connection). The server calls `call` instead of the python-socketio
    convention ``handler(sid, *args)``."""

    def call(
        self, conn: Connection, event: str, namespace: str, sid: str, args: Sequence[Any]
    ) -> Any:
        """Handle `event` of client `sid` on `namespace`. `args` are the
        event's arguments; for ``connect`` the environ and the auth data, for
        ``disconnect`` the reason."""
        raise NotImplementedError


class Connection:
    """Socket.IO state of one Engine.IO session."""

    __slots__ = (
        "server",
        "session",
        "eio_sid",
        "version",
        "decoder",
        "environ",
        "sids",
        "acks",
        "next_ack",
        "inbox",
        "running",
        "lock",
        "held",
        "sessions",
        "recovery",
        "app_state",
    )

    def __init__(
        self, server: Server, session: Session, environ: Environ, decoder: sio.Decoder, lock: Lock
    ) -> None:
        self.server = server
        self.session = session
        self.eio_sid = session.sid
        self.version = session.version
        self.decoder = decoder
        self.environ = environ
        self.sids: dict[str, str] = {}  # namespace -> sid
        self.acks: dict[int, Callable[..., Any]] = {}
        self.next_ack = 0
        #: The client's jobs waiting for the one running (made when needed).
        self.inbox: deque[Callable[[], None]] | None = None
        self.running = False
        self.lock = lock
        # While a connect handler runs, what it emits waits here so the client
        # gets the CONNECT reply first.
        self.held: list[eio.Packet] | None = None
        #: The user sessions of python-socketio's API (`Server.get_session`),
        #: per namespace.
        self.sessions: dict[str, dict[str, Any]] = {}
        #: Connection state recovery's record (None while recovery is off).
        self.recovery: RecoveryState | None = None
        #: Owned by the layer above the server (the Flask extension keeps its
        #: per-connection state here).
        self.app_state: Any = None

    def __repr__(self) -> str:
        return f"<Connection {self.eio_sid} {sorted(self.sids)}>"

    # -- the engine's SessionHandler ----------------------------------------

    def message(self, data: str | bytes, inline: bool) -> None:
        self.server.receive(self, data, inline)

    def closed(self, reason: str) -> None:
        self.server.connection_closed(self, reason)

    # -- sending ------------------------------------------------------------

    def send(self, packets: list[eio.Packet]) -> None:
        """Send encoded packets (held back while a connect handler runs)."""
        if self.held is not None:
            with self.lock:
                if self.held is not None:
                    self.held.extend(packets)
                    return
        self.session.send_many(packets)

    def register_ack(self, callback: Callable[..., Any]) -> int:
        """A new ack id, whose ack will be passed to `callback`."""
        with self.lock:
            self.next_ack += 1
            self.acks[self.next_ack] = callback
            return self.next_ack

    def forget_ack(self, callback: Callable[..., Any]) -> None:
        """Drop the pending acks that would go to `callback` (its caller
        stopped waiting)."""
        with self.lock:
            for ack_id in [i for i, pending in self.acks.items() if pending is callback]:
                del self.acks[ack_id]

    def recovered_from(self, namespace: str) -> Connection | Carried | None:
        """The connection this client had before it came back (connection
        state recovery), if it came back to `namespace` (from another process:
        the state it brought)."""
        state = self.recovery
        return state.previous.get(namespace) if state is not None else None

    def rebind(self, environ: Environ) -> None:
        """Make `environ` the connection's request (the test client's later
        connects bring their own)."""
        self.environ = environ
        self.app_state = None
