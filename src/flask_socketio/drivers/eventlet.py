"""The eventlet async mode: green threads, eventlet's WSGI server, websocket on
the green socket eventlet hands over.

The project never monkey patches. An application that makes blocking calls
(a message queue client, a database driver, ``time.sleep``) must call
``eventlet.monkey_patch()`` at the very top of its main module; when it did
not, `Driver.serve` and `Driver.warn_unpatched` say so in a log warning.
"""

from __future__ import annotations

import io
import ssl
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import eventlet
import eventlet.wsgi
from eventlet import patcher
from eventlet.green import socket as green_socket
from eventlet.green import threading as green_threading
from eventlet.semaphore import Semaphore
from greenlet import GreenletExit

from .._types import Environ, WSGICallable
from . import Driver as DriverProtocol
from . import Started, TakenSocket
from ._green import GreenDriver, log_failure, no_delay, run_job, run_maybe_reloading, ssl_options

#: Connections `serve` holds at once. eventlet's own default is 1024, too few
#: for a Socket.IO server, where every client keeps a connection open.
DEFAULT_MAX_CONNECTIONS = 10_000
#: Connection requests the kernel queues before `serve` accepts them
#: (eventlet's own default of 50 drops bursts of reconnecting clients).
DEFAULT_BACKLOG = 2048


#: Where `HttpProtocol` puts itself in the environ.
HANDLER_KEY = "flask_socketio.handler"


class HttpProtocol(eventlet.wsgi.HttpProtocol):  # type: ignore[misc]
    """eventlet's request handler, telling the application who it is (see
    `Driver.take_socket`)."""

    def get_environ(self) -> dict[str, Any]:
        environ: dict[str, Any] = super().get_environ()
        environ[HANDLER_KEY] = self
        return environ


class Task:
    """A running green thread; ``join()`` waits for it to end."""

    def __init__(self, thread: Any) -> None:
        self._thread = thread

    def join(self, timeout: float | None = None) -> None:
        with eventlet.Timeout(timeout, False):
            self._thread.wait()

    def is_alive(self) -> bool:
        return not self._thread.dead


class Driver(GreenDriver):
    """Green threads of eventlet; ``socketio.run()`` serves with eventlet.wsgi."""

    name = "eventlet"
    patch_call = "eventlet.monkey_patch()"
    Event = green_threading.Event
    Lock = Semaphore
    monotonic = staticmethod(time.monotonic)
    sleep = staticmethod(eventlet.sleep)

    def spawn(self, target: Callable[..., object], *args: Any, **kwargs: Any) -> Task:
        """Run `target` in a new green thread; returns it (``join()``)."""
        return Task(eventlet.spawn(log_failure, target, *args, **kwargs))

    def submit(self, job: Callable[[], object]) -> None:
        """Run a short job in a green thread of its own (they cost next to nothing)."""
        eventlet.spawn_n(run_job, job)

    def is_patched(self) -> bool:
        return bool(patcher.is_monkey_patched("socket") and patcher.is_monkey_patched("thread"))

    def nonblocking_send(self, sock: Any) -> Callable[[bytes], int] | None:
        raw = getattr(sock, "fd", sock)  # a green socket's own, non-blocking, socket
        if isinstance(sock, ssl.SSLSocket) or isinstance(raw, ssl.SSLSocket):
            return None
        send: Callable[[bytes], int] = raw.send
        return send

    def take_socket(self, environ: Environ) -> TakenSocket | None:
        """The client's green socket, taken over for a websocket.

        Taking it tells the server the response is already handled, so that it
        writes nothing more on the connection and closes it once the websocket
        ends, and marks the connection idle for a graceful stop.
        """
        request_input = environ.get("eventlet.input")
        sock = request_input.get_socket() if request_input is not None else None
        if sock is None:
            sock = environ.get("gunicorn.socket")  # gunicorn's eventlet worker
        if sock is None:
            return None
        handler = environ.get(HANDLER_KEY)
        if handler is not None:
            # Our protocol (under socketio.run) lets go of the request's
            # buffered reader (8 KiB) while the websocket holds the connection.
            handler.rfile = io.BytesIO()
            if request_input is not None:
                request_input.rfile = handler.rfile
        eventlet.wsgi.WSGI_LOCAL.already_handled = True
        set_idle = environ.get("eventlet.set_idle")
        if set_idle is not None:
            set_idle()
        return TakenSocket(sock)

    def serve(
        self,
        app: WSGICallable,
        host: str,
        port: int,
        *,
        use_reloader: bool = False,
        reloader_options: dict[str, Any] | None = None,
        log_output: bool = True,
        started: Started | None = None,
        max_size: int = DEFAULT_MAX_CONNECTIONS,
        backlog: int = DEFAULT_BACKLOG,
        **options: Any,
    ) -> None:
        """Serve with eventlet's WSGI server.

        `max_size` caps the connections held at once (eventlet's default is
        1024), `backlog` the connections waiting to be accepted. SSL options
        (``certfile``, ``keyfile``, ``ca_certs``, ``cert_reqs``,
        ``ssl_version``, ``ciphers``, ...) wrap the listening socket; the other
        options go to ``eventlet.wsgi.server``. Once listening, `started` gets
        the function that stops the server: it stops accepting and returns
        once the requests in progress have ended (disconnect the clients
        first for pending long-polls to end at once).
        """
        self.warn_serving_unpatched()
        ssl_args = ssl_options(options)
        # eventlet's own default sends the traceback of a failing request to the client.
        options.setdefault("debug", False)

        def run() -> None:
            address = green_socket.getaddrinfo(host, port)[0]
            listener = eventlet.listen(address[4], address[0], backlog=backlog)
            no_delay(listener)
            if ssl_args:
                listener = eventlet.wrap_ssl(listener, server_side=True, **ssl_args)
            options.setdefault("protocol", HttpProtocol)
            server = eventlet.spawn(
                eventlet.wsgi.server,
                listener,
                app,
                log_output=log_output,
                max_size=max_size,
                **options,
            )
            if started is not None:
                started(server.kill)
            try:
                server.wait()
            except GreenletExit:
                pass  # stopped

        run_maybe_reloading(run, use_reloader, reloader_options)


if TYPE_CHECKING:  # the class implements the driver protocol
    _checked: DriverProtocol = Driver()
