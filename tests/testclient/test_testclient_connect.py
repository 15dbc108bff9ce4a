"""In-process test client (``socketio.test_client`` / ``SocketIOTestClient``),
API reference "SocketIOTestClient": connecting and disconnecting, namespaces,
``is_connected``, rejected connections, ``auth``, ``query_string``,
``headers`` and the ``eio_sid`` attribute.
"""

from __future__ import annotations

import pytest
from flask import Flask, request

from flask_socketio import (
    ConnectionRefusedError,
    SocketIO,
    SocketIOTestClient,
    emit,
)

pytestmark = pytest.mark.timeout(30)


def test_client_connects_on_creation(app: Flask, socketio: SocketIO) -> None:
    connected = []

    @socketio.on("connect")
    def on_connect():
        connected.append(request.sid)
        emit("welcome", {"sid": request.sid})

    client = socketio.test_client(app)
    assert client.is_connected()
    assert client.is_connected("/")
    assert len(connected) == 1
    assert client.get_received() == [
        {"name": "welcome", "args": [{"sid": connected[0]}], "namespace": "/"}
    ]


def test_disconnect_runs_handler_and_updates_state(app: Flask, socketio: SocketIO) -> None:
    disconnected = []

    @socketio.on("disconnect")
    def on_disconnect():
        disconnected.append(request.sid)

    client = socketio.test_client(app)
    client.disconnect()
    assert not client.is_connected()
    assert len(disconnected) == 1
    with pytest.raises(RuntimeError):
        client.disconnect()
    with pytest.raises(RuntimeError):
        client.emit("anything")
    with pytest.raises(RuntimeError):
        client.get_received()


def test_class_can_be_constructed_directly(app: Flask, socketio: SocketIO) -> None:
    @socketio.on("ping")
    def ping():
        return "pong"

    client = SocketIOTestClient(app, socketio)
    assert client.is_connected()
    assert client.emit("ping", callback=True) == "pong"


def test_namespace_at_creation_and_later(app: Flask, socketio: SocketIO) -> None:
    @socketio.on("connect", namespace="/chat")
    def on_chat_connect():
        emit("hello", request.namespace)

    @socketio.on("connect", namespace="/news")
    def on_news_connect():
        emit("hello", request.namespace)

    client = socketio.test_client(app, namespace="/chat")
    assert client.is_connected("/chat")
    assert not client.is_connected()
    assert client.get_received("/chat") == [
        {"name": "hello", "args": ["/chat"], "namespace": "/chat"}
    ]
    client.connect(namespace="/news")
    assert client.is_connected("/news")
    assert client.get_received("/news") == [
        {"name": "hello", "args": ["/news"], "namespace": "/news"}
    ]
    client.disconnect(namespace="/chat")
    assert not client.is_connected("/chat")
    assert client.is_connected("/news")


def test_connect_returning_false_is_rejected(app: Flask, socketio: SocketIO) -> None:
    @socketio.on("connect")
    def on_connect():
        return False

    client = socketio.test_client(app)
    assert not client.is_connected()


def test_connection_refused_error_is_rejected(app: Flask, socketio: SocketIO) -> None:
    @socketio.on("connect")
    def on_connect():
        raise ConnectionRefusedError("unauthorized!")

    @socketio.on("connect", namespace="/open")
    def on_open_connect():
        pass

    client = socketio.test_client(app)
    # Flask-SocketIO 5.x's test client records the rejection only as a
    # connection state: the ConnectionRefusedError data is not exposed.
    assert not client.is_connected()
    client.connect(namespace="/open")
    assert client.is_connected("/open")
    assert not client.is_connected("/")


def test_auth_reaches_connect_handler(app: Flask, socketio: SocketIO) -> None:
    received = []

    @socketio.on("connect")
    def on_connect(auth):
        received.append(auth)
        if not auth or auth.get("token") != "secret-token":
            raise ConnectionRefusedError("unauthorized!")

    assert socketio.test_client(app, auth={"token": "secret-token"}).is_connected()
    assert not socketio.test_client(app, auth={"token": "wrong"}).is_connected()
    assert not socketio.test_client(app).is_connected()
    assert received == [{"token": "secret-token"}, {"token": "wrong"}, None]


def test_connect_handler_without_auth_argument(app: Flask, socketio: SocketIO) -> None:
    calls = []

    @socketio.on("connect")
    def on_connect():
        calls.append(request.sid)

    assert socketio.test_client(app, auth={"token": "ignored"}).is_connected()
    assert len(calls) == 1


@pytest.mark.parametrize("query_string", ["user=alice&room=1", "?user=alice&room=1"])
def test_query_string(app: Flask, socketio: SocketIO, query_string: str) -> None:
    @socketio.on("connect")
    def on_connect():
        emit("args", dict(request.args))

    client = socketio.test_client(app, query_string=query_string)
    assert client.get_received()[0]["args"] == [{"user": "alice", "room": "1"}]


def test_headers(app: Flask, socketio: SocketIO) -> None:
    @socketio.on("connect")
    def on_connect():
        if request.headers.get("Authorization") != "Bearer t0ken":
            return False

    @socketio.on("agent")
    def agent():
        return request.headers.get("X-Client")

    client = socketio.test_client(
        app, headers={"Authorization": "Bearer t0ken", "X-Client": "tests"}
    )
    assert client.is_connected()
    assert client.emit("agent", callback=True) == "tests"
    assert not socketio.test_client(app).is_connected()


def test_eio_sid(app: Flask, socketio: SocketIO) -> None:
    @socketio.on("connect", namespace="/chat")
    def on_chat_connect():
        pass

    first = socketio.test_client(app)
    second = socketio.test_client(app)
    assert isinstance(first.eio_sid, str) and first.eio_sid
    assert first.eio_sid != second.eio_sid
    # One Engine.IO session per client, whatever namespaces it joins.
    eio_sid = first.eio_sid
    first.connect(namespace="/chat")
    assert first.eio_sid == eio_sid
