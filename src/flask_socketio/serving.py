"""Serving a Flask app with Socket.IO: ``socketio.run()`` and ``flask run``.

Each async mode's driver brings its web server (Werkzeug in threading mode,
eventlet's and gevent's own); this module sets up what every mode shares:
the defaults of `run`, the debugger, the guard against Werkzeug in
production, and the way `SocketIO.stop` reaches the running server.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import flask

from ._types import Environ, StartResponse
from .flask_context import FlaskSafeJSON
from .options import FIXED_OPTIONS, KNOWN_OPTIONS, server_options, sort_options
from .server import WSGIApp

if TYPE_CHECKING:
    from .extension import SocketIO

log = logging.getLogger("flask_socketio")


class SocketIOMiddleware(WSGIApp):
    """Routes the Socket.IO path to the server, everything else to the Flask app,
    and records in the environ which Flask app the connection belongs to."""

    def __init__(
        self, socketio: SocketIO, flask_app: flask.Flask, socketio_path: str = "socket.io"
    ) -> None:
        self.socketio = socketio
        self.flask_app = flask_app
        super().__init__(socketio.server, flask_app.wsgi_app, socketio_path=socketio_path)

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        # Not a copy: a Socket.IO connection keeps the environ of the request
        # that opened it for as long as it lives.
        environ["flask.app"] = self.flask_app
        return super().__call__(environ, start_response)


def run(
    socketio: SocketIO,
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
    **options: Any,
) -> None:
    """`SocketIO.run`: fill in the defaults (those given to the constructor
    first), apply the Socket.IO options among `options`, refuse Werkzeug in
    production unless allowed, then serve."""
    defaults = socketio.run_defaults
    if debug is None:
        debug = defaults.get("debug")
    if use_reloader is None:
        use_reloader = defaults.get("use_reloader")
    if reloader_options is None:
        reloader_options = defaults.get("reloader_options")
    if extra_files is None:
        extra_files = defaults.get("extra_files")
    if log_output is None:
        log_output = defaults.get("log_output")
    if allow_unsafe_werkzeug is None:
        allow_unsafe_werkzeug = bool(defaults.get("allow_unsafe_werkzeug", False))
    if host is None:
        host = "127.0.0.1"
    if port is None:
        server_name = app.config.get("SERVER_NAME") or ""
        port = int(server_name.rsplit(":", 1)[1]) if ":" in server_name else 5000
    if debug is None:
        debug = app.debug
    if log_output is None:
        log_output = debug
    if use_reloader is None:
        use_reloader = debug
    reloader_options = dict(reloader_options or {})
    if extra_files:
        reloader_options["extra_files"] = extra_files
    app.debug = debug
    web_options = configure(socketio, options)
    if socketio.server.async_mode == "threading" and (not sys.stdin or not sys.stdin.isatty()):
        if not allow_unsafe_werkzeug:
            raise RuntimeError(
                "The Werkzeug web server is not designed to run in production. Pass "
                "allow_unsafe_werkzeug=True to the run() method to disable this error."
            )
        log.warning(
            "Werkzeug appears to be used in a production deployment. Consider switching "
            "to a production web server instead."
        )
    serve(
        socketio,
        app,
        host,
        port,
        debugger=debug,
        use_reloader=use_reloader,
        reloader_options=reloader_options,
        log_output=log_output,
        **web_options,
    )


def configure(socketio: SocketIO, options: dict[str, Any]) -> dict[str, Any]:
    """Apply the Socket.IO and Engine.IO options among `options` to the
    running server, as ``run(app, **options)`` allows, and return the others
    (the web server's)."""
    given = {key: options[key] for key in options if key in KNOWN_OPTIONS}
    if not given:
        return options
    fixed = sorted(set(given) & FIXED_OPTIONS)
    if fixed:
        raise TypeError(
            f"{', '.join(fixed)} cannot change once the server exists: "
            "give it to SocketIO() or init_app()"
        )
    sort_options(given)  # checks the values too
    socketio.server_options.update(given)
    changes = server_options(given)
    if changes.get("json") is flask.json and socketio.app is not None:
        changes["json"] = FlaskSafeJSON(socketio.app)
    socketio.server.configure(**changes)
    return {key: value for key, value in options.items() if key not in given}


def serve(
    socketio: SocketIO,
    app: flask.Flask,
    host: str,
    port: int,
    *,
    debugger: bool = False,
    use_reloader: bool = False,
    reloader_options: dict[str, Any] | None = None,
    log_output: bool = True,
    **web_options: Any,
) -> None:
    """Serve `app` with the web server of `socketio`'s async mode until it is
    stopped (`SocketIO.stop`) or interrupted."""
    if debugger:
        insert_debugger(app)
    socketio.server.driver.serve(
        app,
        host,
        port,
        use_reloader=use_reloader,
        reloader_options=reloader_options,
        log_output=log_output,
        started=socketio.set_stopper,
        **web_options,
    )


def insert_debugger(app: flask.Flask) -> None:
    """Put Werkzeug's debugger between the Socket.IO middleware and the app,
    so that it sees HTTP routes and never the Socket.IO traffic."""
    from werkzeug.debug import DebuggedApplication

    middleware = app.wsgi_app
    if isinstance(middleware, SocketIOMiddleware):
        inner = middleware.wsgi_app
        if inner is not None and not isinstance(inner, DebuggedApplication):
            middleware.wsgi_app = DebuggedApplication(inner, evalex=True)
    elif not isinstance(middleware, DebuggedApplication):
        app.wsgi_app = DebuggedApplication(middleware, evalex=True)  # type: ignore[method-assign]
