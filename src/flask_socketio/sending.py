"""The sending half of `SocketIO`: whom an emit reaches, and the emits.

`SocketIO` inherits it; it needs the facade's `server` and `dispatcher`.

>>> from flask import Flask
>>> from flask_socketio import SocketIO
>>> socketio = SocketIO(Flask(__name__), async_mode="threading")
>>> socketio.emit("news", "hello", to="lobby")
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import flask
from flask import has_request_context

from .managers import Target, to_args

if TYPE_CHECKING:
    from .flask_context import EventDispatcher
    from .server import Acks, Server


def event_args(args: tuple[Any, ...]) -> list[Any]:
    """The arguments of ``emit(event, *args)``: one tuple argument is several."""
    return to_args(args[0]) if len(args) == 1 else list(args)


class Sending:
    """Emits from the server side, in or outside a handler (see `SocketIO`)."""

    server: Server
    dispatcher: EventDispatcher


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

        >>> from flask_socketio import SocketIO
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

        >>> from flask_socketio import SocketIO
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

        >>> from flask_socketio import SocketIO
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

        >>> from flask_socketio import SocketIO
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

        >>> from flask_socketio import SocketIO
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

        >>> from flask_socketio import SocketIO
        >>> socketio = SocketIO(flask.Flask(__name__), async_mode="threading")
        >>> socketio.close_room("lobby", namespace="/chat")
        """
        self.server.close_room(room, namespace or "/")

    def current_sid(self, namespace: str | None = None) -> str | None:
        """The sid on `namespace` of the client whose handler is running, if any.

        Since protocol v5 each namespace of a connection has its own sid;
        None when the client is not on `namespace`, or outside a handler.

        >>> from flask_socketio import SocketIO
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
