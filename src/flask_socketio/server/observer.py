"""Observing a Socket.IO server: the seam the admin UI and the metrics use.

A server holds one observer or None (``Server.observer``); its engine holds
the same one (as an `engine.observer.EngineObserver`). Each hook site in the
server and the engine is a single ``is None`` test: a server nobody observes
pays nothing more. `Observer` is the interface, whose hooks do nothing
(override those you need); `Server.observe` adds one, several being told in
turn.

>>> from flask_socketio.server import Server
>>> class EventCounter(Observer):
...     def __init__(self):
...         self.events = 0
...     def handle_event(self, conn, namespace, sid, event, args, call):
...         self.events += 1
...         return call()
>>> sio = Server(async_mode="threading")
>>> counter = EventCounter()
>>> sio.observe(counter)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from .._types import Environ
from ..managers import Target

if TYPE_CHECKING:
    from ..engine import Session
    from .connection import Connection


class Observer:
    """What the server tells an observer (and the engine below, as an
    `engine.observer.EngineObserver`). Every hook does nothing here:
    subclass it and override the hooks you need (see the module's example).
    """

    # -- the engine's (see `EngineObserver` for what each says) --------------------

    def session_opened(self, session: Session, environ: Environ) -> None:
        pass

    def session_upgraded(self, session: Session) -> None:
        pass

    def session_closed(self, session: Session, reason: str) -> None:
        pass

    def packets_received(self, session: Session, count: int, size: int) -> None:
        pass

    def packets_sent(self, session: Session, count: int, size: int) -> None:
        pass

    def packets_dropped(self, session: Session, count: int) -> None:
        pass

    def queue_overflow(self, session: Session) -> None:
        pass

    # -- the server's ----------------------------------------------------------------

    def connected(self, conn: Connection, namespace: str, sid: str) -> None:
        """A client joined `namespace` (its connect handler accepted it)."""

    def disconnected(self, conn: Connection, namespace: str, sid: str, reason: str) -> None:
        """A client left `namespace` (`reason`: as disconnect handlers get it)."""

    def handle_event(
        self,
        conn: Connection,
        namespace: str,
        sid: str,
        event: str,
        args: Sequence[Any],
        call: Callable[[], Any],
    ) -> Any:
        """An event of a client: run its handler with `call()` and return
        what it returns (exceptions pass through)."""
        return call()

    def emitted(self, target: Target, event: str, args: Sequence[Any], members: list[Any]) -> None:
        """`event` went to `members`, this process's connections that `target`
        reaches (the other processes of a message queue report their own)."""

    def room_joined(self, namespace: str, room: Any, sid: str) -> None:
        """A client entered a room (`Server.enter_room`)."""

    def room_left(self, namespace: str, room: Any, sid: str) -> None:
        """A client left a room (`Server.leave_room`)."""

    def room_closing(self, namespace: str, room: Any) -> None:
        """A room is about to be closed (`Server.close_room`): its members
        here are still in it."""


class Observers(Observer):
    """Several observers told in turn, in the order they were added."""

    def __init__(self, observers: Sequence[Observer]) -> None:
        self.observers = tuple(observers)

    def session_opened(self, session: Session, environ: Environ) -> None:
        for observer in self.observers:
            observer.session_opened(session, environ)

    def session_upgraded(self, session: Session) -> None:
        for observer in self.observers:
            observer.session_upgraded(session)

    def session_closed(self, session: Session, reason: str) -> None:
        for observer in self.observers:
            observer.session_closed(session, reason)

    def packets_received(self, session: Session, count: int, size: int) -> None:
        for observer in self.observers:
            observer.packets_received(session, count, size)

    def packets_sent(self, session: Session, count: int, size: int) -> None:
        for observer in self.observers:
            observer.packets_sent(session, count, size)

    def packets_dropped(self, session: Session, count: int) -> None:
        for observer in self.observers:
            observer.packets_dropped(session, count)

    def queue_overflow(self, session: Session) -> None:
        for observer in self.observers:
            observer.queue_overflow(session)

    def connected(self, conn: Connection, namespace: str, sid: str) -> None:
        for observer in self.observers:
            observer.connected(conn, namespace, sid)

    def disconnected(self, conn: Connection, namespace: str, sid: str, reason: str) -> None:
        for observer in self.observers:
            observer.disconnected(conn, namespace, sid, reason)

    def handle_event(
        self,
        conn: Connection,
        namespace: str,
        sid: str,
        event: str,
        args: Sequence[Any],
        call: Callable[[], Any],
    ) -> Any:
        # Each observer wraps the next: the first added is the outermost.
        for observer in reversed(self.observers):
            call = _wrapped(observer, conn, namespace, sid, event, args, call)
        return call()

    def emitted(self, target: Target, event: str, args: Sequence[Any], members: list[Any]) -> None:
        for observer in self.observers:
            observer.emitted(target, event, args, members)

    def room_joined(self, namespace: str, room: Any, sid: str) -> None:
        for observer in self.observers:
            observer.room_joined(namespace, room, sid)

    def room_left(self, namespace: str, room: Any, sid: str) -> None:
        for observer in self.observers:
            observer.room_left(namespace, room, sid)

    def room_closing(self, namespace: str, room: Any) -> None:
        for observer in self.observers:
            observer.room_closing(namespace, room)


def _wrapped(
    observer: Observer,
    conn: Connection,
    namespace: str,
    sid: str,
    event: str,
    args: Sequence[Any],
    call: Callable[[], Any],
) -> Callable[[], Any]:
    return lambda: observer.handle_event(conn, namespace, sid, event, args, call)


def combine(current: Observer | None, added: Observer) -> Observer:
    """`current` and `added` as one observer (`added` told after `current`).

    >>> first, second = Observer(), Observer()
    >>> combine(None, first) is first
    True
    >>> combine(first, second).observers == (first, second)
    True
    """
    if current is None:
        return added
    if isinstance(current, Observers):
        return Observers([*current.observers, added])
    return Observers([current, added])
