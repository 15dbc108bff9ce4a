"""The server of the official protocol suites' contract (../shared/conformance/CONTRACT.md).

One WSGI app on 127.0.0.1:3000 serves both paths the suites use:

- ``/engine.io/``: a bare Engine.IO server (`engine.Server` without a
  listener echoes every message), for the eio-v4 and eio-v3 suites;
- ``/socket.io/``: the public flask_socketio API, for the sio-v5 suite.

    python -m tests.serve tests.conformance.contract_app:app --async-mode gevent --port 3000

Both read their async mode from ``SOCKETIO_ASYNC_MODE`` (set by tests.serve).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

from flask import Flask

from flask_socketio import SocketIO, emit
from flask_socketio.drivers import load_driver
from flask_socketio.engine import Server as EngineServer

MODE = os.environ.get("SOCKETIO_ASYNC_MODE", "threading")

# CONTRACT.md A.1 and C.15.
SETTINGS: dict[str, Any] = {
    "ping_interval": 0.3,
    "ping_timeout": 0.2,
    "max_http_buffer_size": 1_000_000,
    "cors_allowed_origins": "*",
}

engine = EngineServer(load_driver(MODE), **SETTINGS)

flask_app = Flask(__name__)
socketio = SocketIO(flask_app, async_mode=MODE, connect_timeout=1.0, **SETTINGS)


def _connected(auth: Any) -> None:
    emit("auth", auth if auth is not None else {})


@socketio.on("connect")
def connect(auth: Any = None) -> None:
    _connected(auth)


@socketio.on("connect", namespace="/custom")
def connect_custom(auth: Any = None) -> None:
    _connected(auth)


@socketio.on("message")
def message(*args: Any) -> None:
    emit("message-back", *args)


@socketio.on("message-with-ack")
def message_with_ack(*args: Any) -> tuple[Any, ...]:
    return args


def app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    """``/engine.io/`` to the bare engine, everything else to Flask (and its
    Socket.IO middleware)."""
    if environ.get("PATH_INFO", "").startswith("/engine.io/"):
        return engine.handle_request(environ, start_response)
    return flask_app(environ, start_response)
