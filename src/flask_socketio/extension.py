"""The Flask integration: `SocketIO`.

It builds the Socket.IO server from the app's options, routes the Socket.IO
path of the app to it, and runs every handler inside the app context and the
request context of its connection, with ``request.sid``, ``request.namespace``
and ``request.event`` set.

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

import functools
import inspect
import logging
import os
import sys
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import flask
from flask import has_request_context
from flask.ctx import RequestContext
from flask.sessions import SessionMixin

from .managers import from_url
from .server import ConnectionRefusedError, Reason, Server, WSGIApp
from .server.server import call_trimmed

if TYPE_CHECKING:
    from .namespace import Namespace
    from .testing import SocketIOTestClient

log = logging.getLogger("flask_socketio")

Handler = Callable[..., Any]

# Options of the Socket.IO server (server/) and of the Engine.IO server (engine/).
SOCKETIO_OPTIONS = frozenset(
    {
        "client_manager",
        "logger",
        "json",
        "async_handlers",
        "always_connect",
        "namespaces",
        "async_mode",
        "engineio_logger",
        "max_attachments",
    }
)
ENGINEIO_OPTIONS = frozenset(
    {
        "ping_interval",
        "ping_timeout",
        "max_http_buffer_size",
        "allow_upgrades",
        "transports",
        "http_compression",
        "compression_threshold",
        "cookie",
        "cors_allowed_origins",
        "cors_credentials",
        "connect_timeout",
        "allow_eio3",
        "max_queue_size",
    }
)
# Options of the extension itself, consumed before the server is built.
EXTENSION_OPTIONS = frozenset({"manage_session", "message_queue", "channel", "path", "resource"})
# Accepted so that existing code runs, with no effect: `binary` only mattered on
# Python 2, `monitor_clients` is always on (one task reaps dead sessions), and
# `serializer` has one value ("default", JSON).
IGNORED_OPTIONS = frozenset({"binary", "monitor_clients", "serializer"})
KNOWN_OPTIONS = SOCKETIO_OPTIONS | ENGINEIO_OPTIONS | EXTENSION_OPTIONS | IGNORED_OPTIONS


def check_options(options: dict[str, Any]) -> None:
    """Refuse options nobody reads, naming them (a typo must not pass silently)."""
    unknown = sorted(set(options) - KNOWN_OPTIONS)
    if unknown:
        raise TypeError(
            f"SocketIO got unknown option(s) {', '.join(map(repr, unknown))}; "
            f"known options: {', '.join(sorted(KNOWN_OPTIONS))}"
        )
    serializer = options.get("serializer", "default")
    if serializer != "default":
        raise ValueError(f"serializer={serializer!r} is not supported; only 'default' (JSON) is")


class _ManagedSession(dict, SessionMixin):  # type: ignore[type-arg]
    """The session of a Socket.IO connection when the extension manages it:
    a copy of the HTTP session at connect time (a "fork")."""


class _SocketIOMiddleware(WSGIApp):
    """Routes the Socket.IO path to the server, everything else to the Flask app,
    and records in the environ which Flask app the connection belongs to."""

    def __init__(
        self,
        socketio: SocketIO,
        server: Server,
        flask_app: flask.Flask,
        socketio_path: str = "socket.io",
    ) -> None:
        self.socketio = socketio
        self.flask_app = flask_app
        super().__init__(server, flask_app.wsgi_app, socketio_path=socketio_path)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        environ = environ.copy()
        environ["flask.app"] = self.flask_app
        return super().__call__(environ, start_response)


class _FlaskSafeJSON:
    """`flask.json` as the ``json`` option: its output depends on the app
    context, so every call gets the app's context."""

    def __init__(self, app: flask.Flask) -> None:
        self.app = app

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        with self.app.app_context():
            return flask.json.dumps(obj, **kwargs)

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        with self.app.app_context():
            return flask.json.loads(s, **kwargs)


def _set_session(ctx: RequestContext, session: SessionMixin) -> None:
    """Make `session` the ``flask.session`` of the request context `ctx`."""
    if "_session" in vars(ctx):  # Flask >= 3.1.3
        ctx._session = session  # type: ignore[attr-defined]
    else:
        ctx.session = session  # type: ignore[misc]


class _EventRequestContext(RequestContext):
    """The request context of a Socket.IO event: that of its connection's request.

    All that differs between the events of one connection is the request
    object and the session, so the first event's context is kept (never
    pushed) as the template of the others: each event gets a shallow copy with
    a new request object, sparing it the binding of the URL map to the
    environ (``create_url_adapter``), the URL matching and, with a session
    already forked, the opening of the session.
    """

    @classmethod
    def for_event(
        cls, app: flask.Flask, environ: dict[str, Any], session: SessionMixin | None = None
    ) -> _EventRequestContext:
        """A fresh context for one event of the connection of `environ`."""
        template = environ.get(_CONTEXT_TEMPLATE)
        if template is None or template.app is not app:
            template = environ[_CONTEXT_TEMPLATE] = cls(app, environ)
        ctx = cls.__new__(cls)
        # A context not yet pushed holds only empty lists as mutable state.
        state = {k: [] if type(v) is list else v for k, v in vars(template).items()}
        request = app.request_class(environ)
        request.json_module = app.json
        if template.url_adapter is None:
            request.routing_exception = template.request.routing_exception
        state["request"] = request
        vars(ctx).update(state)
        if session is not None:
            _set_session(ctx, session)
        return ctx

    def match_request(self) -> None:
        environ = self.request.environ
        match = environ.get("flask_socketio.url_match")
        if match is None:
            super().match_request()
            request = self.request
            match = (request.url_rule, request.view_args, request.routing_exception)
            environ["flask_socketio.url_match"] = match
        self.request.url_rule, self.request.view_args, self.request.routing_exception = match


#: Where a connection's environ keeps the template of its event contexts.
_CONTEXT_TEMPLATE = "flask_socketio.context"


class SocketIO:
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
    :param path: where the Socket.IO server is exposed (``'socket.io'``);
        ``resource`` is an alias.
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
        self.wsgi_server: Any = None
        self.handlers: list[tuple[str, Handler, str]] = []
        self.namespace_handlers: list[Namespace] = []
        self.exception_handlers: dict[str, Handler] = {}
        self.default_exception_handler: Handler | None = None
        self.manage_session = True
        self.message_queue: str | None = None
        self.channel = "flask-socketio"
        self.async_mode: str | None = None
        self.app: flask.Flask | None = None
        self.sockio_mw: _SocketIOMiddleware | None = None
        self._path = "socket.io"
        self._stop_server: Callable[[], None] | None = None
        if app is not None or "message_queue" in kwargs:
            self.init_app(app, **kwargs)
        else:
            check_options(kwargs)
            self.server_options.update(kwargs)

    # -- setup --------------------------------------------------------------

    def init_app(self, app: flask.Flask | None, **kwargs: Any) -> None:
        """Attach to `app` (application factory style), with more options.

        >>> socketio = SocketIO(async_mode="threading")
        >>> app = flask.Flask(__name__)
        >>> socketio.init_app(app, cors_allowed_origins="*")
        >>> app.extensions["socketio"] is socketio
        True
        """
        check_options(kwargs)
        options = {**self.server_options, **kwargs}
        self.manage_session = options.pop("manage_session", self.manage_session)
        self.message_queue = options.pop("message_queue", self.message_queue)
        self.channel = options.pop("channel", self.channel)
        path = options.pop("path", None)
        resource = options.pop("resource", None)
        if path or resource:
            self._path = (path or resource).strip("/") or "socket.io"
        self.server_options = options

        if app is not None:
            if not hasattr(app, "extensions"):
                app.extensions = {}
            app.extensions["socketio"] = self
            self.app = app
        server_kwargs = {k: v for k, v in options.items() if k not in IGNORED_OPTIONS}
        if self.message_queue and "client_manager" not in server_kwargs:
            # Without an app this process only emits (a worker, a script).
            server_kwargs["client_manager"] = from_url(
                self.message_queue, channel=self.channel, write_only=app is None
            )
        if server_kwargs.get("json") is flask.json and app is not None:
            server_kwargs["json"] = _FlaskSafeJSON(app)
        if os.environ.get("FLASK_RUN_FROM_CLI") and server_kwargs.get("async_mode") is None:
            # `flask run` serves with Werkzeug, whatever else is installed.
            server_kwargs["async_mode"] = "threading"
        self.server = Server(**server_kwargs)
        self.async_mode = self.server.async_mode
        for message, handler, namespace in self.handlers:
            self.server.on(message, handler, namespace=namespace)
        for namespace_handler in self.namespace_handlers:
            self.server.register_namespace(namespace_handler)

        if app is not None:
            wsgi_app = app.wsgi_app
            if isinstance(wsgi_app, _SocketIOMiddleware) and wsgi_app.socketio is self:
                wsgi_app = wsgi_app.wsgi_app  # initialized again: replace, do not stack
            app.wsgi_app = wsgi_app  # type: ignore[method-assign]
            self.sockio_mw = _SocketIOMiddleware(self, self.server, app, socketio_path=self._path)
            app.wsgi_app = self.sockio_mw  # type: ignore[method-assign]
            self._register_cli(app)

    @staticmethod
    def _register_cli(app: flask.Flask) -> None:
        # `flask run` itself comes from the "flask.commands" entry point (Flask
        # looks at its own commands before the app's); this serves custom CLI
        # groups built without Flask's default commands.
        from .cli import run

        if "run" not in app.cli.commands:  # type: ignore[attr-defined]
            app.cli.add_command(run)

    # -- registration -------------------------------------------------------

    def on(self, message: str, namespace: str | None = None) -> Callable[[Handler], Handler]:
        """Decorator registering a handler for the event `message`.

        ``'message'`` and ``'json'`` are the unnamed events, ``'connect'`` and
        ``'disconnect'`` the connection events, ``'*'`` any event without a
        handler of its own (the handler gets the event name first), and
        ``namespace='*'`` any namespace. Stackable: it returns the function.

        >>> socketio = SocketIO(flask.Flask(__name__), async_mode="threading")
        >>> @socketio.on("my event", namespace="/chat")
        ... def handle_my_custom_event(json):
        ...     print("received json: " + str(json))
        """
        namespace = namespace or "/"

        def decorator(handler: Handler) -> Handler:
            self._register(message, handler, namespace)
            return handler

        return decorator

    def on_event(self, message: str, handler: Handler, namespace: str | None = None) -> None:
        """Register `handler` for `message`: the non-decorator form of :meth:`on`.

        >>> socketio = SocketIO(flask.Flask(__name__), async_mode="threading")
        >>> def my_function_handler(data):
        ...     pass
        >>> socketio.on_event("my event", my_function_handler, namespace="/test")
        """
        self.on(message, namespace=namespace)(handler)

    def event(self, *args: Any, **kwargs: Any) -> Any:
        """Decorator registering a handler for the event named after the function.

        >>> socketio = SocketIO(flask.Flask(__name__), async_mode="threading")
        >>> @socketio.event
        ... def my_event(data):
        ...     pass
        >>> @socketio.event(namespace="/test")
        ... def my_other_event(data):
        ...     pass
        """
        if len(args) == 1 and not kwargs and callable(args[0]):
            return self.on(args[0].__name__)(args[0])

        def set_handler(handler: Handler) -> Handler:
            return self.on(handler.__name__, *args, **kwargs)(handler)

        return set_handler

    def on_namespace(self, namespace_handler: Namespace) -> None:
        """Register a class-based namespace.

        >>> from flask_socketio import Namespace
        >>> class MyCustomNamespace(Namespace):
        ...     def on_my_event(self, data):
        ...         return data
        >>> socketio = SocketIO(flask.Flask(__name__), async_mode="threading")
        >>> socketio.on_namespace(MyCustomNamespace("/test"))
        """
        from .namespace import Namespace

        if not isinstance(namespace_handler, Namespace):
            raise ValueError("Not a namespace instance.")
        namespace_handler._set_socketio(self)
        self.namespace_handlers.append(namespace_handler)
        if self.server is not None:
            self.server.register_namespace(namespace_handler)

    def on_error(self, namespace: str | None = None) -> Callable[[Handler], Handler]:
        """Decorator registering the error handler of a namespace (``'/'`` by default).

        It gets the exception; its return value becomes the ack of the event.

        >>> socketio = SocketIO(flask.Flask(__name__), async_mode="threading")
        >>> @socketio.on_error("/chat")
        ... def chat_error_handler(e):
        ...     print("An error has occurred: " + str(e))
        """
        if callable(namespace):  # used bare, as @socketio.on_error
            handler = namespace
            self.exception_handlers["/"] = handler
            return handler  # type: ignore[return-value]
        namespace = namespace or "/"

        def decorator(exception_handler: Handler) -> Handler:
            if not callable(exception_handler):
                raise ValueError("exception_handler must be callable")
            self.exception_handlers[namespace] = exception_handler
            return exception_handler

        return decorator

    def on_error_default(self, exception_handler: Handler) -> Handler:
        """Decorator registering the error handler of namespaces without their own.

        >>> socketio = SocketIO(flask.Flask(__name__), async_mode="threading")
        >>> @socketio.on_error_default
        ... def error_handler(e):
        ...     print("An error has occurred: " + str(e))
        """
        if not callable(exception_handler):
            raise ValueError("exception_handler must be callable")
        self.default_exception_handler = exception_handler
        return exception_handler

    def _register(self, message: str, handler: Handler, namespace: str) -> None:
        wrapper = self._server_handler(message, handler, namespace)
        self.handlers.append((message, wrapper, namespace))
        if self.server is not None:
            self.server.on(message, wrapper, namespace=namespace)

    def _server_handler(self, message: str, handler: Handler, namespace: str) -> Handler:
        """Adapt a Flask-style handler to the server's calling convention.

        The server calls ``(sid, *args)``, with the event name first for the
        catch-all event and the namespace next for the catch-all namespace.
        """

        if message != "*" and namespace != "*":

            @functools.wraps(handler)
            def server_handler(sid: str, *args: Any) -> Any:
                return self._handle_event(handler, message, namespace, sid, *args)

            del server_handler.__wrapped__
            return server_handler

        @functools.wraps(handler)
        def server_handler(*args: Any) -> Any:
            event = None
            if message == "*":
                event, *args = args  # type: ignore[assignment]
            real_namespace = namespace
            if namespace == "*":
                real_namespace, *args = args  # type: ignore[assignment]
            sid, *rest = args
            if message == "*":
                rest = [event, *rest]
            return self._handle_event(handler, message, real_namespace, sid, *rest)

        # The server trims the optional `auth`/`reason` by looking at the
        # signature: this wrapper takes whatever it is given.
        del server_handler.__wrapped__
        return server_handler

    # -- sending ------------------------------------------------------------

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
        """
        namespace = namespace or "/"
        to = to if to is not None else room
        if not include_self and not skip_sid:
            skip_sid = self._current_sid(namespace)
        if callback is not None and has_request_context() and hasattr(flask.request, "sid"):
            callback = self._callback_in_context(callback)
        self.server.emit(
            event,
            _data(args),
            to=to,
            skip_sid=skip_sid,
            namespace=namespace,
            callback=callback,
            ignore_queue=ignore_queue,
        )

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
        self.emit(
            "json" if json else "message",
            data,
            namespace=namespace,
            to=to,
            room=room,
            include_self=include_self,
            skip_sid=skip_sid,
            callback=callback,
            ignore_queue=ignore_queue,
        )

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
        target = to if to is not None else room
        return self.server.call(
            event,
            _data(args),
            to=target,
            namespace=namespace or "/",
            timeout=timeout,
            ignore_queue=ignore_queue,
        )

    def close_room(self, room: str, namespace: str | None = None) -> None:
        """Remove every client from `room`.

        >>> socketio = SocketIO(flask.Flask(__name__), async_mode="threading")
        >>> socketio.close_room("lobby", namespace="/chat")
        """
        self.server.close_room(room, namespace or "/")

    def _current_sid(self, namespace: str) -> str | None:
        """The sid on `namespace` of the client whose handler is running, if any."""
        if not has_request_context():
            return None
        sid = getattr(flask.request, "sid", None)
        if sid is None:
            return None
        return self._sid_on(sid, flask.request.namespace, namespace)  # type: ignore[attr-defined]

    def _sid_on(self, sid: str, namespace: str, other: str) -> str | None:
        """The sid that the client with `sid` on `namespace` has on `other`.

        Since protocol v5 each namespace of a connection has its own sid; they
        share the Engine.IO session. None when the client is not on `other`.
        """
        if other == namespace:
            return sid
        manager = self.server.manager
        eio_sid = manager.eio_sid_from_sid(sid, namespace)
        return manager.sid_from_eio_sid(eio_sid, other) if eio_sid else None

    def _callback_in_context(self, callback: Callable[..., Any]) -> Callable[..., Any]:
        """Run an ack callback in the context of the client that emitted."""
        sid = flask.request.sid  # type: ignore[attr-defined]
        namespace = flask.request.namespace  # type: ignore[attr-defined]

        def in_context(*args: Any) -> Any:
            return self._handle_event(callback, None, namespace, sid, *args)

        return in_context

    # -- dispatch -----------------------------------------------------------

    def _handle_event(
        self, handler: Handler, message: str | None, namespace: str, sid: str, *args: Any
    ) -> Any:
        """Call `handler` in the app and request context of its connection."""
        environ = self.server.get_environ(sid, namespace=namespace)
        if not environ:
            log.info("%s: event for an unknown connection on %s ignored", sid, namespace)
            return None
        app = environ.get("flask.app") or self.app
        forked = environ.get("saved_session") if self.manage_session else None
        ctx = _EventRequestContext.for_event(app, environ, forked)
        request: Any = ctx.request
        request.sid = sid
        request.namespace = namespace
        request.event = {"message": message, "args": args}
        with ctx:
            session_obj = ctx.session
            if self.manage_session and forked is None:
                # The first event forks the session Flask opened from the cookie.
                session_obj = environ["saved_session"] = _ManagedSession(session_obj)
                _set_session(ctx, session_obj)
            try:
                if message == "connect":
                    auth = args[1] if len(args) > 1 else None
                    ret = call_trimmed(handler, auth, optional=1)
                elif message == "disconnect":
                    ret = call_trimmed(handler, *args, optional=1)
                else:
                    ret = handler(*args)
            except ConnectionRefusedError:
                raise
            except Exception as exc:
                error_handler = self.exception_handlers.get(
                    namespace, self.default_exception_handler
                )
                if error_handler is None:
                    raise
                return error_handler(exc)
            if not self.manage_session and getattr(session_obj, "modified", True):
                # Flask saves the session into a response; the cookie part of
                # it goes nowhere, a server-side store gets the data.
                response = app.response_class()
                app.session_interface.save_session(app, session_obj, response)
            return ret

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
        allow_unsafe_werkzeug: bool = False,
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
        self._apply_runtime_options(kwargs)
        if self.server.async_mode == "threading" and (not sys.stdin or not sys.stdin.isatty()):
            if not allow_unsafe_werkzeug:
                raise RuntimeError(
                    "The Werkzeug web server is not designed to run in production. Pass "
                    "allow_unsafe_werkzeug=True to the run() method to disable this error."
                )
            log.warning(
                "Werkzeug appears to be used in a production deployment. Consider switching "
                "to a production web server instead."
            )
        self._serve(
            app,
            host,
            port,
            debugger=debug,
            use_reloader=use_reloader,
            reloader_options=reloader_options,
            log_output=log_output,
            **kwargs,
        )

    def _serve(
        self,
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
        """Serve `app` with the server of the async mode: `run` and ``flask run``."""
        if debugger:
            self._insert_debugger(app)
        serve = self.server.driver.serve
        if "started" in inspect.signature(serve).parameters:
            # A driver that can stop its server hands `stop()` the way to.
            web_options["started"] = self._set_stopper
        serve(
            app,
            host,
            port,
            use_reloader=use_reloader,
            reloader_options=reloader_options,
            log_output=log_output,
            **web_options,
        )

    def _set_stopper(self, stop: Callable[[], None]) -> None:
        self._stop_server = stop

    @staticmethod
    def _insert_debugger(app: flask.Flask) -> None:
        """Put Werkzeug's debugger between the Socket.IO middleware and the app,
        so that it sees HTTP routes and never the Socket.IO traffic."""
        from werkzeug.debug import DebuggedApplication

        middleware = app.wsgi_app
        if isinstance(middleware, _SocketIOMiddleware):
            if not isinstance(middleware.wsgi_app, DebuggedApplication):
                middleware.wsgi_app = DebuggedApplication(middleware.wsgi_app, evalex=True)
        elif not isinstance(middleware, DebuggedApplication):
            app.wsgi_app = DebuggedApplication(middleware, evalex=True)  # type: ignore[method-assign]

    def _apply_runtime_options(self, options: dict[str, Any]) -> None:
        """Take the Socket.IO/Engine.IO options out of `options` and apply them.

        The old documentation lets ``run()`` take server options, merged with
        those of the constructor; the rest are web server options.
        """
        given = {key: options.pop(key) for key in list(options) if key in KNOWN_OPTIONS}
        if not given:
            return
        fixed = sorted(set(given) & (EXTENSION_OPTIONS | {"async_mode", "client_manager"}))
        if fixed:
            raise TypeError(
                f"{', '.join(fixed)} cannot change once the server exists: "
                "give it to SocketIO() or init_app()"
            )
        check_options(given)
        self.server_options.update(given)
        eio = self.server.eio
        for key, value in given.items():
            if key == "ping_interval":
                if isinstance(value, (tuple, list)):
                    eio.ping_interval, eio.ping_grace = float(value[0]), float(value[1])
                else:
                    eio.ping_interval, eio.ping_grace = float(value), 0.0
            elif key == "transports":
                eio.transports = tuple(value)
            elif key in ENGINEIO_OPTIONS:
                setattr(eio, key, value)
            elif key == "json" and value is flask.json and self.app is not None:
                self.server.json = _FlaskSafeJSON(self.app)
            elif key not in IGNORED_OPTIONS:
                setattr(self.server, key, value)

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

    def start_background_task(self, target: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
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


def _data(args: tuple[Any, ...]) -> Any:
    """The payload of ``emit(event, *args)``: one argument as is, several as a tuple."""
    if not args:
        return None
    return args[0] if len(args) == 1 else args
