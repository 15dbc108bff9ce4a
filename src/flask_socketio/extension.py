"""The Flask integration: `SocketIO`, the facade of the package.

It builds the Socket.IO server from the app's options, routes the Socket.IO
path of the app to it, and registers handlers that run inside the app
context and the request context of their connection (see `flask_context`).
Serving lives in `serving`, the option tables in `options`.

>>> from flask import Flask
>>> app = Flask(__name__)
>>> socketio = SocketIO(app, async_mode="threading")
>>> @socketio.on("echo")
... def echo(data):
...     return data
>>> client = socketio.test_client(app)
>>> client.emit("echo", {"hello": "world"}, callback=True)
{'hello': 'world'}
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import flask
from flask import has_request_context

from . import operations, serving
from .drivers import Task
from .flask_context import FlaskSafeJSON
from .managers import PubSubManager, Target, from_url, to_args
from .options import server_options, sort_options
from .registry import Registry
from .server import Acks, Reason, Server
from .serving import SocketIOMiddleware

if TYPE_CHECKING:
    from .health import HealthCheck
    from .metrics import Metrics
    from .server.admin import AdminUI
    from .testing import SocketIOTestClient

log = logging.getLogger("flask_socketio")


def event_args(args: tuple[Any, ...]) -> list[Any]:
    """The arguments of ``emit(event, *args)``: one tuple argument is several."""
    return to_args(args[0]) if len(args) == 1 else list(args)


class SocketIO(Registry):
    """Socket.IO for a Flask application.

    >>> app = flask.Flask(__name__)
    >>> socketio = SocketIO(app, async_mode="threading", cors_allowed_origins="*")

    or, with an application factory::

        socketio = SocketIO()

        def create_app():
            app = Flask(__name__)
            socketio.init_app(app)
            return app

    :param app: the Flask application; without it, call :meth:`init_app` later.
    :param manage_session: ``True`` (the default) gives Socket.IO handlers a copy
        of the user session taken at connect time; ``False`` lets Flask's session
        interface load and save it on every event, which shares server-side
        sessions (Flask-Session) both ways with HTTP routes.
    :param message_queue: URL of the message queue (``redis://``, ``amqp://``, any
        Kombu URL) through which several server processes, and processes that
        only emit (``SocketIO(message_queue=...)`` without an app), reach every
        client.
    :param channel: the channel name on the message queue (``'flask-socketio'``).
    :param message_queue_options: a dict of options of the message-queue
        manager: ``buffer_size`` (10,000 messages kept while the broker is
        away) and ``buffer_full`` (``'drop-oldest'`` or ``'drop-newest'``),
        ``redis_options``, Kombu's ``connection_options`` ... (docs/api.md).
    :param path: where the Socket.IO server is exposed (``'socket.io'``);
        ``resource`` is an alias.
    :param admin_ui: serve the Socket.IO Admin UI: a dict of the options of
        ``socketio.server.instrument()``, ``auth`` required (docs/operations.md).
    :param metrics: Prometheus metrics: ``True`` (on ``/metrics``), a path, or
        a dict (``path``, ``port``, ``host``, ``registry``, ...; docs/operations.md).
    :param health_check: ``True`` or a path (``'/healthz'``): readiness there,
        liveness under ``/live``; a dict adds ``checks`` of the application's.
    :param kwargs: Socket.IO options (``client_manager``, ``logger``, ``json`` -
        ``flask.json`` works -, ``async_handlers``, ``always_connect``,
        ``namespaces``, ``engineio_logger``) and Engine.IO options
        (``async_mode``, ``ping_interval``, ``ping_timeout``,
        ``max_http_buffer_size``, ``allow_upgrades``, ``transports``,
        ``http_compression``, ``compression_threshold``, ``cookie``,
        ``cors_allowed_origins``, ``cors_credentials``, ...). An unknown option
        raises TypeError.
    """

    #: Disconnect reasons passed to ``disconnect`` handlers that take one.
    reason = Reason

    def __init__(self, app: flask.Flask | None = None, **kwargs: Any) -> None:
        self.server: Server = None  # type: ignore[assignment]
        self.server_options: dict[str, Any] = {}
        #: Kept for code written for Flask-SocketIO, which never sets it either.
        self.wsgi_server: Any = None
        super().__init__()
        self.manage_session = True
        self.message_queue: str | None = None
        self.channel = "flask-socketio"
        self.message_queue_options: dict[str, Any] = {}
        self.async_mode: str | None = None
        self.app: flask.Flask | None = None
        #: The WSGI middleware installed on the app (Flask-SocketIO's name for it).
        self.sockio_mw: SocketIOMiddleware | None = None
        self.path = "socket.io"
        self._stop_server: Callable[[], None] | None = None
        self._queue_manager: PubSubManager[Any] | None = None
        #: ``run()`` options given to the constructor: ``run()``'s defaults.
        self.run_defaults: dict[str, Any] = {}
        #: The operations options (admin_ui, metrics, health_check) and what
        #: they set up: the admin UI, the metrics, the health check (or None).
        self.operations: dict[str, Any] = {}
        self.admin: AdminUI | None = None
        self.metrics: Metrics | None = None
        self.health: HealthCheck | None = None
        if app is not None or "message_queue" in kwargs:
            self.init_app(app, **kwargs)
        else:
            known, run = sort_options(kwargs)
            self.server_options.update(known)
            self.run_defaults.update(run)

    # -- setup --------------------------------------------------------------

    def init_app(self, app: flask.Flask | None, **kwargs: Any) -> None:
        """Attach to `app` (application factory style), with more options.

        >>> socketio = SocketIO(async_mode="threading")
        >>> app = flask.Flask(__name__)
        >>> socketio.init_app(app, cors_allowed_origins="*")
        >>> app.extensions["socketio"] is socketio
        True
        """
        known, run = sort_options(kwargs)
        self.run_defaults.update(run)
        options = {**self.server_options, **known}
        ours = self._queue_manager
        if ours is not None and options.get("client_manager") is ours:
            del options["client_manager"]  # ours, from message_queue: made anew below
        self.manage_session = options.pop("manage_session", self.manage_session)
        self.message_queue = options.pop("message_queue", self.message_queue)
        self.channel = options.pop("channel", self.channel)
        self.message_queue_options = dict(
            options.pop("message_queue_options", None) or self.message_queue_options
        )
        for key in operations.OPTIONS:
            if key in options:
                self.operations[key] = options.pop(key)
        path = options.pop("path", None) or options.pop("resource", None)
        options.pop("resource", None)
        if path:
            self.path = path.strip("/") or "socket.io"
        self.server_options = options

        if app is not None:
            if not hasattr(app, "extensions"):
                app.extensions = {}
            app.extensions["socketio"] = self
            self.app = app
        server_kwargs = server_options(options)
        if self.message_queue and "client_manager" not in server_kwargs:
            # Without an app this process only emits (a worker, a script).
            self._queue_manager = from_url(
                self.message_queue,
                channel=self.channel,
                write_only=app is None,
                **self.message_queue_options,
            )
            # Where Flask-SocketIO keeps it (applications read it there).
            self.server_options["client_manager"] = self._queue_manager
            server_kwargs["client_manager"] = self._queue_manager
        if server_kwargs.get("json") is flask.json and app is not None:
            server_kwargs["json"] = FlaskSafeJSON(app)
        if os.environ.get("FLASK_RUN_FROM_CLI") and server_kwargs.get("async_mode") is None:
            # `flask run` serves with Werkzeug, whatever else is installed.
            server_kwargs["async_mode"] = "threading"
        self.server = Server(**server_kwargs)
        self.async_mode = self.server.async_mode
        self.install(self.server)

        if app is not None:
            wsgi_app = app.wsgi_app
            if isinstance(wsgi_app, SocketIOMiddleware) and wsgi_app.socketio is self:
                # Initialized again: replace, do not stack.
                app.wsgi_app = wsgi_app.wsgi_app  # type: ignore[assignment,method-assign]
            self.sockio_mw = SocketIOMiddleware(self, app, socketio_path=self.path)
            self.sockio_mw.routes.update(operations.install(self, self.operations))
            app.wsgi_app = self.sockio_mw  # type: ignore[method-assign]
            self._register_cli(app)

    @staticmethod
    def _register_cli(app: flask.Flask) -> None:
        # `flask run` itself comes from the "flask.commands" entry point (Flask
        # looks at its own commands before the app's); this serves custom CLI
        # groups built without Flask's default commands.
        from .cli import run

        if "run" not in app.cli.commands:
            app.cli.add_command(run)

    # -- sending ------------------------------------------------------------

    def target(
        self,
        to: Any = None,
        namespace: str | None = None,
        skip_sid: str | Iterable[str] | None = None,
        include_self: bool = True,
        ignore_queue: bool = False,
    ) -> Target:
        """Whom an emit reaches: `to` (a room, a sid, a list of them; None:
        everyone on the namespace) but `skip_sid`, and, without
        `include_self`, not the client whose handler is running.

        >>> socketio = SocketIO(flask.Flask(__name__), async_mode="threading")
        >>> socketio.target("lobby", namespace="/chat")
        Target(namespace='/chat', rooms=('lobby',), skip=frozenset(), local=False)
        """
        namespace = namespace or "/"
        if not include_self and not skip_sid:
            skip_sid = self.current_sid(namespace)
        return Target.of(namespace, to, skip_sid, ignore_queue)

    def emit_to(
        self,
        target: Target,
        event: str,
        *args: Any,
        callback: Callable[..., Any] | None = None,
        volatile: bool = False,
    ) -> None:
        """Emit `event` to the clients of `target` (see :meth:`target`).

        >>> socketio = SocketIO(flask.Flask(__name__), async_mode="threading")
        >>> socketio.emit_to(socketio.target("lobby"), "news", "hello")
        """
        if callback is not None:
            callback = self.dispatcher.callback_in_context(callback)
        self.server.emit_to(target, event, event_args(args), callback, volatile)

    def emit(
        self,
        event: str,
        *args: Any,
        namespace: str | None = None,
        to: Any = None,
        room: Any = None,
        include_self: bool = True,
        skip_sid: str | Iterable[str] | None = None,
        callback: Callable[..., Any] | None = None,
        ignore_queue: bool = False,
        volatile: bool = False,
    ) -> None:
        """Emit `event` from the server: to everyone on the namespace, a room, or one sid.

        Usable outside any handler (a route, a background task, another thread).
        A tuple as the data is sent as several arguments.

        >>> socketio = SocketIO(flask.Flask(__name__), async_mode="threading")
        >>> socketio.emit("ping event", {"data": 42}, namespace="/chat")

        :param to: a room name, a sid, or a list of them (``room`` is an alias).
        :param include_self: ``False`` skips the client of the current handler.
        :param skip_sid: a sid (or a list) to leave out.
        :param callback: called with the client's ack (one client only).
        :param volatile: a client that does not keep up may miss it (rather
            than be disconnected as a slow consumer); see ``volatile_overflow``.
        """
        target = self.target(
            to if to is not None else room, namespace, skip_sid, include_self, ignore_queue
        )
        self.emit_to(target, event, *args, callback=callback, volatile=volatile)

    def send(
        self,
        data: Any,
        json: bool = False,
        namespace: str | None = None,
        to: Any = None,
        callback: Callable[..., Any] | None = None,
        include_self: bool = True,
        skip_sid: str | Iterable[str] | None = None,
        room: Any = None,
        ignore_queue: bool = False,
    ) -> None:
        """Send an unnamed message (event ``'message'``, or ``'json'`` with `json`).

        >>> socketio = SocketIO(flask.Flask(__name__), async_mode="threading")
        >>> socketio.send("announcement")
        """
        target = self.target(
            to if to is not None else room, namespace, skip_sid, include_self, ignore_queue
        )
        self.emit_to(target, "json" if json else "message", data, callback=callback)

    def call(
        self,
        event: str,
        *args: Any,
        namespace: str | None = None,
        to: Any = None,
        room: Any = None,
        timeout: float = 60,
        ignore_queue: bool = False,
    ) -> Any:
        """Emit to one client and wait for its ack; raises TimeoutError.

        Returns the ack's one argument, or a tuple of several.

        >>> def get_status(sid):  # doctest: +SKIP
        ...     return socketio.call("status", {"verbose": True}, to=sid, timeout=5)
        """
        return self.server.call(
            event,
            tuple(event_args(args)),
            to=to if to is not None else room,
            namespace=namespace or "/",
            timeout=timeout,
            ignore_queue=ignore_queue,
        )

    def emit_with_ack(
        self,
        event: str,
        *args: Any,
        namespace: str | None = None,
        to: Any = None,
        room: Any = None,
        include_self: bool = True,
        skip_sid: str | Iterable[str] | None = None,
        timeout: float = 60,
        callback: Callable[[Acks], Any] | None = None,
    ) -> Acks | None:
        """Emit to several clients (everyone, a room, a list) and collect each
        one's ack until all are in or `timeout` seconds pass (Node's
        ``io.timeout(ms).emitWithAck()``).

        Returns the `Acks`: a mapping of each answering client's sid to its
        ack's arguments, with ``missing`` the sids that did not answer in
        time. With a `callback`, returns at once and calls it with the `Acks`
        (in the calling handler's context, if any).

        >>> socketio = SocketIO(flask.Flask(__name__), async_mode="threading")
        >>> acks = socketio.emit_with_ack("vote", "lunch?", to="lobby", timeout=0.1)
        >>> dict(acks), acks.missing
        ({}, set())
        """
        target = self.target(to if to is not None else room, namespace, skip_sid, include_self)
        if callback is not None:
            callback = self.dispatcher.callback_in_context(callback)
        return self.server.collect_acks(target, event, event_args(args), timeout, callback)

    def close_room(self, room: str, namespace: str | None = None) -> None:
        """Remove every client from `room`.

        >>> socketio = SocketIO(flask.Flask(__name__), async_mode="threading")
        >>> socketio.close_room("lobby", namespace="/chat")
        """
        self.server.close_room(room, namespace or "/")

    def current_sid(self, namespace: str | None = None) -> str | None:
        """The sid on `namespace` of the client whose handler is running, if any.

        Since protocol v5 each namespace of a connection has its own sid;
        None when the client is not on `namespace`, or outside a handler.

        >>> SocketIO(flask.Flask(__name__), async_mode="threading").current_sid() is None
        True
        """
        if not has_request_context():
            return None
        request: Any = flask.request
        sid = getattr(request, "sid", None)
        if sid is None:
            return None
        namespace = namespace or "/"
        if namespace == request.namespace:
            return str(sid)
        conn = self.server.connection(sid, request.namespace)
        return conn.sids.get(namespace) if conn is not None else None

    # -- running ------------------------------------------------------------

    def run(
        self,
        app: flask.Flask,
        host: str | None = None,
        port: int | None = None,
        *,
        debug: bool | None = None,
        use_reloader: bool | None = None,
        reloader_options: dict[str, Any] | None = None,
        extra_files: list[str] | None = None,
        log_output: bool | None = None,
        allow_unsafe_werkzeug: bool | None = None,
        **kwargs: Any,
    ) -> None:
        """Run the web server of the async mode (Werkzeug in threading mode).

        >>> if __name__ == "__main__":  # doctest: +SKIP
        ...     socketio.run(app, host="0.0.0.0", port=5000, debug=True)

        :param host: defaults to 127.0.0.1.
        :param port: defaults to the port of ``SERVER_NAME``, else 5000.
        :param debug: defaults to ``app.debug``; enables the debugger and reloader.
        :param use_reloader: restart when a source file changes (default: `debug`).
        :param reloader_options: options of the Werkzeug reloader (``extra_files``,
            ``exclude_patterns``, ``reloader_type``, ``interval``).
        :param extra_files: more files for the reloader to watch.
        :param log_output: log every request (default: `debug`).
        :param allow_unsafe_werkzeug: Werkzeug is a development server; without
            a terminal (a production deployment) it is refused unless this is True.
        :param kwargs: Socket.IO/Engine.IO options (merged with the constructor's),
            and options of the web server (e.g. ``ssl_context``).
        """
        serving.run(
            self,
            app,
            host,
            port,
            debug=debug,
            use_reloader=use_reloader,
            reloader_options=reloader_options,
            extra_files=extra_files,
            log_output=log_output,
            allow_unsafe_werkzeug=allow_unsafe_werkzeug,
            **kwargs,
        )

    def set_stopper(self, stop: Callable[[], None]) -> None:
        """Called by the web server once it listens, with the way to stop it."""
        self._stop_server = stop

    def stop(self) -> None:
        """Stop the web server started by :meth:`run` (from a route or a handler):
        every client is disconnected, responses in progress finish, and
        :meth:`run` returns.

        >>> @app.route("/shutdown")  # doctest: +SKIP
        ... def shutdown():
        ...     socketio.stop()
        ...     return "stopping"
        """
        if self._stop_server is None:
            raise RuntimeError("Cannot stop unknown web server")
        # Disconnect every client first: long-polling requests end at once.
        self.server.shutdown()
        self._stop_server()

    # -- tasks --------------------------------------------------------------

    def start_background_task(self, target: Callable[..., Any], *args: Any, **kwargs: Any) -> Task:
        """Run `target(*args, **kwargs)` in a thread (or greenlet) of the async mode.

        Returns the task, started; ``join()`` waits for it.

        >>> socketio = SocketIO(flask.Flask(__name__), async_mode="threading")
        >>> task = socketio.start_background_task(print, "working")
        working
        >>> task.join()
        """
        return self.server.start_background_task(target, *args, **kwargs)

    def sleep(self, seconds: float = 0) -> None:
        """Sleep in the way of the async mode (use it in background tasks).

        >>> SocketIO(flask.Flask(__name__), async_mode="threading").sleep(0.01)
        """
        self.server.sleep(seconds)

    # -- testing ------------------------------------------------------------

    def test_client(
        self,
        app: flask.Flask,
        namespace: str | None = None,
        query_string: str | None = None,
        headers: dict[str, str] | None = None,
        auth: dict[str, Any] | None = None,
        flask_test_client: Any = None,
    ) -> SocketIOTestClient:
        """A connected in-process client for unit tests (see `SocketIOTestClient`).

        >>> app = flask.Flask(__name__)
        >>> socketio = SocketIO(app, async_mode="threading")
        >>> client = socketio.test_client(app)
        >>> client.is_connected()
        True
        """
        from .testing import SocketIOTestClient

        return SocketIOTestClient(
            app,
            self,
            namespace=namespace,
            query_string=query_string,
            headers=headers,
            auth=auth,
            flask_test_client=flask_test_client,
        )
