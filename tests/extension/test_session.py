"""The user session in handlers: forked (manage_session=True) or Flask's own
(manage_session=False, shared with routes through Flask-Session), and Flask-Login."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest
from cachelib.file import FileSystemCache
from flask import Flask, session
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user
from flask_session import Session

from flask_socketio import SocketIO, disconnect, emit


def session_routes(app: Flask) -> None:
    @app.route("/set/<value>")
    def set_value(value):
        session["value"] = value
        return "ok"

    @app.route("/get")
    def get_value():
        return session.get("value", "<none>")


def session_handlers(socketio: SocketIO) -> None:
    @socketio.on("get")
    def get_value():
        return session.get("value", "<none>")

    @socketio.on("set")
    def set_value(value):
        session["value"] = value


def test_managed_session_is_a_fork(app: Flask) -> None:
    session_routes(app)
    socketio = SocketIO(app, async_mode="threading")
    session_handlers(socketio)
    http = app.test_client()
    http.get("/set/from-http")

    client = socketio.test_client(app, flask_test_client=http)
    assert client.emit("get", callback=True) == "from-http"
    client.emit("set", "from-socket")
    assert client.emit("get", callback=True) == "from-socket"
    # The fork lives with the connection...
    saved = socketio.server.connections[client.eio_sid].app_state.session
    assert saved["value"] == "from-socket"
    # ...and never reaches HTTP routes, nor HTTP changes the fork.
    assert http.get("/get").data == b"from-http"
    http.get("/set/again")
    assert client.emit("get", callback=True) == "from-socket"
    # Without the Flask client's cookies, the session starts empty.
    assert socketio.test_client(app).emit("get", callback=True) == "<none>"


@pytest.fixture
def server_side_app(app: Flask, tmp_path: Path) -> Flask:
    app.config["SESSION_TYPE"] = "cachelib"
    app.config["SESSION_CACHELIB"] = FileSystemCache(str(tmp_path / "sessions"), threshold=100)
    Session(app)
    return app


def test_unmanaged_server_side_session_is_shared_both_ways(server_side_app: Flask) -> None:
    app = server_side_app
    session_routes(app)
    socketio = SocketIO(app, async_mode="threading", manage_session=False)
    session_handlers(socketio)
    http = app.test_client()
    http.get("/set/first")

    client = socketio.test_client(app, flask_test_client=http)
    assert client.emit("get", callback=True) == "first"
    http.get("/set/second")  # route -> handler
    assert client.emit("get", callback=True) == "second"
    client.emit("set", "third")  # handler -> route
    assert http.get("/get").data == b"third"
    assert socketio.server.connections[client.eio_sid].app_state.session is None


def test_unmanaged_cookie_session_is_frozen_at_connect(app: Flask) -> None:
    session_routes(app)
    socketio = SocketIO(app, async_mode="threading", manage_session=False)
    session_handlers(socketio)
    http = app.test_client()
    http.get("/set/at-connect")
    client = socketio.test_client(app, flask_test_client=http)
    http.get("/set/later")
    assert client.emit("get", callback=True) == "at-connect"


class User(UserMixin):
    def __init__(self, user_id: str) -> None:
        self.id = user_id
        self.name = user_id.title()


def authenticated_only(f):
    @functools.wraps(f)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            disconnect()
        else:
            return f(*args, **kwargs)

    return wrapped


@pytest.mark.parametrize("manage_session", [True, False])
def test_flask_login_current_user(
    server_side_app: Flask, manage_session: bool
) -> None:
    app = server_side_app
    login_manager = LoginManager(app)
    login_manager.user_loader(User)

    @app.route("/login/<name>")
    def login(name):
        login_user(User(name))
        return "in"

    @app.route("/logout")
    def logout():
        logout_user()
        return "out"

    socketio = SocketIO(app, async_mode="threading", manage_session=manage_session)

    @socketio.on("connect")
    def connect_handler():
        if current_user.is_authenticated:
            emit(
                "my response",
                {"message": "{0} has joined".format(current_user.name)},  # noqa: UP030, UP032 - the doc's code
                broadcast=True,
            )
        else:
            return False  # not allowed here

    @socketio.on("my event")
    @authenticated_only
    def handle_my_custom_event(data):
        return current_user.name

    anonymous = socketio.test_client(app, flask_test_client=app.test_client())
    assert not anonymous.is_connected()

    http = app.test_client()
    http.get("/login/alice")
    client = socketio.test_client(app, flask_test_client=http)
    assert client.is_connected()
    assert client.get_received() == [
        {"name": "my response", "args": [{"message": "Alice has joined"}], "namespace": "/"}
    ]
    assert client.emit("my event", {}, callback=True) == "Alice"
    http.get("/logout")
    if manage_session:
        # The forked session still holds the login.
        assert client.emit("my event", {}, callback=True) == "Alice"
    else:
        # The shared session lost it: the custom decorator disconnects.
        client.emit("my event", {})
        assert not client.is_connected()
