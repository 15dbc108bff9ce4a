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
from typing import TYPE_CHECKING, Any

import gevent.socket
import uwsgi

from .._types import Environ, WSGICallable
from . import Driver as DriverProtocol
from . import TakenSocket
from .gevent import Driver as GeventDriver

if "gevent" not in uwsgi.opt:
    raise ImportError("uWSGI runs without its gevent loop: start it with --gevent N")

log = logging.getLogger("flask_socketio")


class Driver(GeventDriver):
    """gevent under uWSGI: uWSGI is the server and answers the upgrades."""

    name = "gevent_uwsgi"

    def take_socket(self, environ: Environ) -> TakenSocket | None:
        """Answer the upgrade with uWSGI's handshake and take a duplicate of the
        connection's socket; None if uWSGI cannot (it must be started with
        --http-websockets, or behind a proxy that passes them)."""
        try:
            uwsgi.websocket_handshake()
        except OSError as exc:
            log.warning("uWSGI refused the websocket handshake: %s", exc)
            return None
        sock = gevent.socket.socket(fileno=os.dup(uwsgi.connection_fd()))
        return TakenSocket(sock, upgraded=True, owned=True)

    def serve(self, app: WSGICallable, host: str, port: int, **options: Any) -> None:
        """uWSGI runs the application: ``socketio.run()`` cannot start it."""
        raise RuntimeError(
            "in the gevent_uwsgi mode uWSGI is the server: start it with "
            "`uwsgi --http :5000 --gevent 1000 --http-websockets --master --wsgi-file app.py`"
        )


if TYPE_CHECKING:  # the class implements the driver protocol
    _checked: DriverProtocol = Driver()
