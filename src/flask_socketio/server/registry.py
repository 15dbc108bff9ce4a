"""Handlers of a Socket.IO server: registering them, and finding and calling
the one for an event (python-socketio's rules, catch-alls included).

>>> registry = HandlerRegistry()
>>> @registry.on("echo")
... def echo(sid, data):
...     return data
>>> registry.handlers["/"]["echo"] is echo
True
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .._types import Handler
from .calling import call_trimmed
from .connection import Connection, ConnectionHandler
from .namespace import Namespace

# What `HandlerRegistry._trigger` returns when no handler took the event: such
# events get no ack, as with python-socketio (a handler returning None acks empty).
NOT_HANDLED: Any = object()

_SPECIAL_EVENTS = ("connect", "disconnect")

#: A handler as `HandlerRegistry.on` takes it: python-socketio style, or one
#: that wants the connection.
AnyHandler = Handler | ConnectionHandler


class HandlerRegistry:
    """The event handlers and class-based namespaces of a server."""

    #: The namespaces clients may join besides those with handlers (``'*'``: any).
    namespaces: list[str] | str | None = None

    def __init__(self) -> None:
        self.handlers: dict[str, dict[str, AnyHandler]] = {}
        self.namespace_handlers: dict[str, Namespace] = {}

    def on(
        self, event: str, handler: AnyHandler | None = None, namespace: str | None = None
    ) -> Any:
        """Register `handler` for `event`; without a handler, return a decorator.

        Connect handlers get ``(sid, environ[, auth])``, disconnect handlers
        ``(sid[, reason])``, event handlers ``(sid, *args)``. The catch-all
        event ``'*'`` gets the event name first; handlers of the catch-all
        namespace ``'*'`` get the namespace first. A `ConnectionHandler` is
        called with the connection instead.
        """
        namespace = namespace or "/"

        def register(fn: AnyHandler) -> AnyHandler:
            self.handlers.setdefault(namespace, {})[event] = fn
            return fn

        return register if handler is None else register(handler)

    def event(self, *args: Any, **kwargs: Any) -> Any:
        """Register a handler named after the function (``@sio.event``)."""
        if len(args) == 1 and not kwargs and callable(args[0]):
            return self.on(args[0].__name__)(args[0])

        def register(fn: Handler) -> Any:
            return self.on(fn.__name__, *args, **kwargs)(fn)

        return register

    def register_namespace(self, namespace_handler: Namespace) -> None:
        """Register a class-based namespace (an instance of `Namespace`)."""
        if not isinstance(namespace_handler, Namespace):
            raise ValueError("not a Namespace instance")
        namespace_handler.server = self  # type: ignore[assignment]
        self.namespace_handlers[namespace_handler.namespace] = namespace_handler

    def _namespace_known(self, namespace: str) -> bool:
        if self.namespaces == "*" or (self.namespaces and namespace in self.namespaces):
            return True
        return (
            namespace in self.handlers
            or namespace in self.namespace_handlers
            or "*" in self.handlers
            or "*" in self.namespace_handlers
            or (namespace == "/" and not self.namespaces)
        )

    def _trigger(
        self,
        conn: Connection,
        event: str,
        namespace: str,
        sid: str,
        args: Sequence[Any],
        optional: int = 0,
    ) -> Any:
        """Call the handler of `event`, python-socketio style; NOT_HANDLED when
        there is none. `optional`: trailing arguments a handler may not take."""
        handlers = self.handlers.get(namespace)
        special = event in _SPECIAL_EVENTS
        if handlers:
            handler = handlers.get(event)
            if handler is not None:
                if isinstance(handler, ConnectionHandler):
                    return handler.call(conn, event, namespace, sid, args)
                if not optional:
                    return handler(sid, *args)
                return call_trimmed(handler, sid, *args, optional=optional)
            handler = handlers.get("*")
            if handler is not None and not special:
                if isinstance(handler, ConnectionHandler):
                    return handler.call(conn, event, namespace, sid, args)
                return handler(event, sid, *args)
        catch_all = self.handlers.get("*")
        if catch_all and namespace not in self.namespace_handlers:
            handler = catch_all.get(event)
            if handler is not None:
                if isinstance(handler, ConnectionHandler):
                    return handler.call(conn, event, namespace, sid, args)
                return call_trimmed(handler, namespace, sid, *args, optional=optional)
            handler = catch_all.get("*")
            if handler is not None and not special:
                if isinstance(handler, ConnectionHandler):
                    return handler.call(conn, event, namespace, sid, args)
                return handler(event, namespace, sid, *args)
        ns_handler = self.namespace_handlers.get(namespace)
        if ns_handler is not None:
            return ns_handler.trigger_event(event, sid, *args)
        ns_handler = self.namespace_handlers.get("*")
        if ns_handler is not None:
            return ns_handler.trigger_event(event, namespace, sid, *args)
        return NOT_HANDLED
