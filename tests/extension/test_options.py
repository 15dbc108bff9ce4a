"""SocketIO construction: options, init_app, attributes real apps reach for."""

from __future__ import annotations

import datetime

import flask
import pytest
from flask import Flask

from flask_socketio import SocketIO
from flask_socketio.managers import PubSubManager
from flask_socketio.server import Reason, Server


def test_a_misspelt_option_is_a_type_error_naming_the_right_one(app: Flask) -> None:
    with pytest.raises(TypeError, match="'ping_timout'; did you mean 'ping_timeout'"):
        SocketIO(app, ping_timout=5)
    socketio = SocketIO()
    with pytest.raises(TypeError, match="did you mean 'cors_allowed_origins'"):
        socketio.init_app(app, corss_allowed_origins="*")
    with pytest.raises(TypeError, match="did you mean 'log_output'"):
        SocketIO(app, log_ouput=True)


def test_an_unknown_option_is_ignored_with_a_warning(app: Flask, caplog) -> None:
    socketio = SocketIO(app, async_mode="threading", carrier_pigeon=True)
    assert "unknown option 'carrier_pigeon', ignored" in caplog.text
    assert "carrier_pigeon" not in socketio.server_options


def test_run_options_given_to_the_constructor_become_runs_defaults(app: Flask, caplog) -> None:
    socketio = SocketIO(
        app, async_mode="threading", allow_unsafe_werkzeug=True, log_output=False, debug=False
    )
    assert socketio.run_defaults == {
        "allow_unsafe_werkzeug": True,
        "log_output": False,
        "debug": False,
    }
    for name in ("allow_unsafe_werkzeug", "log_output", "debug"):
        assert f"SocketIO({name}=...) is an option of run()" in caplog.text
    assert socketio.server.eio.config.upgrade_timeout == 10.0
    assert SocketIO(app, upgrade_timeout=3).server.eio.config.upgrade_timeout == 3.0


def test_documented_options_reach_the_servers(app: Flask) -> None:
    socketio = SocketIO(
        app,
        async_mode="threading",
        ping_interval=(10, 2),
        ping_timeout=7,
        max_http_buffer_size=1234,
        allow_upgrades=False,
        http_compression=False,
        compression_threshold=99,
        cookie="io",
        cors_allowed_origins=["http://example.com"],
        cors_credentials=False,
        transports=["websocket"],
        always_connect=True,
        namespaces="*",
        logger=False,
        engineio_logger=False,
        binary=True,  # a Python 2 option of the documentation: accepted, no effect
        monitor_clients=True,
    )
    eio = socketio.server.eio.config
    assert (eio.ping_interval, eio.ping_grace, eio.ping_timeout) == (10, 2, 7)
    assert eio.max_http_buffer_size == 1234
    assert eio.allow_upgrades is False
    assert eio.http_compression is False
    assert eio.compression_threshold == 99
    assert eio.cookie == "io"
    assert eio.cors_allowed_origins == ["http://example.com"]
    assert eio.cors_credentials is False
    assert eio.transports == ("websocket",)
    assert socketio.server.always_connect is True
    assert socketio.server.namespaces == "*"
    assert socketio.async_mode == "threading" == socketio.server.async_mode
    assert socketio.server_options["ping_timeout"] == 7
    assert isinstance(socketio.server, Server)


def test_reason_constants() -> None:
    assert SocketIO.reason is Reason
    assert SocketIO.reason.CLIENT_DISCONNECT == "client disconnect"
    assert SocketIO.reason.SERVER_DISCONNECT == "server disconnect"
    assert SocketIO.reason.PING_TIMEOUT == "ping timeout"
    assert SocketIO.reason.TRANSPORT_CLOSE == "transport close"
    assert SocketIO.reason.TRANSPORT_ERROR == "transport error"


def test_init_app_factory_keeps_options_and_handlers(app: Flask) -> None:
    socketio = SocketIO(async_mode="threading", ping_timeout=9)

    @socketio.on("before")
    def before() -> str:
        return "before"

    socketio.init_app(app, manage_session=False)

    @socketio.on("after")
    def after() -> str:
        return "after"

    assert app.extensions["socketio"] is socketio
    assert socketio.manage_session is False
    assert socketio.server.eio.config.ping_timeout == 9
    client = socketio.test_client(app)
    assert client.emit("before", callback=True) == "before"
    assert client.emit("after", callback=True) == "after"


def test_init_app_twice_does_not_stack_middleware(app: Flask) -> None:
    socketio = SocketIO(async_mode="threading")
    socketio.init_app(app)
    socketio.init_app(app)
    assert app.wsgi_app.wsgi_app.__self__ is app  # the middleware wraps Flask's own


def test_custom_path_and_resource_alias(app: Flask) -> None:
    @app.route("/")
    def index() -> str:
        return "page"

    socketio = SocketIO(app, async_mode="threading", path="/custom/")
    http = app.test_client()
    response = http.get("/custom/?EIO=4&transport=polling")
    assert response.status_code == 200 and b'"sid"' in response.data
    assert http.get("/socket.io/?EIO=4&transport=polling").status_code == 404
    assert http.get("/").data == b"page"
    assert socketio.test_client(app).is_connected()

    other = Flask(__name__)
    SocketIO(other, async_mode="threading", resource="rt")
    assert other.test_client().get("/rt/?EIO=4&transport=polling").status_code == 200


def test_flask_json_module(app: Flask) -> None:
    socketio = SocketIO(app, async_mode="threading", json=flask.json)

    @socketio.on("when")
    def when() -> datetime.date:
        return datetime.date(2024, 1, 2)

    client = socketio.test_client(app)
    assert client.emit("when", callback=True) == "Tue, 02 Jan 2024 00:00:00 GMT"


def test_message_queue_uses_a_pubsub_manager_and_refuses_the_test_client(app: Flask) -> None:
    socketio = SocketIO(
        message_queue="redis://127.0.0.1:1/0", channel="mine", async_mode="threading"
    )
    manager = socketio.server.manager
    assert isinstance(manager, PubSubManager)
    assert manager.channel == "mine" and manager.write_only  # no app: emit-only
    with pytest.raises(RuntimeError, match="message queue"):
        socketio.test_client(app)


def test_server_options_given_to_run_are_merged(app: Flask, monkeypatch) -> None:
    socketio = SocketIO(app, async_mode="threading")
    served = {}
    monkeypatch.setattr(
        socketio.server.driver, "serve", lambda *args, **kwargs: served.update(kwargs)
    )
    socketio.run(
        app,
        port=5001,
        allow_unsafe_werkzeug=True,
        ping_timeout=3,
        cors_allowed_origins="*",
        ssl_context="adhoc",
    )
    assert socketio.server.eio.config.ping_timeout == 3
    assert socketio.server.eio.config.cors_allowed_origins == "*"
    assert served["ssl_context"] == "adhoc"  # web server options go to the server
    assert "ping_timeout" not in served
    with pytest.raises(TypeError, match="async_mode"):
        socketio.run(app, allow_unsafe_werkzeug=True, async_mode="threading")


def test_run_refuses_werkzeug_in_production(app: Flask, monkeypatch) -> None:
    import io

    socketio = SocketIO(app, async_mode="threading")
    monkeypatch.setattr("sys.stdin", io.StringIO())  # not a terminal
    with pytest.raises(RuntimeError, match="allow_unsafe_werkzeug"):
        socketio.run(app)


def test_stop_without_a_running_server(app: Flask) -> None:
    socketio = SocketIO(app, async_mode="threading")
    with pytest.raises(RuntimeError, match="unknown web server"):
        socketio.stop()
