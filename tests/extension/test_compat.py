"""What applications written for Flask-SocketIO reach for beyond the documented
API: python-socketio's server internals, python-engineio's attributes, the
message queue manager in ``server_options``, and the loggers."""

from __future__ import annotations

import logging

import pytest
from flask import Flask

from flask_socketio import Namespace, SocketIO, emit
from flask_socketio.managers import PubSubManager


def test_user_sessions_of_python_socketios_api(app: Flask) -> None:
    socketio = SocketIO(app, async_mode="threading")

    @socketio.on("connect")
    def connect():
        from flask import request

        socketio.server.save_session(request.sid, {"name": "alice"})

    @socketio.on("whoami")
    def whoami():
        from flask import request

        with socketio.server.session(request.sid) as session:
            session["asked"] = session.get("asked", 0) + 1
        return socketio.server.get_session(request.sid)

    class Chat(Namespace):
        def on_connect(self):
            from flask import request

            with self.session(request.sid) as session:
                session["room"] = "lobby"

        def on_where(self):
            from flask import request

            return self.get_session(request.sid)["room"]

    socketio.on_namespace(Chat("/chat"))
    client = socketio.test_client(app)
    assert client.emit("whoami", callback=True) == {"name": "alice", "asked": 1}
    assert client.emit("whoami", callback=True) == {"name": "alice", "asked": 2}
    client.connect("/chat")
    assert client.emit("where", callback=True, namespace="/chat") == "lobby"
    with pytest.raises(KeyError):
        socketio.server.get_session("nobody")


def test_engineio_attributes_read_and_set_the_configuration(app: Flask) -> None:
    socketio = SocketIO(app, async_mode="threading", max_http_buffer_size=500)
    eio = socketio.server.eio
    assert eio.max_http_buffer_size == 500 and eio.allow_upgrades is True
    eio.allow_upgrades = False  # checked and applied as configure() does
    assert eio.config.allow_upgrades is False
    with pytest.raises(ValueError, match="unknown transports"):
        eio.transports = ["bogus"]
    eio.async_mode = "eventlet"  # some apps set it after the fact: no effect, no error
    assert socketio.server.async_mode == "threading"
    assert len(eio.sockets) == 0
    client = socketio.test_client(app)
    assert list(eio.sockets) == [client.eio_sid]
    environ = socketio.server.environ[client.eio_sid]  # python-socketio's view
    assert environ["PATH_INFO"] == "/socket.io" and len(socketio.server.environ) == 1


def test_the_message_queue_manager_is_in_server_options(app: Flask) -> None:
    emitter = SocketIO(message_queue="redis://127.0.0.1:6379/0", async_mode="threading")
    manager = emitter.server_options["client_manager"]
    assert isinstance(manager, PubSubManager) and manager.write_only
    factory = SocketIO(message_queue="redis://127.0.0.1:6379/0", async_mode="threading")
    factory.init_app(app)  # the app's process listens: a manager made anew
    manager = factory.server_options["client_manager"]
    assert manager is factory.server.manager and not manager.write_only
    assert "client_manager" not in SocketIO(app, async_mode="threading").server_options


def test_manager_emit_and_rooms_as_python_socketio_has_them(app: Flask) -> None:
    socketio = SocketIO(app, async_mode="threading")

    @socketio.on("join")
    def join(room):
        from flask_socketio import join_room

        join_room(room)

    a, b = socketio.test_client(app), socketio.test_client(app)
    a.emit("join", "red")
    manager = socketio.server.manager
    assert len(manager.rooms["/"]["red"]) == 1
    assert len(list(manager.get_participants("/", None))) == 2
    manager.emit("news", {"n": 1}, namespace="/", room="red")
    assert a.get_received() == [{"name": "news", "args": [{"n": 1}], "namespace": "/"}]
    assert b.get_received() == []


def test_test_client_emit_ignores_what_only_servers_mean(app: Flask) -> None:
    socketio = SocketIO(app, async_mode="threading")

    @socketio.on("echo")
    def echo(data):
        emit("echoed", data)
        return data

    client = socketio.test_client(app)
    assert client.emit("echo", 1, broadcast=True, callback=True) == 1


def test_loggers_log_what_python_socketio_logs(app: Flask, caplog) -> None:
    socketio = SocketIO(app, async_mode="threading", logger=True, engineio_logger=True)

    @socketio.on("echo")
    def echo(data):
        socketio.emit("news", data, to="red")
        return data

    caplog.set_level(logging.DEBUG)
    client = socketio.test_client(app)
    client.emit("echo", "hi", callback=True)
    text = caplog.text
    assert 'received event "echo" from' in text
    assert 'emitting event "news" to red [/]' in text
    assert "connected to /" in text
    client.disconnect()
    assert "disconnected from / (client disconnect)" in caplog.text
    logging.getLogger("flask_socketio.server").setLevel(logging.NOTSET)
    logging.getLogger("flask_socketio.engine").setLevel(logging.NOTSET)


def test_copy_current_request_context_in_a_handler(app: Flask) -> None:
    from flask import copy_current_request_context, request

    socketio = SocketIO(app, async_mode="threading")
    seen = []

    @socketio.on("later")
    def later():
        @copy_current_request_context
        def work():
            seen.append((request.sid, request.namespace))

        socketio.start_background_task(work).join()

    client = socketio.test_client(app)
    client.emit("later")
    assert seen == [(socketio.server.manager.sid_from_eio_sid(client.eio_sid, "/"), "/")]
