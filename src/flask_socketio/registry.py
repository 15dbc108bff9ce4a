"""Registering handlers: the decorators of `SocketIO` (``@socketio.on`` and
friends), kept apart from serving and sending, as Flask keeps its
``Scaffold`` apart from its ``App``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ._types import Handler
from .flask_context import EventDispatcher, FlaskHandler

if TYPE_CHECKING:
    from .namespace import Namespace
    from .server import Server


class Registry:
    """The handlers, class-based namespaces and error handlers of a `SocketIO`.

    Handlers registered before the server exists (application factories)
    are installed when it is built (`install`).
    """

    server: Server

    def __init__(self) -> None:
        self.handlers: list[tuple[str, Handler, str]] = []
        self.namespace_handlers: list[Namespace] = []
        self.exception_handlers: dict[str, Handler] = {}
        self.default_exception_handler: Handler | None = None
        self.dispatcher = EventDispatcher(self)  # type: ignore[arg-type]

    def install(self, server: Server) -> None:
        """Register everything registered so far with a new `server`."""
        for message, handler, namespace in self.handlers:
            server.on(message, FlaskHandler(self.dispatcher, handler, message), namespace)
        for namespace_handler in self.namespace_handlers:
            server.register_namespace(namespace_handler)

    def on(self, message: str, namespace: str | None = None) -> Callable[[Handler], Handler]:
        """Decorator registering a handler for the event `message`.

        ``'message'`` and ``'json'`` are the unnamed events, ``'connect'`` and
        ``'disconnect'`` the connection events, ``'*'`` any event without a
        handler of its own (the handler gets the event name first), and
        ``namespace='*'`` any namespace. Stackable: it returns the function.

        >>> from flask import Flask
        >>> from flask_socketio import SocketIO
        >>> socketio = SocketIO(Flask(__name__), async_mode="threading")
        >>> @socketio.on("my event", namespace="/chat")
        ... def handle_my_custom_event(json):
        ...     print("received json: " + str(json))
        """
        namespace = namespace or "/"

        def decorator(handler: Handler) -> Handler:
            self.handlers.append((message, handler, namespace))
            if self.server is not None:
                wrapper = FlaskHandler(self.dispatcher, handler, message)
                self.server.on(message, wrapper, namespace)
            return handler

        return decorator

    def on_event(self, message: str, handler: Handler, namespace: str | None = None) -> None:
        """Register `handler` for `message`: the non-decorator form of :meth:`on`.

        >>> from flask import Flask
        >>> from flask_socketio import SocketIO
        >>> socketio = SocketIO(Flask(__name__), async_mode="threading")
        >>> def my_function_handler(data):
        ...     pass
        >>> socketio.on_event("my event", my_function_handler, namespace="/test")
        """
        self.on(message, namespace=namespace)(handler)

    def event(self, *args: Any, **kwargs: Any) -> Any:
        """Decorator registering a handler for the event named after the function.

        >>> from flask import Flask
        >>> from flask_socketio import SocketIO
        >>> socketio = SocketIO(Flask(__name__), async_mode="threading")
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
        >>> from flask import Flask
        >>> from flask_socketio import SocketIO
        >>> socketio = SocketIO(Flask(__name__), async_mode="threading")
        >>> socketio.on_namespace(MyCustomNamespace("/test"))
        """
        from .namespace import Namespace

        if not isinstance(namespace_handler, Namespace):
            raise ValueError("Not a namespace instance.")
        namespace_handler.socketio = self  # type: ignore[assignment]
        self.namespace_handlers.append(namespace_handler)
        if self.server is not None:
            self.server.register_namespace(namespace_handler)

    def on_error(self, namespace: str | Handler | None = None) -> Any:
        """Decorator registering the error handler of a namespace (``'/'`` by default).

        It gets the exception; its return value becomes the ack of the event.

        >>> from flask import Flask
        >>> from flask_socketio import SocketIO
        >>> socketio = SocketIO(Flask(__name__), async_mode="threading")
        >>> @socketio.on_error("/chat")
        ... def chat_error_handler(e):
        ...     print("An error has occurred: " + str(e))
        """
        if callable(namespace):  # used bare, as @socketio.on_error
            handler = namespace
            self.exception_handlers["/"] = handler
            return handler
        namespace = namespace or "/"

        def decorator(exception_handler: Handler) -> Handler:
            if not callable(exception_handler):
                raise ValueError("exception_handler must be callable")
            self.exception_handlers[namespace] = exception_handler
            return exception_handler

        return decorator

    def on_error_default(self, exception_handler: Handler) -> Handler:
        """Decorator registering the error handler of namespaces without their own.

        >>> from flask import Flask
        >>> from flask_socketio import SocketIO
        >>> socketio = SocketIO(Flask(__name__), async_mode="threading")
        >>> @socketio.on_error_default
        ... def error_handler(e):
        ...     print("An error has occurred: " + str(e))
        """
        if not callable(exception_handler):
            raise ValueError("exception_handler must be callable")
        self.default_exception_handler = exception_handler
        return exception_handler
