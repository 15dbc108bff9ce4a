"""Drive the real JavaScript ``socket.io-client`` from pytest.

``NodeClient`` runs ``node tests/js/client.js`` (see ``tests/js/README.md``) and
talks to it in JSON lines (``tests/pipe.py``). One process can hold several sockets (namespaces);
each :meth:`NodeClient.connect` returns a :class:`JSSocket`::

    with NodeClient(version=2) as node:
        sock = node.connect(url, transports=["websocket"])
        assert sock.call("echo", b"\\x01", {"a": 1}) == [b"\\x01", {"a": 1}]
        sock.emit("ping_me")
        assert sock.wait_event("reply") == ["pong"]
        sock.listen("question", ack_reply=[42])  # answer the server's callback

Bytes travel as ``{"$bin": "<base64>"}`` on the pipe and are ``bytes`` here.
"""

from __future__ import annotations

import collections
import itertools
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.pipe import PipeClient, PipeSocket, from_wire, pop_left

JS_DIR = Path(__file__).resolve().parent / "js"
CLIENT_JS = JS_DIR / "client.js"


def node_available() -> bool:
    """Whether a ``node`` executable is on the PATH."""
    return shutil.which("node") is not None


def node_modules_installed() -> bool:
    """Whether ``npm ci`` has been run in ``tests/js`` (the clients are installed)."""
    return (JS_DIR / "node_modules" / "socket.io-client").is_dir()


class JSClientError(Exception):
    """A command failed in the Node process, or the process is gone."""

    def __init__(
        self, message: str, data: Any = None, description: int | str | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.data = data
        #: For transport failures: the HTTP status of the failed request, or a reason.
        self.description = description


class ConnectError(JSClientError):
    """The client could not connect: ``message`` and ``data`` are what the client saw.

    On 4.x a server refusal gives ``message`` and ``data`` from the CONNECT_ERROR
    packet. On 1.x/2.x a refusal gives the ERROR packet's payload as ``data`` (a
    string payload is also the ``message``); transport failures give messages
    such as ``"xhr poll error"`` (``description`` is the HTTP status) or
    ``"websocket error"`` on every version; ``"timeout"`` when nothing was
    reported in time.
    """


@dataclass
class _Inbox:
    """What the Node process reported about one socket, kept until the test pops it."""

    events: collections.defaultdict[str, collections.deque[list[Any]]] = field(
        default_factory=lambda: collections.defaultdict(collections.deque)
    )
    disconnects: collections.deque[str] = field(default_factory=collections.deque)
    reconnects: collections.deque[dict[str, Any]] = field(default_factory=collections.deque)


class JSSocket(PipeSocket):
    """One connected ``socket.io-client`` socket (one namespace) in the Node process."""

    def __init__(
        self, client: NodeClient, handle: str, namespace: str, reply: dict[str, Any], inbox: _Inbox
    ) -> None:
        self.client = client
        self.handle = handle
        self.namespace = namespace
        #: The Socket.IO id the server gave this socket (2.x: ``/ns#<engine sid>``).
        self.sid: str = reply["sid"]
        #: The Engine.IO session id.
        self.engine_sid: str = reply["engine_sid"]
        #: The transport in use when the connection was made.
        self.connect_transport: str = reply["transport"]
        self._inbox = inbox

    def __repr__(self) -> str:
        return f"<JSSocket {self.handle} {self.namespace} sid={self.sid}>"

    def emit(self, event: str, *args: Any) -> None:
        """Emit ``event`` without asking for an acknowledgement."""
        self.client.request(
            {"cmd": "emit", "sock": self.handle, "event": event, "args": list(args)}
        )

    def call(self, event: str, *args: Any, timeout: float = 5) -> list[Any]:
        """Emit ``event`` with a callback and return the arguments the server acked with."""
        reply = self.client.request(
            {
                "cmd": "emit",
                "sock": self.handle,
                "event": event,
                "args": list(args),
                "ack": True,
                "timeout_ms": int(timeout * 1000),
            },
            timeout=timeout + 5,
        )
        return reply["args"]

    def listen(self, event: str, ack_reply: list[Any] | None = None) -> None:
        """Queue every ``event`` the server sends (``"*"``: all events not listened to by name).

        Sockets already queue everything unless connected with ``listen=()``; call
        this to answer the server's callbacks: when the server asks for one, the
        client calls it with the values of ``ack_reply``.
        """
        self.client.request(
            {
                "cmd": "listen",
                "sock": self.handle,
                "event": event,
                "ack_reply": None if ack_reply is None else list(ack_reply),
            }
        )

    def wait_event(self, event: str, timeout: float = 5) -> list[Any]:
        """Pop the next queued ``event`` and return its arguments, waiting up to ``timeout``."""
        queue = self._inbox.events[event]
        what = f"event {event!r} on {self.handle}"
        return self.client._wait(lambda: pop_left(queue), timeout, what)

    def received(self, event: str) -> list[list[Any]]:
        """The argument lists of every ``event`` queued and not yet popped, without waiting."""
        with self.client._cond:
            return list(self._inbox.events[event])

    def transport(self) -> str | None:
        """The name of the Engine.IO transport in use now (``"polling"`` or ``"websocket"``)."""
        return self.client.request({"cmd": "transport", "sock": self.handle})["transport"]

    def cut(self) -> None:
        """Close the transport under the socket, as a network blip does (4.x with
        ``reconnection=True`` reconnects by itself)."""
        self.client.request({"cmd": "cut", "sock": self.handle})

    def state(self) -> dict[str, Any]:
        """``{"sid", "connected", "recovered"}`` as the client sees them now."""
        return self.client.request({"cmd": "state", "sock": self.handle})

    def wait_reconnect(self, timeout: float = 5) -> dict[str, Any]:
        """Wait for this socket to reconnect; ``{"sid", "recovered"}``."""
        queue = self._inbox.reconnects
        return self.client._wait(lambda: pop_left(queue), timeout, f"reconnect of {self.handle}")

    def disconnect(self) -> None:
        """Disconnect this socket from its namespace (client-initiated)."""
        self.client.request({"cmd": "disconnect", "sock": self.handle})

    def wait_disconnect(self, timeout: float = 5) -> str:
        """Wait for this socket to be disconnected and return the client's reason.

        Reasons come from the client: ``"io server disconnect"``, ``"io client
        disconnect"``, ``"transport close"``, ``"ping timeout"``...
        """
        queue = self._inbox.disconnects
        return self.client._wait(lambda: pop_left(queue), timeout, f"disconnect of {self.handle}")


class NodeClient(PipeClient):
    """A ``node tests/js/client.js`` process running one generation of ``socket.io-client``.

    ``version`` is the client major version: 4 (Engine.IO 4), 2 or 1 (Engine.IO 3).
    """

    name = "node"
    error = JSClientError

    def __init__(self, version: int = 4, node: str = "node") -> None:
        self.version = version
        self._inboxes: dict[str, _Inbox] = {}
        self._handles = itertools.count(1)
        super().__init__([node, str(CLIENT_JS)], cwd=JS_DIR)

    def connect(
        self,
        url: str,
        namespace: str = "/",
        transports: list[str] | None = None,
        auth: dict[str, Any] | None = None,
        query: dict[str, Any] | None = None,
        timeout: float = 10,
        listen: Sequence[str] = ("*",),
        **opts: Any,
    ) -> JSSocket:
        """Connect a new socket to ``namespace`` on the server at ``url`` (``http://127.0.0.1:PORT``).

        ``transports`` defaults to the client's own (polling, then upgrade to
        websocket). ``auth`` exists on 4.x only; 1.x/2.x send credentials in
        ``query``, which also rides on a namespace's CONNECT packet there.
        ``listen`` names the events queued from the start, so that what a
        server's connect handler emits is not missed; the default ``"*"`` queues
        every event (use :meth:`JSSocket.listen` to answer the server's callbacks).
        ``opts`` go to ``io()`` as they are (``forceNew``, ``upgrade``, ``path``,
        ``extraHeaders``, ...); reconnection is off unless ``reconnection=True``.
        Raises :class:`ConnectError` when the client reports a failure.
        """
        if auth is not None and self.version != 4:
            raise ValueError(f"socket.io-client {self.version}.x has no auth: use query")
        options = dict(opts)
        for key, value in (("transports", transports), ("auth", auth), ("query", query)):
            if value is not None:
                options[key] = value
        handle = f"s{next(self._handles)}"
        inbox = _Inbox()
        with self._cond:
            # Registered before the command: events can arrive ahead of the connect reply.
            self._inboxes[handle] = inbox
        try:
            reply = self.request(
                {
                    "cmd": "connect",
                    "sock": handle,
                    "url": url,
                    "namespace": namespace,
                    "version": self.version,
                    "options": options,
                    "listen": list(listen),
                    "timeout_ms": int(timeout * 1000),
                },
                timeout=timeout + 5,
                error=ConnectError,
            )
        except BaseException:
            with self._cond:
                del self._inboxes[handle]
            raise
        return JSSocket(self, handle, namespace, reply, inbox)

    def _failure(self, reply: dict[str, Any], error: type[Exception]) -> Exception:
        return error(reply["error"], from_wire(reply.get("data")), reply.get("description"))

    def _report(self, msg: dict[str, Any]) -> None:
        inbox = self._inboxes.get(msg.get("sock", ""))
        if inbox is None:
            return
        if msg["type"] == "event":
            inbox.events[msg["event"]].append(from_wire(msg["args"]))
        elif msg["type"] == "disconnect":
            inbox.disconnects.append(msg["reason"])
        elif msg["type"] == "reconnect":
            inbox.reconnects.append({"sid": msg["sid"], "recovered": msg["recovered"]})
