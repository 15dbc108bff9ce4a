"""The eventlet async mode: green threads, eventlet's WSGI server, websocket on
the green socket eventlet hands over.

The project never monkey patches. An application that makes blocking calls
(a message queue client, a database driver, ``time.sleep``) must call
``eventlet.monkey_patch()`` at the very top of its main module; when it did
not, `serve` and `warn_unpatched` say so in a log warning.

Same surface as the threading driver: ``name``, ``spawn``, ``submit``,
``sleep``, ``monotonic``, ``Event``, ``Lock``, ``raw_socket``, ``serve``, plus
``stop`` and ``warn_unpatched``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import eventlet
import eventlet.wsgi
from eventlet import patcher
from eventlet.green import socket as green_socket
from eventlet.green import threading as green_threading
from eventlet.semaphore import Semaphore
from greenlet import GreenletExit

from ._green import (
    log_failure,
    no_delay,
    run_job,
    run_maybe_reloading,
    ssl_options,
    warn_once,
)

name = "eventlet"
Event = green_threading.Event
Lock = Semaphore
monotonic = time.monotonic
sleep = eventlet.sleep

#: Connections `serve` holds at once. eventlet's own default is 1024, too few
#: for a Socket.IO server, where every client keeps a connection open.
DEFAULT_MAX_CONNECTIONS = 10_000
#: Connection requests the kernel queues before `serve` accepts them
#: (eventlet's own default of 50 drops bursts of reconnecting clients).
DEFAULT_BACKLOG = 2048

log = logging.getLogger("flask_socketio")
_servers: list[Any] = []


class Task:
    """A running green thread; ``join()`` waits for it to end."""

    def __init__(self, thread: Any) -> None:
        self._thread = thread

    def join(self, timeout: float | None = None) -> None:
        with eventlet.Timeout(timeout, False):
            self._thread.wait()

    def is_alive(self) -> bool:
        return not self._thread.dead


def spawn(target: Callable[..., Any], *args: Any, **kwargs: Any) -> Task:
    """Run `target` in a new green thread; returns it (``join()``)."""
    return Task(eventlet.spawn(log_failure, target, *args, **kwargs))


def submit(job: Callable[[], Any]) -> None:
    """Run a short job in a green thread of its own (they cost next to nothing)."""
    eventlet.spawn_n(run_job, job)


def is_patched() -> bool:
    """Whether the standard library's blocking calls have been made green."""
    return patcher.is_monkey_patched("socket") and patcher.is_monkey_patched("thread")


def warn_unpatched(what: str) -> None:
    """Log once that `what` will block every client unless eventlet patches the
    standard library (a message queue client, for one)."""
    if not is_patched():
        warn_once(
            what,
            "eventlet is running without monkey patching, and %s uses the standard "
            "library's blocking calls: it will stall every client. Call "
            "eventlet.monkey_patch() at the very top of the main module, before any "
            "other import.",
        )


def raw_socket(environ: dict[str, Any]) -> Any:
    """The client's green socket, taken over for a websocket.

    Taking it tells the server the response is already handled, so that it
    writes nothing more on the connection and closes it once the websocket
    ends, and marks the connection idle for a graceful stop.
    """
    request_input = environ.get("eventlet.input")
    sock = request_input.get_socket() if request_input is not None else None
    if sock is None:
        sock = environ.get("gunicorn.socket")  # gunicorn's eventlet worker
    if sock is not None:
        eventlet.wsgi.WSGI_LOCAL.already_handled = True
        set_idle = environ.get("eventlet.set_idle")
        if set_idle is not None:
            set_idle()
    return sock


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
    max_size: int = DEFAULT_MAX_CONNECTIONS,
    backlog: int = DEFAULT_BACKLOG,
    started: Callable[[Callable[[], None]], None] | None = None,
    **options: Any,
) -> None:
    """Serve with eventlet's WSGI server.

    `max_size` caps the connections held at once (eventlet's default is
    1024), `backlog` the connections waiting to be accepted. SSL options
    (``certfile``, ``keyfile``, ``ca_certs``, ``cert_reqs``, ``ssl_version``,
    ``ciphers``, ...) wrap the listening socket; the other options go to
    ``eventlet.wsgi.server``. Once listening, `started` gets the function that
    stops the server (`stop`).
    """
    if not is_patched():
        log.warning(
            "eventlet is running without monkey patching: a blocking call in a handler "
            "(time.sleep, requests, a database or message queue client) stalls every "
            "client. Call eventlet.monkey_patch() at the very top of the main module, "
            "or use socketio.sleep() and green libraries."
        )
    ssl_args = ssl_options(options)

    def run() -> None:
        address = green_socket.getaddrinfo(host, port)[0]
        listener = eventlet.listen(address[4], address[0], backlog=backlog)
        no_delay(listener)
        if ssl_args:
            listener = eventlet.wrap_ssl(listener, server_side=True, **ssl_args)
        server = eventlet.spawn(
            eventlet.wsgi.server,
            listener,
            app,
            log_output=log_output,
            debug=debug,
            max_size=max_size,
            **options,
        )
        _servers.append(server)
        if started is not None:
            started(stop)
        try:
            server.wait()
        except GreenletExit:
            pass  # stop()

    run_maybe_reloading(run, use_reloader, reloader_options)


def stop() -> None:
    """Make `serve` stop accepting connections and return once the requests in
    progress have ended (websockets are closed; disconnect the clients first
    for pending long-polls to end at once)."""
    while _servers:
        _servers.pop().kill()
