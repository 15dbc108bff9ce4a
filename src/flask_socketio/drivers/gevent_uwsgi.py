"""The gevent_uwsgi async mode: gevent under uWSGI, with uWSGI's websocket.

    uwsgi --http :5000 --gevent 1000 --http-websockets --master --wsgi-file app.py

uWSGI answers the upgrade (``uwsgi.websocket_handshake``); the frames then go
through our own framing on the connection's socket rather than through
``uwsgi.websocket_recv``/``websocket_send``: uWSGI 2.0's receive does not say
whether a message was text or binary (an Engine.IO v4 binary message may start
with a digit), its send works only from the request's own greenlet, and it
would frame a broadcast once per recipient.

The module imports only inside a uWSGI process running its gevent loop, so
auto-detection picks it there and nowhere else.
"""

from __future__ import annotations

import logging
import os
from typing import Any

import gevent.socket
import uwsgi

from ..engine.websocket import WebSocket
from .gevent import (
    Event,
    Lock,
    is_patched,
    monotonic,
    sleep,
    spawn,
    submit,
    warn_unpatched,
)

if "gevent" not in uwsgi.opt:
    raise ImportError("uWSGI runs without its gevent loop: start it with --gevent N")

name = "gevent_uwsgi"
log = logging.getLogger("flask_socketio")

__all__ = [
    "Event",
    "Lock",
    "accept_websocket",
    "is_patched",
    "monotonic",
    "raw_socket",
    "serve",
    "sleep",
    "spawn",
    "submit",
    "warn_unpatched",
]


class UwsgiWebSocket(WebSocket):
    """Our websocket on a duplicate of uWSGI's connection socket."""

    upgraded_by_server = True  # uWSGI sent the 101: no HTTP response may follow

    def _shutdown(self) -> None:
        super()._shutdown()
        self.sock.close()  # our duplicate; uWSGI closes its own descriptor


def raw_socket(environ: dict[str, Any]) -> None:
    """uWSGI hands no socket over: `accept_websocket` goes through its API."""
    return None


def accept_websocket(environ: dict[str, Any], max_message_size: int) -> WebSocket | None:
    """Answer the upgrade with uWSGI's handshake; None if uWSGI cannot (it must
    be started with --http-websockets, or behind a proxy that passes them)."""
    try:
        uwsgi.websocket_handshake()
    except OSError as exc:
        log.warning("uWSGI refused the websocket handshake: %s", exc)
        return None
    sock = gevent.socket.socket(fileno=os.dup(uwsgi.connection_fd()))
    return UwsgiWebSocket(sock, max_message_size, Lock())


def serve(app: Any, host: str, port: int, **options: Any) -> None:
    """uWSGI runs the application: ``socketio.run()`` cannot start it."""
    raise RuntimeError(
        "in the gevent_uwsgi mode uWSGI is the server: start it with "
        "`uwsgi --http :5000 --gevent 1000 --http-websockets --master --wsgi-file app.py`"
    )
