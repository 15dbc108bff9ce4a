"""The threading async mode: OS threads, a worker pool, Werkzeug or gunicorn."""

from __future__ import annotations

import io
import logging
import os
import queue
import socket
import ssl
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .._types import Environ, WSGICallable
from . import Driver as DriverProtocol
from . import Started, TakenSocket

log = logging.getLogger("flask_socketio")
#: Where the request handler of `Driver.serve` puts itself in the environ.
HANDLER_KEY = "flask_socketio.handler"


class Task:
    """A running background task; ``join()`` waits for it to end."""

    def __init__(self, target: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        self._thread = threading.Thread(target=target, args=args, kwargs=kwargs, daemon=True)
        self._thread.start()

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    def is_alive(self) -> bool:
        return self._thread.is_alive()


class WorkerPool:
    """Runs short jobs on a bounded set of reusable threads.

    Threads are started on demand up to `max_workers` and leave after being
    idle for `idle_timeout` seconds, so an idle server holds none.
    """

    def __init__(self, max_workers: int = 64, idle_timeout: float = 30.0) -> None:
        self.max_workers = max_workers
        self.idle_timeout = idle_timeout
        self._jobs: queue.SimpleQueue[Callable[[], Any]] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._workers = 0
        self._waiting = 0  # workers blocked on the job queue
        self._backlog = 0  # jobs queued and not yet taken

    def submit(self, job: Callable[[], Any]) -> None:
        with self._lock:
            self._backlog += 1
            start = self._backlog > self._waiting and self._workers < self.max_workers
            self._workers += start
        self._jobs.put(job)
        if start:
            threading.Thread(target=self._work, daemon=True, name="socketio-worker").start()

    def _work(self) -> None:
        while True:
            with self._lock:
                self._waiting += 1
            try:
                job = self._jobs.get(timeout=self.idle_timeout)
            except queue.Empty:
                with self._lock:
                    self._waiting -= 1
                    if self._backlog <= self._waiting:
                        self._workers -= 1
                        return
                continue
            with self._lock:
                self._waiting -= 1
                self._backlog -= 1
            try:
                job()
            except Exception:  # a job must never kill its worker
                log.exception("unhandled error in a worker job")


class _Responses:
    """Counts the HTTP responses in progress (websockets aside), so that a
    stopping server lets them finish, the one that asked to stop among them:
    Werkzeug's request threads are daemons, gone when the process exits."""

    def __init__(self) -> None:
        self.count = 0
        self.idle = threading.Condition()

    def counting(self, handler_class: type) -> type:
        """A subclass of Werkzeug's request handler `handler_class` that counts.

        Counting in the handler rather than in a WSGI wrapper keeps the call
        into the app as shallow as before: a wrapper object's ``__call__``
        costs every websocket thread a page more of resident stack.
        """
        responses = self

        class CountingRequestHandler(handler_class):  # type: ignore[misc]
            def make_environ(self) -> dict[str, Any]:
                environ: dict[str, Any] = super().make_environ()
                environ[HANDLER_KEY] = self
                return environ

            def run_wsgi(self) -> None:
                if self.headers.get("Upgrade", "").lower() == "websocket":
                    super().run_wsgi()
                    return
                with responses.idle:
                    responses.count += 1
                try:
                    super().run_wsgi()
                finally:
                    with responses.idle:
                        responses.count -= 1
                        if not responses.count:
                            responses.idle.notify_all()

        return CountingRequestHandler

    def wait(self, timeout: float) -> None:
        with self.idle:
            self.idle.wait_for(lambda: not self.count, timeout)


class Driver:
    """OS threads: background tasks get a daemon thread each, short jobs
    (event handlers) a bounded pool, and ``socketio.run()`` Werkzeug."""

    name = "threading"

    def __init__(self, max_workers: int = 64) -> None:
        self._pool = WorkerPool(max_workers)

    Event = threading.Event
    Lock = staticmethod(threading.Lock)
    monotonic = staticmethod(time.monotonic)

    @staticmethod
    def sleep(seconds: float = 0) -> None:
        time.sleep(seconds)

    def spawn(self, target: Callable[..., object], *args: Any, **kwargs: Any) -> Task:
        """Run `target` in a new daemon thread (long-lived work: background tasks)."""
        return Task(target, *args, **kwargs)

    def submit(self, job: Callable[[], object]) -> None:
        """Run a short job on the worker pool."""
        self._pool.submit(job)

    def warn_unpatched(self, what: str) -> None:
        """Threads need no monkey patching: nothing to warn about."""

    def nonblocking_send(self, sock: Any) -> Callable[[bytes], int] | None:
        if isinstance(sock, ssl.SSLSocket):
            return None
        send = sock.send
        flags = socket.MSG_DONTWAIT

        def send_now(data: bytes) -> int:
            return int(send(data, flags))

        return send_now

    def take_socket(self, environ: Environ) -> TakenSocket | None:
        """The client's socket under a threaded WSGI server (Werkzeug, gunicorn)."""
        sock = environ.get("werkzeug.socket") or environ.get("gunicorn.socket")
        if sock is None:
            return None
        handler = environ.get(HANDLER_KEY)
        if handler is not None:
            # Werkzeug's request handler (ours, under socketio.run) lets go of
            # its buffered reader (8 KiB) while the websocket holds the
            # connection, and ends the connection after it.
            handler.rfile = environ["wsgi.input"] = io.BytesIO()
            handler.close_connection = True
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
        certfile: str | None = None,
        keyfile: str | None = None,
        **options: Any,
    ) -> None:
        """Serve with Werkzeug's threaded development server (websocket included).

        Works like ``werkzeug.serving.run_simple``, and in addition hands
        `started` a function that stops the server (``SocketIO.stop()``).
        Without `log_output` the request lines are not logged; the startup
        banner is. ``certfile``/``keyfile`` (the eventlet/gevent spelling)
        become ``ssl_context``.
        """
        from werkzeug._internal import _log
        from werkzeug.serving import WSGIRequestHandler, is_running_from_reloader, make_server

        class QuietRequestHandler(WSGIRequestHandler):
            """Logs errors, not every request (``log_output=False``)."""

            def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
                pass

        if certfile:
            options.setdefault("ssl_context", (certfile, keyfile))
        if "request_handler" not in options:
            options["request_handler"] = WSGIRequestHandler if log_output else QuietRequestHandler
        responses = _Responses()
        options["request_handler"] = responses.counting(options["request_handler"])
        reloaded = is_running_from_reloader()
        inherited = os.environ.get("WERKZEUG_SERVER_FD") if reloaded else None
        fd = int(inherited) if inherited else None
        server = make_server(host, port, app, threaded=True, fd=fd, **options)
        # The reloader's child process inherits the listening socket.
        server.socket.set_inheritable(True)
        os.environ["WERKZEUG_SERVER_FD"] = str(server.fileno())
        if not reloaded:
            server.log_startup()
            _log("info", " * Press CTRL+C to quit")
        stopping = threading.Event()
        if started is not None:

            def stop() -> None:
                stopping.set()
                # shutdown() waits for serve_forever() to notice; never block the caller.
                self.spawn(server.shutdown)

            started(stop)
        try:
            if use_reloader:
                from werkzeug._reloader import run_with_reloader

                run_with_reloader(server.serve_forever, **(reloader_options or {}))
            else:
                server.serve_forever()
        finally:
            server.server_close()
            if stopping.is_set():  # not on Ctrl+C: long-polling requests may still be open
                responses.wait(timeout=5.0)


if TYPE_CHECKING:  # the class implements the driver protocol
    _checked: DriverProtocol = Driver()
