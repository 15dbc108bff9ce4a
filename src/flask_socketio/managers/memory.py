"""Who is in which room, in this process: the default client manager.

Rooms are kept per namespace as ``{room: {sid: eio_sid}}``; the room ``None``
holds every connected client of the namespace, and each client also sits in
a room named after its own sid. The message-queue managers subclass this one
and override `emit` and friends to reach other processes.

>>> m = Manager()
>>> m.connect("e1", "/", "s1")
>>> m.enter_room("s1", "/", "lobby")
>>> sorted(m.get_rooms("s1", "/"))
['lobby', 's1']
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any

Room = str | None


class Manager:
    """In-memory rooms, and the fan-out of emits to local clients."""

    def __init__(self) -> None:
        self.server: Any = None
        self.rooms: dict[str, dict[Room, dict[str, str]]] = {}
        self._eio_sids: dict[tuple[str, str], str] = {}  # (namespace, sid) -> eio sid
        self._sids: dict[tuple[str, str], str] = {}  # (namespace, eio sid) -> sid
        self._lock = threading.RLock()

    def set_server(self, server: Any) -> None:
        self.server = server

    def initialize(self) -> None:
        """Called once the server is ready to run background tasks."""

    def get_namespaces(self) -> list[str]:
        return list(self.rooms)

    # -- membership ---------------------------------------------------------

    def connect(self, eio_sid: str, namespace: str, sid: str) -> None:
        with self._lock:
            self._eio_sids[(namespace, sid)] = eio_sid
            self._sids[(namespace, eio_sid)] = sid
            self._enter(sid, namespace, None, eio_sid)
            self._enter(sid, namespace, sid, eio_sid)

    def disconnect(self, sid: str, namespace: str) -> None:
        with self._lock:
            rooms = self.rooms.get(namespace)
            if rooms is not None:
                for room in [r for r, members in rooms.items() if sid in members]:
                    self._leave(sid, namespace, room)
            eio_sid = self._eio_sids.pop((namespace, sid), None)
            if eio_sid is not None:
                self._sids.pop((namespace, eio_sid), None)

    def can_disconnect(self, sid: str, namespace: str) -> bool:
        """Whether this process holds the client (message-queue managers relay if not)."""
        return self.is_connected(sid, namespace)

    def is_connected(self, sid: str, namespace: str) -> bool:
        return (namespace, sid) in self._eio_sids

    def eio_sid_from_sid(self, sid: str, namespace: str) -> str | None:
        return self._eio_sids.get((namespace, sid))

    def sid_from_eio_sid(self, eio_sid: str, namespace: str) -> str | None:
        return self._sids.get((namespace, eio_sid))

    def enter_room(self, sid: str, namespace: str, room: Room, eio_sid: str | None = None) -> None:
        with self._lock:
            eio_sid = eio_sid or self._eio_sids.get((namespace, sid))
            if eio_sid is not None:
                self._enter(sid, namespace, room, eio_sid)

    def leave_room(self, sid: str, namespace: str, room: Room) -> None:
        with self._lock:
            self._leave(sid, namespace, room)

    def close_room(self, room: Room, namespace: str) -> None:
        with self._lock:
            rooms = self.rooms.get(namespace)
            if rooms is not None and room is not None:
                rooms.pop(room, None)

    def get_rooms(self, sid: str, namespace: str) -> list[str]:
        """The rooms of a client, its own sid room included."""
        rooms = self.rooms.get(namespace, {})
        return [
            room for room, members in list(rooms.items()) if room is not None and sid in members
        ]

    def get_participants(
        self, namespace: str, room: Room | Iterable[str]
    ) -> Iterator[tuple[str, str]]:
        """(sid, eio_sid) of every client in `room` (a name, a list of names, or None)."""
        return iter(self._participants(namespace, room))

    def _participants(self, namespace: str, room: Room | Iterable[str]) -> list[tuple[str, str]]:
        rooms = self.rooms.get(namespace)
        if not rooms:
            return []
        if room is None or isinstance(room, str):
            members = rooms.get(room)
            return list(members.items()) if members else []
        found: dict[str, str] = {}
        for name in room:
            for sid, eio_sid in list(rooms.get(name, {}).items()):
                found.setdefault(sid, eio_sid)
        return list(found.items())

    def _enter(self, sid: str, namespace: str, room: Room, eio_sid: str) -> None:
        self.rooms.setdefault(namespace, {}).setdefault(room, {})[sid] = eio_sid

    def _leave(self, sid: str, namespace: str, room: Room) -> None:
        rooms = self.rooms.get(namespace)
        if rooms is None:
            return
        members = rooms.get(room)
        if members is not None:
            members.pop(sid, None)
            if not members:
                del rooms[room]
        if not rooms:
            del self.rooms[namespace]

    # -- sending ------------------------------------------------------------

    def emit(
        self,
        event: str,
        data: Any,
        namespace: str,
        room: Room | Iterable[str] = None,
        skip_sid: str | Iterable[str] | None = None,
        callback: Callable[..., Any] | None = None,
        **kwargs: Any,
    ) -> None:
        """Send an event to every local client in `room`, encoding it once."""
        if namespace not in self.rooms:
            return
        skip = {skip_sid} if isinstance(skip_sid, str) else set(skip_sid or ())
        server = self.server
        args = to_args(data)
        participants = self._participants(namespace, room)
        if callback is not None:
            for sid, eio_sid in participants:
                if sid not in skip:
                    ack_id = server.register_ack(eio_sid, namespace, callback)
                    packets = server.encode_event(namespace, event, args, ack_id)
                    server.send_packets(eio_sid, packets)
            return
        packets = server.encode_event(namespace, event, args)
        send = server.send_packets
        for sid, eio_sid in participants:
            if sid not in skip:
                send(eio_sid, packets)


def to_args(data: Any) -> list[Any]:
    """Emit arguments: a tuple is several arguments, None none, anything else one."""
    if data is None:
        return []
    if type(data) is tuple:
        return list(data)
    return [data]
