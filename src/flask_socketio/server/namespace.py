"""Class-based namespaces for the bare Socket.IO server."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

from .calling import call_trimmed

if TYPE_CHECKING:
    from .server import Server


class Namespace:
    """Handlers of one namespace as ``on_<event>`` methods.

    >>> class Chat(Namespace):
    ...     def on_message(self, sid, data):
    ...         self.send(data, to=sid)
    >>> Chat("/chat").namespace
    '/chat'
    """

    def __init__(self, namespace: str | None = None) -> None:
        self.namespace = namespace or "/"
        #: The server it is registered with (set by ``register_namespace``).
        self.server: Server = None  # type: ignore[assignment]

    def trigger_event(self, event: str, *args: Any) -> Any:
        """Dispatch `event` to ``on_<event>``; events without a method are ignored.

        Override this to wrap every handler call (the Flask extension does).
        """
        handler = getattr(self, f"on_{event}", None)
        if handler is None or not callable(handler):
            return None
        optional = 1 if event in ("connect", "disconnect") else 0
        return call_trimmed(handler, *args, optional=optional)

    def emit(
        self,
        event: str,
        data: Any = None,
        to: Any = None,
        room: Any = None,
        skip_sid: Any = None,
        namespace: str | None = None,
        callback: Callable[..., Any] | None = None,
        ignore_queue: bool = False,
    ) -> None:
        """Emit in this namespace unless another one is given."""
        self.server.emit(
            event,
            data,
            to=to,
            room=room,
            skip_sid=skip_sid,
            namespace=namespace or self.namespace,
            callback=callback,
            ignore_queue=ignore_queue,
        )

    def send(
        self,
        data: Any,
        to: Any = None,
        room: Any = None,
        skip_sid: Any = None,
        namespace: str | None = None,
        callback: Callable[..., Any] | None = None,
        ignore_queue: bool = False,
    ) -> None:
        """Send a ``message`` event in this namespace."""
        self.emit("message", data, to, room, skip_sid, namespace, callback, ignore_queue)

    def call(
        self,
        event: str,
        data: Any = None,
        to: Any = None,
        sid: Any = None,
        namespace: str | None = None,
        timeout: float = 60,
        ignore_queue: bool = False,
    ) -> Any:
        """Emit to one client and wait for its ack."""
        return self.server.call(
            event,
            data,
            to=to,
            sid=sid,
            namespace=namespace or self.namespace,
            timeout=timeout,
            ignore_queue=ignore_queue,
        )

    def enter_room(self, sid: str, room: str, namespace: str | None = None) -> None:
        self.server.enter_room(sid, room, namespace=namespace or self.namespace)

    def leave_room(self, sid: str, room: str, namespace: str | None = None) -> None:
        self.server.leave_room(sid, room, namespace=namespace or self.namespace)

    def close_room(self, room: str, namespace: str | None = None) -> None:
        self.server.close_room(room, namespace=namespace or self.namespace)

    def rooms(self, sid: str, namespace: str | None = None) -> list[str]:
        return self.server.rooms(sid, namespace=namespace or self.namespace)

    def get_session(self, sid: str, namespace: str | None = None) -> dict[str, Any]:
        """The user session of a client (see `Server.get_session`)."""
        return self.server.get_session(sid, namespace=namespace or self.namespace)

    def save_session(self, sid: str, session: dict[str, Any], namespace: str | None = None) -> None:
        """Store the user session of a client (see `Server.save_session`)."""
        self.server.save_session(sid, session, namespace=namespace or self.namespace)

    def session(
        self, sid: str, namespace: str | None = None
    ) -> AbstractContextManager[dict[str, Any]]:
        """The user session of a client, saved when the block ends."""
        return self.server.session(sid, namespace=namespace or self.namespace)

    def disconnect(self, sid: str, namespace: str | None = None) -> None:
        self.server.disconnect(sid, namespace=namespace or self.namespace)
