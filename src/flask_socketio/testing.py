"""An in-process Socket.IO client for unit tests.

It talks to the real server through an in-process Engine.IO session: the
same server code path as a network client, without the network. What it
sends is handled before the call returns.

>>> from flask import Flask
>>> from flask_socketio import SocketIO, emit
>>> app = Flask(__name__)
>>> socketio = SocketIO(app, async_mode="threading")
>>> @socketio.on("hello")
... def hello(name):
...     emit("greeting", "hello " + name)
...     return "done"
>>> client = socketio.test_client(app)
>>> client.emit("hello", "bob", callback=True)
'done'
>>> client.get_received()
[{'name': 'greeting', 'args': ['hello bob'], 'namespace': '/'}]
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from flask.testing import EnvironBuilder

from .engine import Session
from .managers import PubSubManager
from .server import Connection
from .wire import engineio as eio
from .wire import socketio as sio

if TYPE_CHECKING:
    from flask import Flask

    from .extension import SocketIO


class LocalSession(Session):
    """An in-process Engine.IO session: what the server sends goes to
    `deliver` at once, from the sending thread; it has no transport and no
    deadlines, and what it receives is handled before `receive` returns."""

    in_process = True

    def __init__(self, socketio: SocketIO, deliver: Callable[[list[eio.Packet]], None]) -> None:
        engine = socketio.server.eio
        super().__init__(engine.new_sid(), 4, engine.config, engine.driver, engine.forget)
        self.state.joined(True)  # no connect timeout for a test
        self.deliver = deliver

    def send_many(self, packets: Iterable[eio.Packet]) -> None:
        if not self.closed:
            self.deliver(list(packets))


class SocketIOTestClient:
    """A Socket.IO client for tests, connected at creation.

    Like the Flask test client, adapted to Socket.IO: events the server sends
    are stored and returned by :meth:`get_received`; acks are returned by
    :meth:`emit` and :meth:`send` when asked for with ``callback=True``.

    >>> client = SocketIOTestClient(app, socketio, namespace="/chat")  # doctest: +SKIP

    :param app: the Flask application.
    :param socketio: its `SocketIO`.
    :param namespace: the namespace to connect to (``'/'`` by default).
    :param query_string: a query string for the connection request.
    :param headers: HTTP headers for the connection request.
    :param auth: the authentication data (a dict) given to connect handlers.
    :param flask_test_client: a Flask test client whose cookies (the user
        session, a login) the connection should carry.
    """

    def __init__(
        self,
        app: Flask,
        socketio: SocketIO,
        namespace: str | None = None,
        query_string: str | None = None,
        headers: dict[str, str] | None = None,
        auth: dict[str, Any] | None = None,
        flask_test_client: Any = None,
    ) -> None:
        if isinstance(socketio.server.manager, PubSubManager):
            raise RuntimeError(
                "Test client cannot be used with a message queue. Disable the queue on your "
                "test configuration."
            )
        self.app = app
        self.socketio = socketio
        self.flask_test_client = flask_test_client
        self.eio_sid: str | None = None
        self.callback_counter = 0
        self.connected: dict[str, bool] = {}
        self.queue: list[dict[str, Any]] = []
        self.acks: dict[int, list[Any]] = {}
        self._session: Session | None = None
        self._decoder = sio.Decoder(socketio.server.json)
        self._lock = socketio.server.driver.Lock()
        self.connect(namespace=namespace, query_string=query_string, headers=headers, auth=auth)

    # -- connection ---------------------------------------------------------

    def is_connected(self, namespace: str | None = None) -> bool:
        """Whether the client is connected to `namespace` (``'/'`` by default).

        >>> client.is_connected("/chat")  # doctest: +SKIP
        False
        """
        session = self._session
        if session is None or session.closed:
            return False
        return self.connected.get(namespace or "/", False)

    def connect(
        self,
        namespace: str | None = None,
        query_string: str | None = None,
        headers: dict[str, str] | None = None,
        auth: dict[str, Any] | None = None,
    ) -> None:
        """Connect to `namespace`; the constructor already connected to the first one.

        A refused connection leaves :meth:`is_connected` False.

        >>> client.connect("/chat", auth={"token": "secret"})  # doctest: +SKIP
        """
        namespace = namespace or "/"
        environ = self._environ(query_string, headers)
        session = self._session
        if session is None or session.closed:
            self._decoder = sio.Decoder(self.socketio.server.json)
            session = LocalSession(self.socketio, self._deliver)
            if not self.socketio.server.eio.add_session(session, environ):
                return
            self._session = session
            self.eio_sid = session.sid
        elif isinstance(session.handler, Connection):
            # A later connect brings its own request, as with Flask-SocketIO.
            session.handler.rebind(environ)
        self._send(sio.Packet(sio.CONNECT, namespace, auth))
        handler = session.handler
        if isinstance(handler, Connection) and namespace in handler.sids:
            self.connected[namespace] = True

    def disconnect(self, namespace: str | None = None) -> None:
        """Disconnect from `namespace` (``'/'`` by default).

        >>> client.disconnect()  # doctest: +SKIP
        """
        if not self.is_connected(namespace):
            raise RuntimeError("not connected")
        namespace = namespace or "/"
        self._send(sio.Packet(sio.DISCONNECT, namespace))
        self.connected.pop(namespace, None)

    def _environ(self, query_string: str | None, headers: dict[str, str] | None) -> dict[str, Any]:
        """The WSGI environ of the connection request, cookies of the Flask client included."""
        url = "/" + self.socketio.path
        if query_string:
            url += query_string if query_string.startswith("?") else "?" + query_string
        client = self.flask_test_client
        if client is not None:
            request = client._request_from_builder_args(
                args=(), kwargs={"path": url, "headers": headers}
            )
            environ = request.environ
            if hasattr(client, "_add_cookies_to_wsgi"):  # Werkzeug >= 2.3
                client._add_cookies_to_wsgi(environ)
            else:
                client.cookie_jar.inject_wsgi(environ)
        else:
            environ = EnvironBuilder(self.app, path=url, headers=headers).get_environ()
        environ["flask.app"] = self.app
        return dict(environ)

    # -- sending ------------------------------------------------------------

    def emit(
        self,
        event: str,
        *args: Any,
        callback: bool = False,
        namespace: str | None = None,
        **kwargs: Any,
    ) -> Any:
        """Emit `event` with `args`; with ``callback=True``, return the server's ack.

        The ack comes back as its one argument, or a list of several (an empty
        list when the handler returned nothing); None if no handler answered.
        Other keywords (``broadcast``, ``to``, ...) mean nothing for a client
        and are ignored, as Flask-SocketIO's test client ignores them.

        >>> client.emit("my event", {"data": 1}, callback=True)  # doctest: +SKIP
        ['one', 2]
        """
        if not self.is_connected(namespace):
            raise RuntimeError("not connected")
        namespace = namespace or "/"
        ack_id = None
        if callback:
            self.callback_counter += 1
            ack_id = self.callback_counter
        self._send(sio.Packet(sio.EVENT, namespace, [event, *args], ack_id))
        if ack_id is None:
            return None
        ack = self.acks.pop(ack_id, None)
        if ack is None:
            return None
        return ack[0] if len(ack) == 1 else ack

    def send(
        self,
        data: Any,
        json: bool = False,
        callback: bool = False,
        namespace: str | None = None,
    ) -> Any:
        """Send an unnamed message (event ``'message'``, or ``'json'`` with `json`).

        >>> client.send("hello")  # doctest: +SKIP
        """
        return self.emit(
            "json" if json else "message", data, callback=callback, namespace=namespace
        )

    def _send(self, packet: sio.Packet) -> None:
        session = self._session
        assert session is not None
        for part in sio.encode(packet, self.socketio.server.json):
            session.receive(eio.Packet(eio.MESSAGE, part))

    # -- receiving ----------------------------------------------------------

    def get_received(self, namespace: str | None = None) -> list[dict[str, Any]]:
        """The events received on `namespace` since the last call, as dicts with
        ``name``, ``args`` and ``namespace``.

        ``args`` is the list of arguments; for ``'message'`` and ``'json'``
        events it is the one message itself.

        >>> client.get_received()  # doctest: +SKIP
        [{'name': 'my response', 'args': [{'data': 42}], 'namespace': '/'}]
        """
        if not self.is_connected(namespace):
            raise RuntimeError("not connected")
        namespace = namespace or "/"
        with self._lock:
            received = [item for item in self.queue if item["namespace"] == namespace]
            self.queue = [item for item in self.queue if item["namespace"] != namespace]
        return received

    def _deliver(self, packets: list[eio.Packet]) -> None:
        """What the server sends this client, synchronously, from any thread."""
        with self._lock:
            for packet in packets:
                if packet.type == eio.MESSAGE and packet.data is not None:
                    decoded = self._decoder.feed(packet.data)
                    if decoded is not None:
                        self._receive(decoded)

    def _receive(self, packet: sio.Packet) -> None:
        namespace = packet.namespace or "/"
        kind = packet.type
        if kind in (sio.EVENT, sio.BINARY_EVENT):
            name, *args = packet.data
            if name in ("message", "json"):
                args = args[0] if args else None
            self.queue.append({"name": name, "args": args, "namespace": namespace})
        elif kind in (sio.ACK, sio.BINARY_ACK):
            self.acks[packet.id] = packet.data  # type: ignore[index]
        elif kind in (sio.DISCONNECT, sio.CONNECT_ERROR):
            self.connected[namespace] = False
