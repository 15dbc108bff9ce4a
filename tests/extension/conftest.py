"""Fixtures for the extension tests: apps, and live servers run by ``socketio.run``.

``live`` starts ``socketio.run(app)`` on 127.0.0.1 in a thread of the test
process and stops it with ``socketio.stop()``; ``client`` connects a real
python-socketio client to it.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import socketio as socketio_client
from flask import Flask

from flask_socketio import SocketIO

WAIT = 10.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(predicate: Callable[[], Any], timeout: float = WAIT) -> Any:
    """Poll `predicate` until it is truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.01)


@dataclass
class Live:
    """A `SocketIO` app served in a thread of the test process."""

    app: Flask
    socketio: SocketIO
    port: int
    thread: threading.Thread

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture
def app() -> Flask:
    app = Flask(__name__)
    app.config["SECRET_KEY"] = "secret!"
    return app


@pytest.fixture
def live() -> Iterator[Callable[..., Live]]:
    """``live(app, socketio, **run_options)`` serves the app until the test ends."""
    started: list[Live] = []

    def start(app: Flask, socketio: SocketIO, **options: Any) -> Live:
        port = free_port()
        options.setdefault("allow_unsafe_werkzeug", True)
        options.setdefault("use_reloader", False)
        thread = threading.Thread(
            target=socketio.run, args=(app, "127.0.0.1", port), kwargs=options, daemon=True
        )
        thread.start()
        server = Live(app, socketio, port, thread)
        started.append(server)

        def accepting() -> bool:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    return True
            except OSError:
                return False

        wait_until(accepting)
        return server

    yield start
    for server in started:
        server.socketio.stop()
        server.thread.join(WAIT)


@pytest.fixture
def client() -> Iterator[Callable[..., socketio_client.Client]]:
    """``client(url, **connect_options)``: a connected python-socketio client."""
    clients: list[socketio_client.Client] = []

    def connect(url: str, **options: Any) -> socketio_client.Client:
        sio = socketio_client.Client(reconnection=False)
        clients.append(sio)
        options.setdefault("transports", ["websocket"])
        options.setdefault("wait_timeout", WAIT)
        handlers = options.pop("handlers", {})
        for (event, namespace), handler in handlers.items():
            sio.on(event, handler, namespace=namespace)
        sio.connect(url, **options)
        return sio

    yield connect
    for sio in clients:
        sio.disconnect()
