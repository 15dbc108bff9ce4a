"""The benchmark app's events at the wire level, for floor.py and bare.py.

Neither is a contender; both answer the load generator with just enough
Engine.IO v4 / Socket.IO v5 text (websocket transport, default namespace):
the open packet, the namespace connect, and the events of app.py:

- ``42<id>["echo", x]``      -> ``43<id>[x]``
- ``42<id>["join", room]``   -> joins, ``43<id>[room]``
- ``42<id>["bcast", msg]``   -> ``42["news", msg]`` to everybody (or to
  ``msg["room"]``), then ``43<id>[seq]``

The servers differ only in how they move frames; this module is what they
say. Nothing here imports socket or threading, so the servers can monkey
patch before importing it.
"""

import json
from collections.abc import Collection, Hashable
from contextlib import AbstractContextManager, nullcontext

OPEN = '0{"sid":"bare","upgrades":[],"pingInterval":25000,"pingTimeout":20000}'
CONNECTED = '40{"sid":"bare"}'

_dumps = json.JSONEncoder(separators=(",", ":")).encode


class App:
    """Who is connected and in which rooms, and the answers to each event.

    `lock` guards the membership where clients are served on several threads
    (floor.py); a single asyncio loop needs none.
    """

    def __init__(self, lock: AbstractContextManager | None = None) -> None:
        self.lock = lock if lock is not None else nullcontext()
        self.everyone: set[Hashable] = set()
        self.rooms: dict[str, set[Hashable]] = {}

    def connect(self, client: Hashable) -> str:
        with self.lock:
            self.everyone.add(client)
        return CONNECTED

    def disconnect(self, client: Hashable) -> None:
        with self.lock:
            self.everyone.discard(client)
            for members in self.rooms.values():
                members.discard(client)

    def event(self, client: Hashable, text: str) -> tuple[str | None, str | None, Collection]:
        """Handle a `42...` packet: (ack or None, news or None, its recipients).

        The caller sends the news to the recipients first, then the ack, as
        app.py acks `bcast` once its emit has returned.
        """
        start = text.index("[")
        ack_id = text[2:start]
        name, *args = json.loads(text[start:])
        reply = args[0] if args else None
        news = None
        targets: Collection = ()
        if name == "join":
            with self.lock:
                self.rooms.setdefault(reply, set()).add(client)
        elif name == "bcast":
            room = reply.get("room")
            news = "42" + _dumps(["news", reply])
            with self.lock:
                targets = list(self.everyone if room is None else self.rooms.get(room, ()))
            reply = reply.get("seq")
        ack = "43" + ack_id + _dumps([reply]) if ack_id else None
        return ack, news, targets
