"""SocketIOTestClient: Flask-SocketIO 5.x's behaviour, in process, on the real server path."""

from __future__ import annotations

import pytest
from flask import Flask, request

from flask_socketio import SocketIO, SocketIOTestClient, emit, send


@pytest.fixture
def socketio(app: Flask) -> SocketIO:
    socketio = SocketIO(app, async_mode="threading")

    @socketio.on("echo")
    def echo(*args):
        return args

    @socketio.on("echo", namespace="/chat")
    def echo_chat(*args):
        emit("echoed", list(args))
        return request.namespace

    @socketio.on("message")
    def message(text):
        send(text)
        return "got " + text

    @socketio.on("json")
    def json_message(data):
        send(data, json=True)

    return socketio


def test_constructor_connects(app: Flask, socketio: SocketIO) -> None:
    client = SocketIOTestClient(app, socketio)
    assert client.is_connected() and not client.is_connected("/chat")
    assert client.eio_sid in socketio.server.connections
    assert socketio.server.connections[client.eio_sid].environ["flask.app"] is app


def test_emit_callback_results(app: Flask, socketio: SocketIO) -> None:
    client = socketio.test_client(app)
    assert client.emit("echo", 1, callback=True) == 1
    assert client.emit("echo", 1, 2, callback=True) == [1, 2]
    assert client.emit("echo", callback=True) == []
    assert client.emit("echo", 1) is None
    assert client.send("hi", callback=True) == "got hi"
    client.send({"a": [1]}, json=True)
    assert client.get_received() == [
        {"name": "message", "args": "hi", "namespace": "/"},
        {"name": "json", "args": {"a": [1]}, "namespace": "/"},
    ]
    assert client.get_received() == []


def test_several_namespaces(app: Flask, socketio: SocketIO) -> None:
    client = socketio.test_client(app, namespace="/chat")
    assert client.is_connected("/chat") and not client.is_connected()
    client.connect()
    assert client.is_connected()
    assert client.emit("echo", 5, callback=True, namespace="/chat") == "/chat"
    assert client.get_received() == []
    assert client.get_received("/chat") == [
        {"name": "echoed", "args": [[5]], "namespace": "/chat"}
    ]
    client.disconnect(namespace="/chat")
    assert not client.is_connected("/chat") and client.is_connected()
    with pytest.raises(RuntimeError, match="not connected"):
        client.emit("echo", namespace="/chat")
    with pytest.raises(RuntimeError, match="not connected"):
        client.get_received("/chat")


def test_unknown_namespace_is_refused(app: Flask, socketio: SocketIO) -> None:
    client = socketio.test_client(app, namespace="/nowhere")
    assert not client.is_connected("/nowhere")


def test_acks_never_cross_between_clients(app: Flask, socketio: SocketIO) -> None:
    clients = [socketio.test_client(app) for _ in range(5)]
    for round_ in range(3):
        for index, client in enumerate(clients):
            assert client.emit("echo", index, round_, callback=True) == [index, round_]
    assert len({c.eio_sid for c in clients}) == 5


def test_binary_both_ways(app: Flask, socketio: SocketIO) -> None:
    client = socketio.test_client(app, namespace="/chat")
    payload = {"blob": b"\x00\xff", "list": [b"a", "b"]}
    assert client.emit("echo", payload, callback=True, namespace="/chat") == "/chat"
    assert client.get_received("/chat")[0]["args"] == [[payload]]


def test_server_emits_from_outside_reach_the_test_client(app: Flask, socketio: SocketIO) -> None:
    client = socketio.test_client(app)
    task = socketio.start_background_task(socketio.emit, "tick", {"n": 1})
    task.join()
    assert client.get_received() == [{"name": "tick", "args": [{"n": 1}], "namespace": "/"}]


def test_flask_test_client_cookies(app: Flask) -> None:
    from flask import session

    socketio = SocketIO(app, async_mode="threading")

    @app.route("/cookie")
    def cookie():
        session["who"] = "me"
        response = app.make_response("ok")
        response.set_cookie("plain", "value")
        return response

    @socketio.on("connect")
    def connect():
        emit("cookies", [request.cookies.get("plain"), session.get("who")])

    http = app.test_client()
    http.get("/cookie")
    client = socketio.test_client(app, flask_test_client=http)
    assert client.get_received()[0]["args"] == [["value", "me"]]


def test_importable_from_the_5x_module() -> None:
    # Flask-SocketIO 5.x defines the class in flask_socketio/test_client.py.
    from flask_socketio import test_client

    assert test_client.SocketIOTestClient is SocketIOTestClient
