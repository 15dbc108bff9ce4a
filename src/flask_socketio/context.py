"""Functions for Socket.IO handlers: they act for the client of the current event.

The client and namespace come from ``flask.request.sid`` and
``flask.request.namespace``, which the extension sets for every handler.

>>> from flask_socketio import emit, join_room, send
>>> @socketio.on("join")  # doctest: +SKIP
... def on_join(data):
...     join_room(data["room"])
...     send(data["username"] + " has entered the room.", to=data["room"])
...     emit("joined", data["room"])  # only to the client that joined
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import flask

if TYPE_CHECKING:
    from .extension import SocketIO

log = logging.getLogger("flask_socketio")


def _socketio() -> SocketIO:
    socketio: SocketIO = flask.current_app.extensions["socketio"]
    return socketio


def _request() -> Any:
    return flask.request


def _namespace(namespace: str | None) -> str:
    """The namespace asked for ('' means '/'), or the one of the current event."""
    if namespace is None:
        return getattr(_request(), "namespace", None) or "/"
    return namespace or "/"


def _own_sid(socketio: SocketIO, namespace: str) -> str | None:
    """The current client's sid on `namespace` (its sid differs per namespace)."""
    if getattr(_request(), "sid", None) is None:
        raise RuntimeError("outside a Socket.IO handler: pass the client's sid (sid=/to=)")
    return socketio.current_sid(namespace)


def emit(
    event: str,
    *args: Any,
    namespace: str | None = None,
    callback: Callable[..., Any] | None = None,
    broadcast: bool = False,
    to: Any = None,
    room: Any = None,
    include_self: bool = True,
    skip_sid: str | Iterable[str] | None = None,
    ignore_queue: bool = False,
    volatile: bool = False,
) -> None:
    """Emit `event` from a handler: to its client, unless `to` or `broadcast` say more.

    >>> @socketio.on("my event")  # doctest: +SKIP
    ... def handle_my_custom_event(json):
    ...     emit("my response", {"data": 42})
    ...     emit("news", json, broadcast=True, include_self=False)
    ...     emit("chat", ("several", "arguments"), to="lobby")

    :param namespace: defaults to the namespace of the event; with another one,
        the event goes to the same client's connection on that namespace.
    :param callback: called with the client's ack, in this client's context.
    :param broadcast: send to every client on the namespace.
    :param to: a room, a sid, or a list of them (``room`` is an alias).
    :param include_self: ``False`` leaves out the current client.
    :param skip_sid: a sid (or a list) to leave out.
    :param volatile: a client that does not keep up may miss it, rather than be
        disconnected as a slow consumer.
    """
    socketio = _socketio()
    namespace = _namespace(namespace)
    to = to if to is not None else room
    if to is None and not broadcast:
        to = _own_sid(socketio, namespace)
        if to is None:
            log.info("emit(%r): the client is not connected to %s; not sent", event, namespace)
            return
    target = socketio.target(to, namespace, skip_sid, include_self, ignore_queue)
    socketio.emit_to(target, event, *args, callback=callback, volatile=volatile)


def send(
    message: Any,
    json: bool = False,
    namespace: str | None = None,
    callback: Callable[..., Any] | None = None,
    broadcast: bool = False,
    to: Any = None,
    room: Any = None,
    include_self: bool = True,
    skip_sid: str | Iterable[str] | None = None,
    ignore_queue: bool = False,
) -> None:
    """Send an unnamed message (event ``'message'``, or ``'json'`` with `json`), as `emit`.

    >>> @socketio.on("message")  # doctest: +SKIP
    ... def handle_message(message):
    ...     send(message)
    ...     send(message, namespace="/chat")
    """
    emit(
        "json" if json else "message",
        message,
        namespace=namespace,
        callback=callback,
        broadcast=broadcast,
        to=to,
        room=room,
        include_self=include_self,
        skip_sid=skip_sid,
        ignore_queue=ignore_queue,
    )


def call(
    event: str,
    *args: Any,
    namespace: str | None = None,
    to: Any = None,
    room: Any = None,
    timeout: float = 60,
    ignore_queue: bool = False,
) -> Any:
    """Emit to the current client (or `to`) and wait for its ack; raises TimeoutError.

    >>> @socketio.on("ready")  # doctest: +SKIP
    ... def ready():
    ...     answer = call("question", "are you sure?", timeout=10)
    """
    socketio = _socketio()
    namespace = _namespace(namespace)
    to = to if to is not None else room
    if to is None:
        to = _own_sid(socketio, namespace)
        if to is None:
            raise ValueError(f"the client is not connected to {namespace}")
    return socketio.call(
        event, *args, namespace=namespace, to=to, timeout=timeout, ignore_queue=ignore_queue
    )


def _target(sid: str | None, namespace: str | None) -> tuple[SocketIO, str, str | None]:
    socketio = _socketio()
    namespace = _namespace(namespace)
    if sid is None:
        sid = _own_sid(socketio, namespace)
    return socketio, namespace, sid


def join_room(room: str, sid: str | None = None, namespace: str | None = None) -> None:
    """Put the current client (or `sid`) in `room`.

    >>> @socketio.on("join")  # doctest: +SKIP
    ... def on_join(data):
    ...     join_room(data["room"])
    """
    socketio, namespace, sid = _target(sid, namespace)
    if sid is not None:
        socketio.server.enter_room(sid, room, namespace=namespace)


def leave_room(room: str, sid: str | None = None, namespace: str | None = None) -> None:
    """Take the current client (or `sid`) out of `room`.

    >>> @socketio.on("leave")  # doctest: +SKIP
    ... def on_leave(data):
    ...     leave_room(data["room"])
    """
    socketio, namespace, sid = _target(sid, namespace)
    if sid is not None:
        socketio.server.leave_room(sid, room, namespace=namespace)


def close_room(room: str, namespace: str | None = None) -> None:
    """Remove every client from `room` (of the current namespace by default).

    >>> @socketio.on("close")  # doctest: +SKIP
    ... def on_close(data):
    ...     close_room(data["room"])
    """
    _socketio().server.close_room(room, namespace=_namespace(namespace))


def rooms(sid: str | None = None, namespace: str | None = None) -> list[str]:
    """The rooms of the current client (or `sid`), its own sid room included.

    >>> @socketio.on("my rooms")  # doctest: +SKIP
    ... def my_rooms():
    ...     return rooms()
    """
    socketio, namespace, sid = _target(sid, namespace)
    return socketio.server.rooms(sid, namespace=namespace) if sid is not None else []


def disconnect(sid: str | None = None, namespace: str | None = None, silent: bool = False) -> None:
    """Disconnect the current client (or `sid`) from the namespace.

    The client gets a disconnect event. `silent` is deprecated and ignored.

    >>> @socketio.on("message")  # doctest: +SKIP
    ... def receive_message(msg):
    ...     if is_banned(session["username"]):
    ...         disconnect()
    """
    socketio, namespace, sid = _target(sid, namespace)
    if sid is not None:
        socketio.server.disconnect(sid, namespace=namespace)
