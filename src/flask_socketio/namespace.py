"""Class-based namespaces for Flask: handlers are ``on_<event>`` methods.

>>> from flask_socketio import Namespace, emit
>>> class MyCustomNamespace(Namespace):
...     def on_connect(self):
...         pass
...
...     def on_my_event(self, data):
...         emit("my_response", data)
>>> MyCustomNamespace("/test").namespace
'/test'
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from .server import ConnectionRefusedError
from .server import Namespace as _ServerNamespace

if TYPE_CHECKING:
    from .extension import SocketIO


class Namespace(_ServerNamespace):
    """Base class of class-based namespaces, registered with ``socketio.on_namespace()``.

    An event ``my_event`` goes to the method ``on_my_event`` (events without a
    method are ignored); each runs in the Flask context like decorated
    handlers. If the class defines ``error(self, exc)``, it handles what the
    methods raise (unless ``socketio.on_error`` handlers took it first). The
    sending methods default to this namespace.

    >>> class Chat(Namespace):
    ...     def on_shout(self, data):
    ...         self.emit("shout", data)  # to the client, on /chat
    ...
    ...     def error(self, exc):
    ...         return "failed: " + str(exc)
    """

    def __init__(self, namespace: str | None = None) -> None:
        super().__init__(namespace)
        #: The `SocketIO` it is registered with (set by ``on_namespace``).
        self.socketio: SocketIO = None  # type: ignore[assignment]

    def trigger_event(self, event: str, *args: Any) -> Any:
        """Dispatch `event` to its ``on_<event>`` method, in the Flask context.

        Override it for other dispatch rules, or for one method that catches
        every event.

        The arguments are the client's sid, then those of the event.

        >>> class CatchAll(Namespace):
        ...     def trigger_event(self, event, sid, *args):
        ...         return super().trigger_event("any", sid, event, *args)
        """
        namespace = self.namespace
        if namespace == "*":  # the catch-all namespace gets the real one first
            namespace, *rest = args
            args = tuple(rest)
        handler = getattr(self, f"on_{event or ''}", None)
        if handler is None:
            return None
        sid, *rest = args
        try:
            return self.socketio.dispatcher.handle(None, handler, event, namespace, sid, rest)
        except ConnectionRefusedError:
            raise
        except Exception as exc:
            error = getattr(self, "error", None)
            if error is None:
                raise
            return error(exc)

    def emit(  # type: ignore[override]
        self,
        event: str,
        data: Any = None,
        room: Any = None,
        include_self: bool = True,
        namespace: str | None = None,
        callback: Callable[..., Any] | None = None,
        *,
        to: Any = None,
        skip_sid: str | Iterable[str] | None = None,
        ignore_queue: bool = False,
    ) -> None:
        """Emit `event` to everyone on this namespace, a room or a sid (`room`
        or `to`), like ``socketio.emit``: unlike the ``emit()`` function, it
        does not default to the current client.

        >>> class Chat(Namespace):
        ...     def on_message(self, data):
        ...         self.emit("echo", data, room="lobby")
        """
        self.socketio.emit(
            event,
            data,
            to=to,
            room=room,
            include_self=include_self,
            skip_sid=skip_sid,
            namespace=namespace or self.namespace,
            callback=callback,
            ignore_queue=ignore_queue,
        )

    def send(  # type: ignore[override]
        self,
        data: Any,
        room: Any = None,
        include_self: bool = True,
        namespace: str | None = None,
        callback: Callable[..., Any] | None = None,
        *,
        to: Any = None,
        skip_sid: str | Iterable[str] | None = None,
        ignore_queue: bool = False,
    ) -> None:
        """Send an unnamed ``message`` event, as :meth:`emit` does.

        >>> class Chat(Namespace):
        ...     def on_join(self, data):
        ...         self.send("someone joined", room="lobby", include_self=False)
        """
        self.socketio.send(
            data,
            to=to,
            room=room,
            include_self=include_self,
            skip_sid=skip_sid,
            namespace=namespace or self.namespace,
            callback=callback,
            ignore_queue=ignore_queue,
        )

    def close_room(self, room: str, namespace: str | None = None) -> None:
        """Remove every client from `room` (of this namespace by default).

        >>> class Chat(Namespace):
        ...     def on_close(self, room):
        ...         self.close_room(room)
        """
        self.socketio.close_room(room, namespace=namespace or self.namespace)
