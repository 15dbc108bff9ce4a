"""In-process test client with doc sections "Broadcasting" and "Rooms":
``socketio.emit`` / ``socketio.send`` outside any handler reaching every test
client, ``broadcast=True``, ``include_self=False``, ``skip_sid``, rooms with
``join_room`` / ``leave_room`` / ``to=`` / ``room=``, ``rooms()``,
``close_room`` and a server-side ``disconnect()``.
"""

from __future__ import annotations

import pytest
from flask import Flask, request

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

pytestmark = pytest.mark.timeout(30)


def names_and_args(received: list[dict]) -> list[tuple[str, object]]:
    return [(r["name"], r["args"]) for r in received]


def test_context_free_emit_reaches_all_clients(app: Flask, socketio: SocketIO) -> None:
    @socketio.on("connect", namespace="/chat")
    def on_chat_connect():
        pass

    first, second = socketio.test_client(app), socketio.test_client(app)
    chat = socketio.test_client(app, namespace="/chat")
    socketio.emit("some event", {"data": 42})
    socketio.send("plain message")
    socketio.emit("ping event", {"data": 42}, namespace="/chat")
    expected = [("some event", [{"data": 42}]), ("message", "plain message")]
    assert names_and_args(first.get_received()) == expected
    assert names_and_args(second.get_received()) == expected
    assert names_and_args(chat.get_received("/chat")) == [("ping event", [{"data": 42}])]


def test_context_free_emit_from_route(app: Flask, socketio: SocketIO) -> None:
    @app.route("/ping")
    def ping():
        socketio.emit("ping event", {"data": 42})
        return "pong"

    client = socketio.test_client(app)
    assert app.test_client().get("/ping").text == "pong"
    assert names_and_args(client.get_received()) == [("ping event", [{"data": 42}])]


def test_broadcast_and_include_self(app: Flask, socketio: SocketIO) -> None:
    @socketio.on("my event")
    def handle(data):
        emit("my response", data, broadcast=True)

    @socketio.on("others")
    def others(data):
        emit("others response", data, broadcast=True, include_self=False)

    @socketio.on("skip")
    def skip(data):
        socketio.emit("skip response", data, skip_sid=data)

    @socketio.on("my sid")
    def my_sid():
        return request.sid

    a, b, c = (socketio.test_client(app) for _ in range(3))
    a.emit("my event", 1)
    for client in (a, b, c):
        assert names_and_args(client.get_received()) == [("my response", [1])]
    a.emit("others", 2)
    assert a.get_received() == []
    for client in (b, c):
        assert names_and_args(client.get_received()) == [("others response", [2])]
    c_sid = c.emit("my sid", callback=True)
    a.emit("skip", c_sid)
    assert c.get_received() == []
    assert names_and_args(a.get_received()) == [("skip response", [c_sid])]
    assert names_and_args(b.get_received()) == [("skip response", [c_sid])]


def test_rooms(app: Flask, socketio: SocketIO) -> None:
    @socketio.on("join")
    def on_join(data):
        username = data["username"]
        room = data["room"]
        join_room(room)
        send(username + " has entered the room.", room=room)

    @socketio.on("leave")
    def on_leave(data):
        username = data["username"]
        room = data["room"]
        leave_room(room)
        send(username + " has left the room.", to=room)

    @socketio.on("my rooms")
    def my_rooms():
        return sorted(rooms())

    @socketio.on("my sid")
    def my_sid():
        return request.sid

    alice, bob, carol = (socketio.test_client(app) for _ in range(3))
    alice.emit("join", {"username": "alice", "room": "lobby"})
    bob.emit("join", {"username": "bob", "room": "lobby"})
    carol.emit("join", {"username": "carol", "room": "kitchen"})
    bob.emit("leave", {"username": "bob", "room": "lobby"})
    assert [r["args"] for r in alice.get_received()] == [
        "alice has entered the room.",
        "bob has entered the room.",
        "bob has left the room.",
    ]
    assert [r["args"] for r in bob.get_received()] == ["bob has entered the room."]
    assert [r["args"] for r in carol.get_received()] == ["carol has entered the room."]
    alice_sid = alice.emit("my sid", callback=True)
    assert alice.emit("my rooms", callback=True) == sorted([alice_sid, "lobby"])
    # The personal room: a message to one client by its sid.
    socketio.emit("private", "for alice", to=alice_sid)
    socketio.emit("room news", "lobby only", room="lobby")
    assert names_and_args(alice.get_received()) == [
        ("private", ["for alice"]),
        ("room news", ["lobby only"]),
    ]
    assert bob.get_received() == [] and carol.get_received() == []


def test_close_room(app: Flask, socketio: SocketIO) -> None:
    @socketio.on("join")
    def on_join(room):
        join_room(room)

    @socketio.on("close")
    def on_close(room):
        close_room(room)

    a, b = socketio.test_client(app), socketio.test_client(app)
    a.emit("join", "room")
    b.emit("join", "room")
    socketio.emit("before", to="room")
    b.emit("close", "room")
    socketio.emit("after", to="room")
    socketio.close_room("never-existed")
    for client in (a, b):
        assert names_and_args(client.get_received()) == [("before", [])]


def test_server_side_disconnect(app: Flask, socketio: SocketIO) -> None:
    disconnected = []

    @socketio.on("kick me")
    def kick_me():
        disconnect()

    @socketio.on("disconnect")
    def on_disconnect():
        disconnected.append(request.sid)

    kicked, other = socketio.test_client(app), socketio.test_client(app)
    kicked.emit("kick me")
    assert not kicked.is_connected()
    assert other.is_connected()
    assert len(disconnected) == 1
    socketio.emit("still here")
    assert names_and_args(other.get_received()) == [("still here", [])]
