"""A live server started by ``socketio.run()``, driven by the real python-socketio client."""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable

import pytest
import requests
import socketio as socketio_client
from flask import Flask, request

from flask_socketio import ConnectionRefusedError, SocketIO, call, emit, send

from .conftest import WAIT, Live, wait_until

TRANSPORTS = ["websocket", "polling"]


@pytest.fixture
def chat_app(app: Flask) -> tuple[Flask, SocketIO, dict]:
    socketio = SocketIO(app, async_mode="threading")
    record: dict = {"acks": queue.Queue(), "answers": queue.Queue()}

    @app.route("/")
    def index():
        return "index"

    @app.route("/boom")
    def boom():
        raise RuntimeError("route failure")

    @app.route("/ask/<sid>")
    def ask(sid):
        return str(socketio.call("question", "from a route", to=sid, timeout=WAIT))

    @app.route("/stop")
    def stop():
        socketio.stop()
        return "stopping"

    @socketio.on("connect")
    def connect(auth):
        if auth and auth.get("refuse"):
            raise ConnectionRefusedError("unauthorized!", {"why": "asked"})
        emit("welcome", {"sid": request.sid, "auth": auth})

    @socketio.on("echo")
    def echo(*args):
        return args

    @socketio.on("to chat")
    def to_chat(data):
        send(data, namespace="/chat")
        emit("my response", data, namespace="/chat")

    @socketio.on("connect", namespace="/chat")
    def connect_chat():
        pass

    @socketio.on("with callback")
    def with_callback(data):
        def ack(*args):
            record["acks"].put((request.sid, request.namespace, args))

        emit("needs ack", data, callback=ack)

    @socketio.on("ask me")
    def ask_me():
        return call("question", "from a handler", timeout=WAIT)

    @socketio.on("fail")
    def fail():
        raise ValueError("handler failure")

    return app, socketio, record


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_events_acks_and_emits(
    chat_app, live: Callable[..., Live], client, transport: str
) -> None:
    app, socketio, _ = chat_app
    server = live(app, socketio)
    received: queue.Queue = queue.Queue()
    sio = client(
        server.url,
        transports=[transport],
        auth={"token": "t"},
        namespaces=["/", "/chat"],
        handlers={
            ("welcome", "/"): lambda data: received.put(("welcome", data)),
            ("message", "/chat"): lambda data: received.put(("chat message", data)),
            ("my response", "/chat"): lambda data: received.put(("chat response", data)),
        },
    )
    name, welcome = received.get(timeout=WAIT)
    assert name == "welcome" and welcome["auth"] == {"token": "t"}
    assert welcome["sid"] == sio.get_sid("/")
    assert sio.call("echo", {"a": b"\x01"}, timeout=WAIT) == {"a": b"\x01"}
    assert sio.transport() == transport
    # The documentation's send(..., namespace='/chat') reaches this client on /chat.
    sio.emit("to chat", "hello")
    got = {received.get(timeout=WAIT), received.get(timeout=WAIT)}
    assert got == {("chat message", "hello"), ("chat response", "hello")}


def test_connection_refused_reaches_the_client(chat_app, live, client) -> None:
    app, socketio, _ = chat_app
    server = live(app, socketio)
    errors: queue.Queue = queue.Queue()
    with pytest.raises(socketio_client.exceptions.ConnectionError):
        client(server.url, auth={"refuse": True}, handlers={("connect_error", "/"): errors.put})
    assert errors.get(timeout=WAIT) == {"message": "unauthorized!", "data": {"why": "asked"}}


def test_emit_callback_runs_in_the_clients_context(chat_app, live, client) -> None:
    app, socketio, record = chat_app
    server = live(app, socketio)
    sio = client(server.url, handlers={("needs ack", "/"): lambda data: ("thanks", data)})
    sio.emit("with callback", 7)
    sid, namespace, args = record["acks"].get(timeout=WAIT)
    assert (sid, namespace, args) == (sio.get_sid("/"), "/", ("thanks", 7))


def test_call_from_a_handler_and_from_a_route(chat_app, live, client) -> None:
    app, socketio, _ = chat_app
    server = live(app, socketio)
    sio = client(server.url, handlers={("question", "/"): lambda data: "answer to " + data})
    assert sio.call("ask me", timeout=WAIT) == "answer to from a handler"
    response = requests.get(f"{server.url}/ask/{sio.get_sid('/')}", timeout=WAIT)
    assert response.text == "answer to from a route"


def test_call_times_out(app: Flask, live, client) -> None:
    socketio = SocketIO(app, async_mode="threading")

    @socketio.on("ask")
    def ask():
        try:
            call("unanswered", timeout=0.2)
        except TimeoutError:
            return "timed out"

    server = live(app, socketio)
    answered = threading.Event()
    sio = client(server.url, handlers={("unanswered", "/"): lambda: answered.wait(WAIT)})
    assert sio.call("ask", timeout=WAIT) == "timed out"
    answered.set()


def test_unhandled_error_is_logged_and_the_connection_lives(
    chat_app, live, client, caplog: pytest.LogCaptureFixture
) -> None:
    app, socketio, _ = chat_app
    server = live(app, socketio)
    sio = client(server.url)
    with caplog.at_level(logging.ERROR):
        sio.emit("fail")
        assert sio.call("echo", 1, timeout=WAIT) == 1
        wait_until(lambda: "handler failure" in caplog.text)
    assert sio.connected


def test_stop_from_a_route(chat_app, live) -> None:
    app, socketio, _ = chat_app
    server = live(app, socketio)
    assert requests.get(server.url + "/stop", timeout=WAIT).text == "stopping"
    server.thread.join(WAIT)
    assert not server.thread.is_alive()


def test_debug_mode_puts_the_debugger_behind_socketio(chat_app, live, client) -> None:
    app, socketio, _ = chat_app
    server = live(app, socketio, debug=True, use_reloader=False)
    response = requests.get(server.url + "/boom", timeout=WAIT)
    assert response.status_code == 500 and "Werkzeug Debugger" in response.text
    assert client(server.url).call("echo", "still", timeout=WAIT) == "still"


def test_polling_client_upgrades_to_websocket(chat_app, live, client) -> None:
    app, socketio, _ = chat_app
    server = live(app, socketio)
    sio = client(server.url, transports=["polling", "websocket"])
    wait_until(lambda: sio.transport() == "websocket")
    assert sio.call("echo", "up", timeout=WAIT) == "up"


def test_broadcast_from_a_background_thread(app: Flask, live, client) -> None:
    socketio = SocketIO(app, async_mode="threading")
    server = live(app, socketio)
    got: list[queue.Queue] = [queue.Queue(), queue.Queue()]
    for index in range(2):
        client(server.url, handlers={("news", "/"): got[index].put})
    threading.Thread(target=socketio.emit, args=("news", "extra!")).start()
    assert [q.get(timeout=WAIT) for q in got] == ["extra!", "extra!"]
