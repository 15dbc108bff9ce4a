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
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import flask

from . import operations, serving
from .drivers import Task
from .flask_context import FlaskSafeJSON
from .managers import PubSubManager, from_url
from .options import server_options, sort_options
from .registry import Registry
from .sending import Sending
from .server import Reason, Server
from .serving import SocketIOMiddleware

if TYPE_CHECKING:
    from .health import HealthCheck
    from .metrics import Metrics
    from .server.admin import AdminUI
    from .testing import SocketIOTestClient

log = logging.getLogger("flask_socketio")


class SocketIO(Registry, Sending):
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
