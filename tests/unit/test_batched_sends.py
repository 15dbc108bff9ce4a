"""Server.batched_sends: the emits of a block reach each client in one write
when it ends, in order, and nothing that must not overtake them does."""

from __future__ import annotations

from flask import Flask

from flask_socketio import SocketIO


def make():
    app = Flask(__name__)
    socketio = SocketIO(app, async_mode="threading")
    return app, socketio, socketio.test_client(app)


def names(client) -> list[tuple[str, list]]:
    return [(m["name"], m["args"]) for m in client.get_received()]


def test_a_block_sends_when_it_ends_in_order() -> None:
    app, socketio, client = make()
    server = socketio.server
    with server.batched_sends():
        for n in range(3):
            server.emit("n", n)
        assert client.get_received() == []  # gathered, not written yet
    assert names(client) == [("n", [0]), ("n", [1]), ("n", [2])]


def test_an_emit_with_an_ack_and_a_disconnect_do_not_overtake() -> None:
    app, socketio, client = make()
    server = socketio.server
    ((sid, _),) = server.manager.get_participants("/", None)
    with server.batched_sends():
        server.emit("n", 0)
        server.emit("question", 1, to=sid, callback=lambda *args: None)
        server.emit("n", 2)
        server.disconnect(sid)
    assert not client.is_connected()
    # what it got before the server disconnected it (read under the hood:
    # get_received wants a connected client)
    assert [(m["name"], m["args"]) for m in client.queue] == [
        ("n", [0]), ("question", [1]), ("n", [2])]
