"""The gevent async mode: greenlets and gevent's pywsgi server.

Websockets work three ways, all ending in our own framing (websockets' sans-I/O layer) on the
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

import io
import ssl
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import gevent
import gevent.ssl
from gevent import monkey, pywsgi
from gevent.event import Event
from gevent.lock import Semaphore

from .._types import Environ, WSGICallable
from . import Driver as DriverProtocol
from . import Started, TakenSocket
from ._green import GreenDriver, log_failure, no_delay, run_job, run_maybe_reloading, ssl_options
from .headers import read_headers

#: Where `WSGIHandler` puts the client's socket in the environ.
SOCKET_KEY = "flask_socketio.socket"
#: Set in the environ once the socket was taken over for a websocket.
TAKEN_KEY = "flask_socketio.socket_taken"
#: Where `WSGIHandler` puts itself in the environ.
HANDLER_KEY = "flask_socketio.handler"


class Task:
    """A running greenlet; ``join()`` waits for it to end."""

    def __init__(self, greenlet: gevent.Greenlet) -> None:
        self._greenlet = greenlet

    def join(self, timeout: float | None = None) -> None:
        self._greenlet.join(timeout)

    def is_alive(self) -> bool:
        return not self._greenlet.dead


class Driver(GreenDriver):
    """Greenlets of gevent; ``socketio.run()`` serves with gevent's pywsgi."""

    name = "gevent"
    patch_call = "gevent.monkey.patch_all()"
    Event = Event
    Lock = Semaphore
    monotonic = staticmethod(time.monotonic)
    sleep = staticmethod(gevent.sleep)

    def spawn(self, target: Callable[..., object], *args: Any, **kwargs: Any) -> Task:
        """Run `target` in a new greenlet; returns it (``join()``)."""
        return Task(gevent.spawn(log_failure, target, *args, **kwargs))

    def submit(self, job: Callable[[], object]) -> None:
        """Run a short job in a greenlet of its own (they cost next to nothing)."""
        gevent.spawn_raw(run_job, job)

    def is_patched(self) -> bool:
        return bool(monkey.is_module_patched("socket") and monkey.is_module_patched("threading"))

    def nonblocking_send(self, sock: Any) -> Callable[[bytes], int] | None:
        if isinstance(sock, (ssl.SSLSocket, gevent.ssl.SSLSocket)):
            return None
        # The green socket's own socket is non-blocking: what gevent's send()
        # does with a timeout of 0, without its layers.
        raw = getattr(sock, "_sock", None)
        if raw is not None:
            send: Callable[[bytes], int] = raw.send
            return send

        def send_now(data: bytes) -> int:
            return int(sock.send(data, 0, 0.0))  # gevent's timeout 0: never waits

        return send_now

    def take_socket(self, environ: Environ) -> TakenSocket | None:
        """The client's socket: adopted from gevent-websocket's handler, which
        answered the upgrade already; else given by pywsgi with `WSGIHandler`,
        or by gunicorn's gevent workers (``gevent``: gunicorn's own HTTP
        parser; ``gevent_pywsgi``: pywsgi)."""
        adopted = environ.get("wsgi.websocket")
        if adopted is not None:
            # gevent-websocket sent the 101 already; its object must not send a
            # close frame of its own once we are done.
            adopted.closed = True
            return TakenSocket(adopted.handler.socket, upgraded=True)
        sock = (
            environ.get(SOCKET_KEY)
            or environ.get("gunicorn.socket")
            or environ.get("gunicorn.sock")
        )
        if sock is None:
            return None
        environ[TAKEN_KEY] = True
        handler = environ.get(HANDLER_KEY)
        if handler is not None:
            handler.release_input(environ)
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
        **options: Any,
    ) -> None:
        """Serve with gevent's pywsgi server.

        SSL options (``certfile``, ``keyfile``, ``ca_certs``, ``ssl_context``,
        ...) and the other options go to ``gevent.pywsgi.WSGIServer``;
        ``handler_class`` replaces `WSGIHandler` (gevent-websocket's
        ``WebSocketHandler`` works too; either answers ``Connection: close``
        when it closes, see `AnswersConnectionClose`). Once listening, `started` gets the
        function that stops the server: it stops accepting, gives the open
        connections a second to end, and `serve` returns.
        """
        self.warn_serving_unpatched()
        ssl_args = ssl_options(options)  # without server_side and unset ones
        options = {**options, **ssl_args}
        options["handler_class"] = answering_connection_close(
            options.get("handler_class", WSGIHandler)
        )
        options.setdefault("backlog", 2048)  # gevent's default of 256 drops reconnect bursts

        def run() -> None:
            server = pywsgi.WSGIServer(
                (host, port), app, log="default" if log_output else None, **options
            )
            server.init_socket()
            no_delay(server.socket)  # pywsgi writes headers and body separately
            server.start()
            if started is not None:
                started(server.stop)
            server.serve_forever()

        run_maybe_reloading(run, use_reloader, reloader_options)


class AnswersConnectionClose:
    """A pywsgi handler mixin: when the handler will close the connection
    after this response (the client asked with ``Connection: close``), the
    response says so. pywsgi honours the client's header without sending it
    back, and a keep-alive client (Node's agent) then reuses a dead socket
    ("socket hang up").

    >>> from geventwebsocket.handler import WebSocketHandler  # doctest: +SKIP
    >>> class Handler(AnswersConnectionClose, WebSocketHandler):  # doctest: +SKIP
    ...     pass
    """

    close_connection: bool
    connection_upgraded: bool
    request_version: str
    response_headers: list[tuple[Any, Any]]

    def finalize_headers(self) -> None:
        super().finalize_headers()  # type: ignore[misc]
        if (
            self.close_connection
            and not self.connection_upgraded
            and self.request_version != "HTTP/1.0"  # pywsgi answers that one itself
            and not any(
                (name.decode("latin-1") if isinstance(name, bytes) else name).lower()
                == "connection"
                for name, _ in self.response_headers
            )
        ):
            self.response_headers.append((b"Connection", b"close"))


def answering_connection_close(handler_class: type) -> type:
    """`handler_class` with `AnswersConnectionClose` mixed in (if it is not yet)."""
    if issubclass(handler_class, AnswersConnectionClose):
        return handler_class
    return type(handler_class.__name__, (AnswersConnectionClose, handler_class), {})


class WSGIHandler(AnswersConnectionClose, pywsgi.WSGIHandler):  # type: ignore[misc]
    """pywsgi's request handler, handing the application the client's socket."""

    def MessageClass(self, rfile: Any, *args: Any) -> Any:  # noqa: N802 - pywsgi's name
        # The standard library's parser (pywsgi's) costs ~30 µs a request,
        # and reports more than 100 headers with a traceback as if the server
        # failed; this one is a few µs, and its ValueError is a 400 and a line.
        return read_headers(rfile)

    def get_environ(self) -> dict[str, Any]:
        environ: dict[str, Any] = super().get_environ()
        environ[SOCKET_KEY] = self.socket
        environ[HANDLER_KEY] = self
        return environ

    def release_input(self, environ: dict[str, Any]) -> None:
        """Let go of the request's buffered reader (8 KiB) for as long as a
        websocket holds the connection: the HTTP part of it is over."""
        self.rfile = io.BytesIO()
        self.wsgi_input = environ["wsgi.input"] = pywsgi.Input(self.rfile, 0)

    def process_result(self) -> None:
        if self.environ.get(TAKEN_KEY):
            # A websocket ran on the socket: no HTTP response follows it.
            self.close_connection = True
            return
        super().process_result()


if TYPE_CHECKING:  # the class implements the driver protocol
    _checked: DriverProtocol = Driver()
