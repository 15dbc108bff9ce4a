"""Who is in which room, in this process: the default client manager.

A manager answers one question, *who*: given a `Target`, which clients of
this process are its recipients (`members`), and, for the message-queue
managers, which operations must reach the other processes (`relay_emit`
and friends). It never encodes or sends: the server does, once per emit.

Rooms are kept per namespace as ``{room: {sid: member}}``, where a member is
the server's per-connection object; the room ``None`` holds every connected
client of the namespace, and each client also sits in a room named after its
own sid.

>>> class Conn:
...     eio_sid = "e1"
>>> m = Manager()
>>> m.connect("s1", "/", Conn())
>>> m.enter_room("s1", "/", "lobby")
>>> sorted(m.get_rooms("s1", "/"))
['lobby', 's1']
>>> len(m.members(Target.of("/", to="lobby")))
1
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Iterator
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from .target import Target, to_args

if TYPE_CHECKING:
    from ..drivers import Driver, Lock

#: A room name; None is the room of every client of a namespace.
Room = Hashable | None


class Member(Protocol):
    """What the manager needs to know of a connection: its Engine.IO sid."""

    @property
    def eio_sid(self) -> str: ...


M = TypeVar("M", bound=Member)


class LocalPeer(Protocol):
    """What a message-queue manager asks of this process's server when an
    operation arrives from another process."""

    def emit_to(
        self,
        target: Target,
        event: str,
        args: list[Any],
        callback: Callable[..., Any] | None = None,
    ) -> None:
        """Deliver an event to this process's clients of `target`."""

    def disconnect(
        self, sid: str, namespace: str | None = None, ignore_queue: bool = False
    ) -> None:
        """Disconnect a client of this process."""


class Manager(Generic[M]):
    """In-memory rooms of this process's clients."""

    name = "memory"

    def __init__(self) -> None:
        self.rooms: dict[str, dict[Room, dict[str, M]]] = {}
        self._members: dict[tuple[str, str], M] = {}  # (namespace, sid) -> member
        self._sids: dict[tuple[str, str], str] = {}  # (namespace, eio sid) -> sid
        # (namespace, sid) -> the rooms it is in, in the order it joined them:
        # leaving them all, or listing them, costs what the client has joined,
        # not what the namespace holds.
        self._joined: dict[tuple[str, str], list[Room]] = {}
        self._lock: Lock = threading.Lock()
        self._peer: LocalPeer | None = None

    def attach(self, peer: LocalPeer, driver: Driver) -> None:
        """Called once by the server that uses this manager."""
        self._lock = driver.Lock()
        self._peer = peer

    def get_namespaces(self) -> list[str]:
        """The namespaces with clients (python-socketio's manager API)."""
        return list(self.rooms)

    # -- membership ---------------------------------------------------------

    def connect(self, sid: str, namespace: str, member: M) -> None:
        with self._lock:
            self._members[(namespace, sid)] = member
            self._sids[(namespace, member.eio_sid)] = sid
            self._enter(sid, namespace, None, member)
            self._enter(sid, namespace, sid, member)

    def disconnect(self, sid: str, namespace: str) -> None:
        with self._lock:
            for room in list(self._joined.get((namespace, sid), ())):
                self._leave(sid, namespace, room)
            self._joined.pop((namespace, sid), None)
            member = self._members.pop((namespace, sid), None)
            if member is not None:
                self._sids.pop((namespace, member.eio_sid), None)

    def forget_ack(self, callback: Callable[..., Any]) -> None:
        """Forget acks of clients of other processes that would call
        `callback` (none here: the message-queue managers have some)."""

    def member(self, sid: str, namespace: str) -> M | None:
        """The connection of the client `sid` on `namespace`, if it is here."""
        return self._members.get((namespace, sid))

    def is_connected(self, sid: str, namespace: str) -> bool:
        return (namespace, sid) in self._members

    def eio_sid_from_sid(self, sid: str, namespace: str) -> str | None:
        """The Engine.IO sid of a client (python-socketio's manager API)."""
        member = self._members.get((namespace, sid))
        return member.eio_sid if member is not None else None

    def sid_from_eio_sid(self, eio_sid: str, namespace: str) -> str | None:
        """The sid on `namespace` of an Engine.IO session (python-socketio's manager API)."""
        return self._sids.get((namespace, eio_sid))

    def enter_room(self, sid: str, namespace: str, room: Room) -> None:
        with self._lock:
            member = self._members.get((namespace, sid))
            if member is not None:
                self._enter(sid, namespace, room, member)

    def leave_room(self, sid: str, namespace: str, room: Room) -> None:
        with self._lock:
            self._leave(sid, namespace, room)

    def close_room(self, room: Room, namespace: str) -> None:
        with self._lock:
            rooms = self.rooms.get(namespace)
            if rooms is not None and room is not None:
                for sid in list(rooms.get(room, ())):
                    self._leave(sid, namespace, room)

    def get_rooms(self, sid: str, namespace: str) -> list[Any]:
        """The rooms of a client, its own sid room included."""
        return [room for room in self._joined.get((namespace, sid), ()) if room is not None]

    def get_participants(self, namespace: str, room: Room) -> Iterator[tuple[str, str]]:
        """(sid, eio_sid) of every client in `room` (python-socketio's manager API)."""
        members = self.rooms.get(namespace, {}).get(room, {})
        return iter([(sid, member.eio_sid) for sid, member in list(members.items())])

    def _enter(self, sid: str, namespace: str, room: Room, member: M) -> None:
        members = self.rooms.setdefault(namespace, {}).setdefault(room, {})
        if sid not in members:
            self._joined.setdefault((namespace, sid), []).append(room)
        members[sid] = member

    def _leave(self, sid: str, namespace: str, room: Room) -> None:
        rooms = self.rooms.get(namespace)
        if rooms is None:
            return
        members = rooms.get(room)
        if members is not None and members.pop(sid, None) is not None:
            joined = self._joined.get((namespace, sid))
            if joined is not None and room in joined:
                joined.remove(room)
            if not members:
                del rooms[room]
        if not rooms:
            del self.rooms[namespace]

    # -- who ----------------------------------------------------------------

    def members(self, target: Target) -> list[M]:
        """The clients of this process that `target` reaches, each once."""
        rooms = self.rooms.get(target.namespace)
        if not rooms:
            return []
        names = target.rooms
        skip = target.skip
        if names is None or len(names) == 1:
            found = rooms.get(None if names is None else names[0])
            if not found:
                return []
            if not skip:
                return list(found.values())
            return [member for sid, member in list(found.items()) if sid not in skip]
        union: dict[str, M] = {}
        for name in names:
            for sid, member in list(rooms.get(name, {}).items()):
                if sid not in skip:
                    union.setdefault(sid, member)
        return list(union.values())

    def emit(
        self,
        event: str,
        data: Any,
        namespace: str,
        room: Any = None,
        skip_sid: Any = None,
        callback: Callable[..., Any] | None = None,
        **kwargs: Any,
    ) -> None:
        """Emit through the server (python-socketio's manager API, which code
        written for it calls; the server's ``emit`` is the one to use)."""
        if self._peer is None:
            raise RuntimeError("this manager is not attached to a server")
        target = Target.of(namespace, room, skip_sid)
        self._peer.emit_to(target, event, to_args(data), callback)

    # -- across processes (nothing to do with one process) -------------------

    def relay_emit(
        self,
        target: Target,
        event: str,
        args: list[Any],
        callback: Callable[..., Any] | None = None,
    ) -> None:
        """Hand an emit to the other processes (a message-queue manager does)."""

    def relay_disconnect(self, sid: str, namespace: str) -> None:
        """Ask the other processes to disconnect a client that is not here."""
