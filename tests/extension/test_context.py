"""The Flask context of handlers and the context functions, through the test client."""

from __future__ import annotations

import pytest
from flask import Flask, current_app, g, request

from flask_socketio import (
    SocketIO,
    close_room,
    disconnect,
    emit,
    join_room,
    leave_room,
    rooms,
    send,
)


@pytest.fixture
def socketio(app: Flask) -> SocketIO:
    return SocketIO(app, async_mode="threading")


def names(client, namespace: str = "/") -> list:
    return [(m["name"], m["args"]) for m in client.get_received(namespace)]


def test_request_and_app_context(app: Flask, socketio: SocketIO) -> None:
    @app.before_request
    def before():
        g.before = True

    @socketio.on("connect")
    def connect():
        g.seen = "connect"  # g belongs to one event only
        emit("connected", [request.sid, request.namespace, request.args.get("q")])

    @socketio.on("context")
    def context(*args):
        return {
            "sid": request.sid,
            "namespace": request.namespace,
            "event": [request.event["message"], list(request.event["args"])],
            "app": current_app.name,
            "g": [g.get("before", False), g.get("seen")],
            "header": request.headers.get("X-Test"),
            "path": request.path,
        }

    client = socketio.test_client(app, query_string="q=1", headers={"X-Test": "yes"})
    [connected] = client.get_received()
    sid = connected["args"][0][0]
    assert connected["args"][0][1:] == ["/", "1"]
    assert sid == socketio.server.manager.sid_from_eio_sid(client.eio_sid, "/")
    assert client.emit("context", 1, "two", callback=True) == {
        "sid": sid,
        "namespace": "/",
        "event": ["context", [1, "two"]],
        "app": app.name,
        "g": [False, None],
        "header": "yes",
        "path": "/socket.io",
    }


def test_emit_and_send_reply_to_the_sender_by_default(app: Flask, socketio: SocketIO) -> None:
    @socketio.on("message")
    def message(text):
        send(text)

    @socketio.on("json")
    def json_message(data):
        send(data, json=True)

    @socketio.on("my event")
    def my_event(data):
        emit("my response", data)
        emit("my response", ("foo", "bar", data))

    first = socketio.test_client(app)
    second = socketio.test_client(app)
    first.send("hi")
    first.send({"a": 1}, json=True)
    first.emit("my event", {"b": 2})
    assert names(first) == [
        ("message", "hi"),
        ("json", {"a": 1}),
        ("my response", [{"b": 2}]),
        ("my response", ["foo", "bar", {"b": 2}]),
    ]
    assert second.get_received() == []


def test_broadcast_include_self_and_skip_sid(app: Flask, socketio: SocketIO) -> None:
    @socketio.on("all")
    def to_all(data):
        emit("news", data, broadcast=True)

    @socketio.on("others")
    def to_others(data):
        emit("news", data, broadcast=True, include_self=False)
        send("psst", broadcast=True, include_self=False)

    @socketio.on("skip")
    def skipping(sid):
        emit("news", "skipped", broadcast=True, skip_sid=sid)

    a, b = socketio.test_client(app), socketio.test_client(app)
    a.emit("all", 1)
    assert names(a) == names(b) == [("news", [1])]
    a.emit("others", 2)
    assert names(a) == []
    assert names(b) == [("news", [2]), ("message", "psst")]
    b_sid = socketio.server.manager.sid_from_eio_sid(b.eio_sid, "/")
    a.emit("skip", b_sid)
    assert names(a) == [("news", ["skipped"])] and names(b) == []


def test_rooms(app: Flask, socketio: SocketIO) -> None:
    @socketio.on("join")
    def on_join(data):
        join_room(data["room"])
        send(data["username"] + " has entered the room.", room=data["room"])

    @socketio.on("leave")
    def on_leave(data):
        leave_room(data["room"])
        send(data["username"] + " has left the room.", to=data["room"])

    @socketio.on("my rooms")
    def my_rooms():
        return sorted(rooms())

    @socketio.on("close")
    def close(room):
        close_room(room)

    @socketio.on("say")
    def say(room, text):
        emit("said", text, to=room, include_self=False)

    alice, bob, carol = (socketio.test_client(app) for _ in range(3))
    alice.emit("join", {"username": "alice", "room": "r"})
    bob.emit("join", {"username": "bob", "room": "r"})
    assert names(alice) == [
        ("message", "alice has entered the room."),
        ("message", "bob has entered the room."),
    ]
    bob.emit("say", "r", "hello")
    assert names(alice) == [("said", ["hello"])] and names(bob) == [
        ("message", "bob has entered the room.")
    ]
    assert carol.get_received() == []
    alice_sid = socketio.server.manager.sid_from_eio_sid(alice.eio_sid, "/")
    assert alice.emit("my rooms", callback=True) == sorted(["r", alice_sid])
    alice.emit("leave", {"username": "alice", "room": "r"})
    assert names(bob) == [("message", "alice has left the room.")]
    bob.emit("close", "r")
    bob.emit("say", "r", "anyone?")
    assert alice.get_received() == [] and carol.get_received() == []


def test_emit_to_another_namespace_reaches_the_same_client(
    app: Flask, socketio: SocketIO
) -> None:
    @socketio.on("message")
    def handle_message(message):
        send(message, namespace="/chat")

    @socketio.on("my event")
    def handle_my_custom_event(json):
        emit("my response", json, namespace="/chat")
        emit("others", json, namespace="/chat", broadcast=True, include_self=False)
        join_room("room-on-chat", namespace="/chat")
        return sorted(rooms(namespace="/chat"))

    @socketio.on("connect", namespace="/chat")
    def chat_connect():
        pass

    @socketio.on("kick chat")
    def kick_chat():
        disconnect(namespace="/chat")

    client = socketio.test_client(app)
    client.connect("/chat")
    other = socketio.test_client(app, namespace="/chat")
    only_root = socketio.test_client(app)
    client.send("hello")
    chat_rooms = client.emit("my event", {"x": 1}, callback=True)
    chat_sid = socketio.server.manager.sid_from_eio_sid(client.eio_sid, "/chat")
    assert chat_rooms == sorted([chat_sid, "room-on-chat"])
    assert names(client, "/chat") == [("message", "hello"), ("my response", [{"x": 1}])]
    assert names(client) == []
    assert names(other, "/chat") == [("others", [{"x": 1}])]
    # A client without a connection on /chat gets nothing, and nothing fails.
    only_root.send("lost")
    assert names(only_root) == []
    client.emit("kick chat")
    assert not client.is_connected("/chat") and client.is_connected("/")


def test_disconnect_from_a_handler(app: Flask, socketio: SocketIO) -> None:
    @socketio.on("ban")
    def ban():
        disconnect()

    client = socketio.test_client(app)
    client.emit("ban")
    assert not client.is_connected()
    with pytest.raises(RuntimeError):
        client.get_received()


def test_context_free_emit_send_and_close_room(app: Flask, socketio: SocketIO) -> None:
    @app.route("/ping")
    def ping():
        socketio.emit("ping event", {"data": 42}, namespace="/chat")
        socketio.send("announcement")
        return "pong"

    @socketio.on("connect", namespace="/chat")
    def connect():
        join_room("lobby")

    chat = socketio.test_client(app, namespace="/chat")
    root = socketio.test_client(app)
    assert app.test_client().get("/ping").data == b"pong"
    assert names(chat, "/chat") == [("ping event", [{"data": 42}])]
    assert names(root) == [("message", "announcement")]

    socketio.emit("to lobby", 1, to="lobby", namespace="/chat")
    socketio.emit("to lobby", 2, room="lobby", namespace="/chat")
    assert names(chat, "/chat") == [("to lobby", [1]), ("to lobby", [2])]
    socketio.close_room("lobby", namespace="/chat")
    socketio.emit("to lobby", 3, to="lobby", namespace="/chat")
    assert names(chat, "/chat") == []

    socketio.start_background_task(socketio.emit, "from a task", "hi").join()
    assert names(root) == [("from a task", ["hi"])]
    socketio.sleep(0)
