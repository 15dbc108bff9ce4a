"""The gevent async mode: greenlets and gevent's pywsgi server.

Websockets work three ways, all ending in our own framing (wsproto) on the
client's socket, so that a broadcast is framed once for every recipient:

- under `serve` (``socketio.run``), pywsgi with `WSGIHandler`, which hands the
  application its socket: the upgrade is answered only after the Engine.IO
  checks (origin, session) passed, so a refused one gets a proper HTTP error;
- under ``gunicorn -k gevent``, through the socket gunicorn exposes;
- under gevent-websocket's handler (``gunicorn -k
  geventwebsocket.gunicorn.workers.GeventWebSocketWorker``, or a pywsgi server
  built with ``handler_class=WebSocketHandler``), which has answered the
  upgrade already: we adopt the socket of its connection.

The project never monkey patches. An application that makes blocking calls
must call ``gevent.monkey.patch_all()`` at the very top of its main module;
when it did not, `serve` and `warn_unpatched` say so in a log warning.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import gevent
from gevent import monkey, pywsgi
from gevent.event import Event
from gevent.lock import Semaphore

from ._green import (
    log_failure,
    no_delay,
    run_job,
    run_maybe_reloading,
    ssl_options,
    warn_once,
)

name = "gevent"
Lock = Semaphore
monotonic = time.monotonic
sleep = gevent.sleep

#: Where `WSGIHandler` puts the client's socket in the environ.
SOCKET_KEY = "flask_socketio.socket"
#: Set in the environ once the socket was taken over for a websocket.
TAKEN_KEY = "flask_socketio.socket_taken"

log = logging.getLogger("flask_socketio")
_servers: list[Any] = []

__all__ = ["Event", "Lock", "WSGIHandler", "accept_websocket", "serve", "spawn", "submit"]


class Task:
    """A running greenlet; ``join()`` waits for it to end."""

    def __init__(self, greenlet: gevent.Greenlet) -> None:
        self._greenlet = greenlet

    def join(self, timeout: float | None = None) -> None:
        self._greenlet.join(timeout)

    def is_alive(self) -> bool:
        return not self._greenlet.dead


def spawn(target: Callable[..., Any], *args: Any, **kwargs: Any) -> Task:
    """Run `target` in a new greenlet; returns it (``join()``)."""
    return Task(gevent.spawn(log_failure, target, *args, **kwargs))


def submit(job: Callable[[], Any]) -> None:
    """Run a short job in a greenlet of its own (they cost next to nothing)."""
    gevent.spawn_raw(run_job, job)


def is_patched() -> bool:
    """Whether the standard library's blocking calls have been made green."""
    return monkey.is_module_patched("socket") and monkey.is_module_patched("threading")


def warn_unpatched(what: str) -> None:
    """Log once that `what` will block every client unless gevent patches the
    standard library (a message queue client, for one)."""
    if not is_patched():
        warn_once(
            what,
            "gevent is running without monkey patching, and %s uses the standard "
            "library's blocking calls: it will stall every client. Call "
            "gevent.monkey.patch_all() at the very top of the main module, before any "
            "other import.",
        )


def raw_socket(environ: dict[str, Any]) -> Any:
    """The client's socket under pywsgi with `WSGIHandler`, or gunicorn's gevent
    workers (``gevent``: gunicorn's own HTTP parser; ``gevent_pywsgi``: pywsgi)."""
    sock = (
        environ.get(SOCKET_KEY) or environ.get("gunicorn.socket") or environ.get("gunicorn.sock")
    )
    if sock is not None:
        environ[TAKEN_KEY] = True
    return sock


def accept_websocket(environ: dict[str, Any], max_message_size: int) -> Any:
    """A websocket for this upgrade request, or None if the server gives no way."""
    from ..engine.websocket import WebSocket

    adopted = environ.get("wsgi.websocket")
    if adopted is not None:
        # gevent-websocket sent the 101 already; its object must not send a
        # close frame of its own once we are done.
        adopted.closed = True
        ws = WebSocket(adopted.handler.socket, max_message_size, Lock())
        ws.upgraded_by_server = True
        return ws
    sock = raw_socket(environ)
    if sock is None:
        return None
    return WebSocket.accept(environ, sock, max_message_size, Lock())


class WSGIHandler(pywsgi.WSGIHandler):
    """pywsgi's request handler, handing the application the client's socket."""

    def get_environ(self) -> dict[str, Any]:
        environ = super().get_environ()
        environ[SOCKET_KEY] = self.socket
        return environ

    def process_result(self) -> None:
        if self.environ.get(TAKEN_KEY):
            # A websocket ran on the socket: no HTTP response follows it.
            self.close_connection = True
            return
        super().process_result()


def serve(
    app: Any,
    host: str,
    port: int,
    *,
    debug: bool = False,
    use_reloader: bool = False,
    reloader_options: dict[str, Any] | None = None,
    log_output: bool = True,
    allow_unsafe_werkzeug: bool = False,
    started: Callable[[Callable[[], None]], None] | None = None,
    **options: Any,
) -> None:
    """Serve with gevent's pywsgi server.

    SSL options (``certfile``, ``keyfile``, ``ca_certs``, ``ssl_context``,
    ...) and the other options go to ``gevent.pywsgi.WSGIServer``;
    ``handler_class`` replaces `WSGIHandler` (gevent-websocket's
    ``WebSocketHandler`` works too). Once listening, `started` gets the
    function that stops the server (`stop`).
    """
    if not is_patched():
        log.warning(
            "gevent is running without monkey patching: a blocking call in a handler "
            "(time.sleep, requests, a database or message queue client) stalls every "
            "client. Call gevent.monkey.patch_all() at the very top of the main module, "
            "or use socketio.sleep() and green libraries."
        )
    ssl_args = ssl_options(options)  # without server_side and unset ones
    options = {**options, **ssl_args}
    options.setdefault("handler_class", WSGIHandler)
    options.setdefault("backlog", 2048)  # gevent's default of 256 drops reconnect bursts

    def run() -> None:
        server = pywsgi.WSGIServer(
            (host, port), app, log="default" if log_output else None, **options
        )
        server.init_socket()
        no_delay(server.socket)  # pywsgi writes headers and body separately
        _servers.append(server)
        server.start()
        if started is not None:
            started(stop)
        server.serve_forever()

    run_maybe_reloading(run, use_reloader, reloader_options)


def stop() -> None:
    """Stop the server started by `serve`: it stops accepting, gives the open
    connections a second to end, and `serve` returns."""
    while _servers:
        _servers.pop().stop()
