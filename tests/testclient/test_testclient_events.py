"""In-process test client, API reference "SocketIOTestClient": ``emit`` and
``send`` with ``callback=True`` returning the server's ack (one value
unwrapped, several as a list), ``get_received`` and its
``{'name', 'args', 'namespace'}`` records, several namespaces, several clients,
binary data, error handlers and class-based namespaces.
"""

from __future__ import annotations

import pytest
from flask import Flask, request

from flask_socketio import Namespace, SocketIO, emit, send

pytestmark = pytest.mark.timeout(30)


def test_emit_callback_returns_the_ack(app: Flask, socketio: SocketIO) -> None:
    @socketio.on("one")
    def one(data):
        return data["n"] + 1

    @socketio.on("several")
    def several(a, b):
        return a, b, "extra"

    @socketio.on("none")
    def none(data):
        pass

    client = socketio.test_client(app)
    assert client.emit("one", {"n": 41}, callback=True) == 42
    assert client.emit("several", "x", 2, callback=True) == ["x", 2, "extra"]
    # An ack without arguments: an empty list in Flask-SocketIO 5.x.
    assert client.emit("none", {}, callback=True) == []
    # Without callback=True nothing is returned.
    assert client.emit("one", {"n": 1}) is None


def test_emit_arguments_reach_the_handler(app: Flask, socketio: SocketIO) -> None:
    received = []

    @socketio.on("my event")
    def handle(*args):
        received.append(args)

    client = socketio.test_client(app)
    client.emit("my event")
    client.emit("my event", {"a": [1, 2]})
    client.emit("my event", "x", 2, None, True)
    assert received == [(), ({"a": [1, 2]},), ("x", 2, None, True)]


def test_get_received_records(app: Flask, socketio: SocketIO) -> None:
    @socketio.on("my event")
    def handle(data):
        emit("my response", data)
        emit("my multi", ("foo", "bar", data))
        emit("my empty")

    client = socketio.test_client(app)
    client.emit("my event", {"x": 1})
    assert client.get_received() == [
        {"name": "my response", "args": [{"x": 1}], "namespace": "/"},
        {"name": "my multi", "args": ["foo", "bar", {"x": 1}], "namespace": "/"},
        {"name": "my empty", "args": [], "namespace": "/"},
    ]
    # The list is emptied by each call.
    assert client.get_received() == []


def test_send_and_unnamed_messages(app: Flask, socketio: SocketIO) -> None:
    @socketio.on("message")
    def handle_message(message):
        send(message)
        return "got " + message

    @socketio.on("json")
    def handle_json(json):
        send(json, json=True)
        return json["n"]

    client = socketio.test_client(app)
    assert client.send("hello", callback=True) == "got hello"
    assert client.send({"n": 7}, json=True, callback=True) == 7
    assert client.send("again") is None
    # For "message" and "json" events, "args" is the payload itself.
    assert client.get_received() == [
        {"name": "message", "args": "hello", "namespace": "/"},
        {"name": "json", "args": {"n": 7}, "namespace": "/"},
        {"name": "message", "args": "again", "namespace": "/"},
    ]


def test_namespaced_events(app: Flask, socketio: SocketIO) -> None:
    @socketio.on("my event", namespace="/chat")
    def chat_event(data):
        emit("my response", data)
        return "chat"

    @socketio.on("my event")
    def root_event(data):
        emit("my response", data)
        return "root"

    client = socketio.test_client(app)
    client.connect(namespace="/chat")
    assert client.emit("my event", 1, callback=True) == "root"
    assert client.emit("my event", 2, namespace="/chat", callback=True) == "chat"
    assert client.get_received("/chat") == [
        {"name": "my response", "args": [2], "namespace": "/chat"}
    ]
    assert client.get_received() == [{"name": "my response", "args": [1], "namespace": "/"}]


def test_on_event_registration(app: Flask, socketio: SocketIO) -> None:
    def my_function_handler(data):
        return {"echo": data}

    socketio.on_event("my event", my_function_handler, namespace="/test")
    client = socketio.test_client(app, namespace="/test")
    assert client.emit("my event", "x", namespace="/test", callback=True) == {"echo": "x"}


def test_acks_never_cross_between_clients(app: Flask, socketio: SocketIO) -> None:
    @socketio.on("whoami")
    def whoami(tag):
        emit("broadcast", tag, broadcast=True)
        return {"sid": request.sid, "tag": tag}

    clients = [socketio.test_client(app) for _ in range(3)]
    acks = [client.emit("whoami", i, callback=True) for i, client in enumerate(clients)]
    assert [ack["tag"] for ack in acks] == [0, 1, 2]
    assert len({ack["sid"] for ack in acks}) == 3
    # Events received meanwhile are not taken for acks, and vice versa.
    for client in clients:
        assert [r["args"] for r in client.get_received()] == [[0], [1], [2]]
    for client in clients:
        assert client.emit("whoami", "again", callback=True)["tag"] == "again"


def test_binary_data(app: Flask, socketio: SocketIO) -> None:
    @socketio.on("bytes")
    def handle(data, more):
        emit("bytes back", (data[::-1], {"nested": more}))
        return data + b"!"

    client = socketio.test_client(app)
    assert client.emit("bytes", b"\x00\x01\xff", b"\x02", callback=True) == b"\x00\x01\xff!"
    assert client.get_received() == [
        {"name": "bytes back", "args": [b"\xff\x01\x00", {"nested": b"\x02"}], "namespace": "/"}
    ]


def test_error_handlers_return_the_ack(app: Flask, socketio: SocketIO) -> None:
    @socketio.on_error()
    def error_handler(e):
        return "default ns: " + str(e)

    @socketio.on_error("/chat")
    def error_handler_chat(e):
        return "chat: " + str(e)

    @socketio.on_error_default
    def default_error_handler(e):
        return {"message": request.event["message"], "args": list(request.event["args"])}

    @socketio.on("fail")
    def fail(data):
        raise ValueError("root " + data)

    @socketio.on("fail", namespace="/chat")
    def fail_chat(data):
        raise ValueError("chat " + data)

    @socketio.on("my error event", namespace="/other")
    def fail_other(data):
        raise RuntimeError()

    client = socketio.test_client(app)
    client.connect(namespace="/chat")
    client.connect(namespace="/other")
    assert client.emit("fail", "x", callback=True) == "default ns: root x"
    assert client.emit("fail", "y", namespace="/chat", callback=True) == "chat: chat y"
    assert client.emit("my error event", {"a": 1}, namespace="/other", callback=True) == {
        "message": "my error event",
        "args": [{"a": 1}],
    }
    assert client.is_connected("/other")


def test_unhandled_error_keeps_the_client_connected(app: Flask, socketio: SocketIO) -> None:
    @socketio.on("fail")
    def fail():
        raise ValueError("boom")

    @socketio.on("fine")
    def fine():
        return "fine"

    client = socketio.test_client(app)
    with pytest.raises(ValueError, match="boom"):
        client.emit("fail", callback=True)
    assert client.is_connected()
    assert client.emit("fine", callback=True) == "fine"


def test_class_based_namespace(app: Flask, socketio: SocketIO) -> None:
    events = []

    class MyCustomNamespace(Namespace):
        def on_connect(self):
            events.append("connect")

        def on_disconnect(self):
            events.append("disconnect")

        def on_my_event(self, data):
            emit("my_response", data)
            return "handled"

        def on_shout(self, data):
            self.emit("shout", data)

    socketio.on_namespace(MyCustomNamespace("/test"))
    client = socketio.test_client(app, namespace="/test")
    other = socketio.test_client(app, namespace="/test")
    assert client.emit("my_event", {"x": 1}, namespace="/test", callback=True) == "handled"
    # An event without a method is ignored; Flask-SocketIO 5.x still acks it,
    # without arguments.
    assert client.emit("unknown_event", namespace="/test", callback=True) == []
    client.emit("shout", "hey", namespace="/test")
    assert client.get_received("/test") == [
        {"name": "my_response", "args": [{"x": 1}], "namespace": "/test"},
        {"name": "shout", "args": ["hey"], "namespace": "/test"},
    ]
    assert other.get_received("/test") == [{"name": "shout", "args": ["hey"], "namespace": "/test"}]
    client.disconnect(namespace="/test")
    assert events == ["connect", "connect", "disconnect"]


def test_server_ack_callback(app: Flask, socketio: SocketIO) -> None:
    # The test client does not implement client-side callbacks: an event sent
    # with a callback is recorded like any other, and the callback never runs.
    acked = []

    @socketio.on("my event")
    def handle(data):
        emit("my response", data, callback=lambda *args: acked.append(args))

    client = socketio.test_client(app)
    client.emit("my event", 5)
    assert client.get_received() == [{"name": "my response", "args": [5], "namespace": "/"}]
    assert acked == []
