"""Handlers in the Flask context: every Socket.IO event runs inside the app
context and the request context of its connection, with ``request.sid``,
``request.namespace`` and ``request.event`` set, and the user session of
the connection.

Flask's request context is built for one HTTP request; a Socket.IO
connection lives on after it. What this module does with Flask's internals
(copying a request context, setting its session) is kept here, in one place.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import flask
from flask import has_request_context
from flask.ctx import RequestContext
from flask.sessions import SessionMixin
from flask.wrappers import Request

from ._types import Environ, Handler
from .server import Connection, ConnectionHandler, ConnectionRefusedError
from .server.calling import call_trimmed

if TYPE_CHECKING:
    from .extension import SocketIO

log = logging.getLogger("flask_socketio")


class ManagedSession(dict, SessionMixin):  # type: ignore[type-arg]
    """The session of a Socket.IO connection when the extension manages it:
    a copy of the HTTP session at connect time (a "fork")."""


class FlaskSafeJSON:
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


def set_session(ctx: RequestContext, session: SessionMixin) -> None:
    """Make `session` the ``flask.session`` of the request context `ctx`."""
    state = vars(ctx)
    # Flask 3.1.3 made ``session`` a property over ``_session``.
    state["_session" if "_session" in state else "session"] = session


class FlaskConnection:
    """What the extension keeps per connection: its app, the template of its
    event contexts, the result of matching its URL, and its forked session."""

    __slots__ = ("app", "request", "values", "lists", "url_match", "session")

    def __init__(self, app: flask.Flask) -> None:
        self.app = app
        #: The first event's request object, which the others' copy.
        self.request: Request | None = None
        #: The template's attributes but its lists, and the names of those
        #: (the mutable state of a context, made anew for each event).
        self.values: dict[str, Any] = {}
        self.lists: tuple[str, ...] = ()
        self.url_match: tuple[Any, Any, Any] | None = None
        self.session: ManagedSession | None = None


class EventRequestContext(RequestContext):
    """The request context of a Socket.IO event: that of its connection's request.

    All that differs between the events of one connection is the request
    object and the session, so the first event's context is kept (never
    pushed) as the template of the others: each event gets a shallow copy with
    a new request object, sparing it the binding of the URL map to the
    environ (``create_url_adapter``), the URL matching and, with a session
    already forked, the opening of the session.
    """

    connection: FlaskConnection

    @classmethod
    def for_event(
        cls, state: FlaskConnection, environ: Environ, session: SessionMixin | None = None
    ) -> EventRequestContext:
        """A fresh context for one event of the connection `state`."""
        first = state.request
        if first is None:
            # The first event's context, never pushed, is the template of all:
            # what it holds is kept (its attributes), not the context itself.
            template = cls.__new__(cls)
            template.connection = state
            RequestContext.__init__(template, state.app, environ)
            attributes = vars(template)
            state.lists = tuple(k for k, v in attributes.items() if type(v) is list)
            state.values = {k: v for k, v in attributes.items() if k not in state.lists}
            first = state.request = template.request
        ctx = cls.__new__(cls)
        values = vars(ctx)
        values.update(state.values)
        # A context not yet pushed holds only empty lists as mutable state.
        for name in state.lists:
            values[name] = []
        # A new request object, as a shallow copy of the template's (never
        # pushed, so never touched by handlers): what it parsed from the
        # environ is not parsed again, and no attribute an earlier event set
        # on its request is seen by this one.
        request = object.__new__(type(first))
        vars(request).update(vars(first))
        values["request"] = request
        if session is not None:
            set_session(ctx, session)
        return ctx

    def copy(self) -> EventRequestContext:
        """A copy for another task (``flask.copy_current_request_context``)."""
        ctx = super().copy()
        assert isinstance(ctx, EventRequestContext)
        ctx.connection = self.connection
        return ctx

    def match_request(self) -> None:
        state = self.connection
        request = self.request
        if state.url_match is None:
            super().match_request()
            state.url_match = (request.url_rule, request.view_args, request.routing_exception)
        request.url_rule, request.view_args, request.routing_exception = state.url_match


class EventDispatcher:
    """Runs handlers of a `SocketIO` in the Flask context of their connection,
    and routes what they raise to its error handlers."""

    def __init__(self, socketio: SocketIO) -> None:
        self.socketio = socketio

    def handle(
        self,
        conn: Connection | None,
        handler: Handler,
        message: str | None,
        namespace: str,
        sid: str,
        args: Sequence[Any],
    ) -> Any:
        """Call `handler` for the event `message` of client `sid` in the app and
        request context of its connection (`conn`; looked up when None)."""
        socketio = self.socketio
        if conn is None:
            conn = socketio.server.connection(sid, namespace)
            if conn is None:
                log.info("%s: event for an unknown connection on %s ignored", sid, namespace)
                return None
        environ = conn.environ
        state = conn.app_state
        if state is None:
            app = environ.get("flask.app") or socketio.app
            if app is None:
                raise RuntimeError("a Socket.IO event for a SocketIO without a Flask app")
            state = conn.app_state = FlaskConnection(app)
            previous = conn.recovered_from(namespace)
            if previous is not None and isinstance(previous.app_state, FlaskConnection):
                state.session = previous.app_state.session  # it came back: its session too
            else:
                carried = getattr(previous, "flask_session", None)
                if isinstance(carried, dict):
                    # It came back from another process, with its session's data.
                    state.session = ManagedSession(carried)
        manage_session = socketio.manage_session
        forked = state.session if manage_session else None
        ctx = EventRequestContext.for_event(state, environ, forked)
        request: Any = ctx.request
        request.sid = sid
        request.namespace = namespace
        request.recovered = conn.recovery is not None and namespace in conn.recovery.previous
        request.event = {"message": message, "args": tuple(args)}
        with ctx:
            session_obj = ctx.session
            if manage_session and forked is None:
                # The first event forks the session Flask opened from the cookie.
                session_obj = state.session = ManagedSession(session_obj)
                set_session(ctx, session_obj)
                # Where Flask-SocketIO keeps it, and applications read it.
                environ["saved_session"] = session_obj
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
                error_handler = socketio.exception_handlers.get(
                    namespace, socketio.default_exception_handler
                )
                if error_handler is None:
                    raise
                return error_handler(exc)
            if not manage_session and getattr(session_obj, "modified", True):
                # Flask saves the session into a response; the cookie part of
                # it goes nowhere, a server-side store gets the data.
                app = state.app
                response = app.response_class()
                app.session_interface.save_session(app, session_obj, response)
            return ret

    def callback_in_context(self, callback: Callable[..., Any]) -> Callable[..., Any]:
        """`callback` (an ack callback), made to run in the context of the
        client whose handler is running, if one is."""
        if not has_request_context():
            return callback
        sid = getattr(flask.request, "sid", None)
        if sid is None:
            return callback
        namespace = flask.request.namespace  # type: ignore[attr-defined]

        def in_context(*args: Any) -> Any:
            return self.handle(None, callback, None, namespace, sid, args)

        return in_context


class FlaskHandler(ConnectionHandler):
    """A handler registered with ``@socketio.on``, as the server calls it.

    The catch-all event handler (``'*'``) gets the event name first; the
    catch-all namespace's handlers find the namespace in ``request.namespace``.
    """

    __slots__ = ("dispatcher", "fn", "message")

    def __init__(self, dispatcher: EventDispatcher, fn: Handler, message: str) -> None:
        self.dispatcher = dispatcher
        self.fn = fn
        self.message = message

    def call(
        self, conn: Connection, event: str, namespace: str, sid: str, args: Sequence[Any]
    ) -> Any:
        message = self.message
        if message == "*":
            args = (event, *args)
        return self.dispatcher.handle(conn, self.fn, message, namespace, sid, args)

    def __repr__(self) -> str:
        return f"<FlaskHandler {self.message!r} {self.fn!r}>"
