"""In-process test client and doc section "Access to Flask's Context Globals":
``request.sid`` / ``request.namespace`` / ``request.event``, ``current_app``
and ``g``, ``before_request`` not run, the session fork with
``manage_session`` True and False, cookies shared with ``app.test_client()``
through ``flask_test_client=``, and Flask-Login's ``current_user``.
"""

from __future__ import annotations

import functools

import pytest
from flask import Flask, current_app, g, request, session
from flask_login import LoginManager, UserMixin, current_user, login_user

from flask_socketio import SocketIO, disconnect, emit

pytestmark = pytest.mark.timeout(30)


def test_request_sid_namespace_and_event(app: Flask, socketio: SocketIO) -> None:
    seen = []

    @socketio.on("connect")
    def on_connect():
        seen.append(("connect", request.sid, request.namespace))

    @socketio.on("connect", namespace="/chat")
    def on_chat_connect():
        seen.append(("connect", request.sid, request.namespace))

    @socketio.on("inspect")
    def inspect(*args):
        return {"sid": request.sid, "namespace": request.namespace, "event": request.event}

    @socketio.on("inspect", namespace="/chat")
    def inspect_chat(*args):
        return {"sid": request.sid, "namespace": request.namespace, "event": request.event}

    client = socketio.test_client(app)
    client.connect(namespace="/chat")
    root = client.emit("inspect", "a", 1, callback=True)
    chat = client.emit("inspect", namespace="/chat", callback=True)
    assert root == {
        "sid": seen[0][1],
        "namespace": "/",
        "event": {"message": "inspect", "args": ["a", 1]},
    }
    assert chat == {
        "sid": seen[1][1],
        "namespace": "/chat",
        "event": {"message": "inspect", "args": []},
    }
    # Socket.IO 5: a client has one sid per namespace.
    assert root["sid"] != chat["sid"]
    other = socketio.test_client(app)
    assert other.emit("inspect", callback=True)["sid"] not in (root["sid"], chat["sid"])


def test_request_event_args_is_a_tuple(app: Flask, socketio: SocketIO) -> None:
    seen = []

    @socketio.on("my event")
    def handle(data):
        seen.append(request.event)

    socketio.test_client(app).emit("my event", {"x": 1})
    assert seen == [{"message": "my event", "args": ({"x": 1},)}]


def test_app_context_and_before_request(app: Flask, socketio: SocketIO) -> None:
    hooks = []

    @app.before_request
    def before():
        hooks.append(request.path)

    @socketio.on("context")
    def context():
        g.value = "set in handler"
        return {"app": current_app.name, "g": g.value}

    client = socketio.test_client(app)
    assert client.emit("context", callback=True) == {"app": app.name, "g": "set in handler"}
    assert hooks == []


def _session_app(app: Flask, socketio: SocketIO) -> None:
    @app.route("/session/set/<value>")
    def http_set(value):
        session["value"] = value
        return "ok"

    @app.route("/session/get")
    def http_get():
        return session.get("value", "<none>")

    @socketio.on("session get")
    def socket_get():
        return session.get("value", "<none>")

    @socketio.on("session set")
    def socket_set(value):
        session["value"] = value
        return "ok"


def test_flask_test_client_shares_session_and_cookies(app: Flask, socketio: SocketIO) -> None:
    _session_app(app, socketio)

    @socketio.on("cookie")
    def cookie():
        return request.cookies.get("flavour")

    flask_client = app.test_client()
    assert flask_client.get("/session/set/from-http").text == "ok"
    flask_client.set_cookie("flavour", "chocolate")
    client = socketio.test_client(app, flask_test_client=flask_client)
    assert client.emit("session get", callback=True) == "from-http"
    assert client.emit("cookie", callback=True) == "chocolate"
    # Without the Flask test client there is no cookie, so no session.
    assert socketio.test_client(app).emit("session get", callback=True) == "<none>"


def test_managed_session_is_forked(app: Flask, socketio: SocketIO) -> None:
    _session_app(app, socketio)
    flask_client = app.test_client()
    flask_client.get("/session/set/from-http")
    client = socketio.test_client(app, flask_test_client=flask_client)
    assert client.emit("session get", callback=True) == "from-http"
    assert client.emit("session set", "from-socket", callback=True) == "ok"
    assert client.emit("session get", callback=True) == "from-socket"
    assert flask_client.get("/session/get").text == "from-http"
    flask_client.get("/session/set/http-again")
    assert client.emit("session get", callback=True) == "from-socket"
    # Each connection has its own fork, copied from the session at connection.
    other = socketio.test_client(app, flask_test_client=flask_client)
    assert other.emit("session get", callback=True) == "http-again"


def test_unmanaged_cookie_session_is_frozen_at_connection(app: Flask) -> None:
    # manage_session=False with Flask's cookie sessions: every handler loads the
    # session from the cookie sent at connection time, so a handler's changes
    # do not last (there is no response to carry a new cookie).
    socketio = SocketIO(app, async_mode="threading", manage_session=False)
    _session_app(app, socketio)
    flask_client = app.test_client()
    flask_client.get("/session/set/from-http")
    client = socketio.test_client(app, flask_test_client=flask_client)
    assert client.emit("session get", callback=True) == "from-http"
    assert client.emit("session set", "from-socket", callback=True) == "ok"
    assert client.emit("session get", callback=True) == "from-http"
    assert flask_client.get("/session/get").text == "from-http"


def test_unmanaged_server_side_session_is_shared(app: Flask) -> None:
    from cachelib import SimpleCache
    from flask_session import Session

    app.config["SESSION_TYPE"] = "cachelib"
    app.config["SESSION_CACHELIB"] = SimpleCache()
    Session(app)
    socketio = SocketIO(app, async_mode="threading", manage_session=False)
    _session_app(app, socketio)
    flask_client = app.test_client()
    flask_client.get("/session/set/from-http")
    client = socketio.test_client(app, flask_test_client=flask_client)
    assert client.emit("session get", callback=True) == "from-http"
    flask_client.get("/session/set/http-later")
    assert client.emit("session get", callback=True) == "http-later"
    assert client.emit("session set", "from-socket", callback=True) == "ok"
    assert flask_client.get("/session/get").text == "from-socket"


class User(UserMixin):
    def __init__(self, name: str) -> None:
        self.id = name
        self.name = name


def _login_app(app: Flask, socketio: SocketIO) -> None:
    login_manager = LoginManager(app)

    @login_manager.user_loader
    def load_user(user_id):
        return User(user_id)

    @app.route("/login/<name>")
    def login(name):
        login_user(User(name))
        return "logged in"


def test_flask_login_connect_handler(app: Flask, socketio: SocketIO) -> None:
    _login_app(app, socketio)

    @socketio.on("connect")
    def connect_handler():
        if current_user.is_authenticated:
            emit(
                "my response",
                {"message": f"{current_user.name} has joined"},
                broadcast=True,
            )
        else:
            return False  # not allowed here

    @socketio.on("whoami")
    def whoami():
        return current_user.name

    assert not socketio.test_client(app).is_connected()
    flask_client = app.test_client()
    flask_client.get("/login/alice")
    client = socketio.test_client(app, flask_test_client=flask_client)
    assert client.is_connected()
    assert client.get_received() == [
        {"name": "my response", "args": [{"message": "alice has joined"}], "namespace": "/"}
    ]
    assert client.emit("whoami", callback=True) == "alice"


def test_flask_login_authenticated_only(app: Flask, socketio: SocketIO) -> None:
    _login_app(app, socketio)

    def authenticated_only(f):
        @functools.wraps(f)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                disconnect()
            else:
                return f(*args, **kwargs)

        return wrapped

    @socketio.on("my event")
    @authenticated_only
    def handle_my_custom_event(data):
        emit("my response", {"message": f"{current_user.name} has joined"}, broadcast=True)

    anonymous = socketio.test_client(app)
    flask_client = app.test_client()
    flask_client.get("/login/bob")
    user = socketio.test_client(app, flask_test_client=flask_client)
    anonymous.emit("my event", {})
    assert not anonymous.is_connected()
    assert user.get_received() == []
    user.emit("my event", {})
    assert user.is_connected()
    assert user.get_received() == [
        {"name": "my response", "args": [{"message": "bob has joined"}], "namespace": "/"}
    ]
