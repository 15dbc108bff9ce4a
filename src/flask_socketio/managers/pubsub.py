"""Rooms across processes: a manager that relays operations through a message queue.

Every process applies an operation to its own clients at once (an emit goes
to its local recipients directly, never through the broker) and publishes
what the other processes must do (emit to their clients in a room, close a
room, disconnect or move a client of theirs); every process applies what it
hears from the others. Acks of clients of another process travel back to
the process that asked for them.

Messages are JSON (bytes travel as base64, in a way no user value can be
mistaken for), never pickle: a message queue is
shared infrastructure, and unpickling what it carries would let anyone who can
publish run code in every server.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import uuid
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from .memory import LocalPeer, M, Manager, Room
from .target import Target

if TYPE_CHECKING:
    from ..drivers import Driver, Task
    from .observer import RelayObserver

log = logging.getLogger("flask_socketio.managers")

Message = dict[str, Any]


_BYTES = "__bytes__"
_ESCAPED = "__dict__"


def _encode_value(value: Any) -> Any:
    """`value` as JSON can carry it: bytes become ``{"__bytes__": base64}``,
    and a dict that could be mistaken for a marker is wrapped in
    ``{"__dict__": ...}``, so that every value decodes to itself."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {_BYTES: base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, (list, tuple)):
        return [_encode_value(v) for v in value]
    if isinstance(value, dict):
        encoded = {k: _encode_value(v) for k, v in value.items()}
        if len(value) == 1 and next(iter(value)) in (_BYTES, _ESCAPED):
            return {_ESCAPED: encoded}
        return encoded
    return value


def _decode_value(value: Any) -> Any:
    if isinstance(value, list):
        return [_decode_value(v) for v in value]
    if isinstance(value, dict):
        if len(value) == 1:
            key, inner = next(iter(value.items()))
            if key == _BYTES and isinstance(inner, str):
                return base64.b64decode(inner)
            if key == _ESCAPED and isinstance(inner, dict):
                return {k: _decode_value(v) for k, v in inner.items()}
        return {k: _decode_value(v) for k, v in value.items()}
    return value


def dumps(message: Message) -> bytes:
    """Serialise a relay message (JSON; bytes as base64 markers)."""
    return json.dumps(_encode_value(message), separators=(",", ":")).encode("utf-8")


def loads(raw: bytes | str) -> Message:
    """Parse a relay message; ValueError if it is not a JSON object."""
    message = _decode_value(json.loads(raw))
    if not isinstance(message, dict):
        raise ValueError("relay message is not an object")
    return message


def _rooms_field(target: Target) -> Any:
    """A target's rooms as the relay spells them: one name, a list, or None."""
    rooms = target.rooms
    if rooms is None:
        return None
    return rooms[0] if len(rooms) == 1 else list(rooms)


class PubSubManager(Manager[M]):
    """Base of the message-queue managers; subclasses move bytes, nothing else.

    A subclass implements `_publish(data: bytes)` and `_listen()`, a generator
    of raw messages that survives reconnections.
    """

    name = "pubsub"

    def __init__(self, channel: str = "flask-socketio", write_only: bool = False) -> None:
        super().__init__()
        self.channel = channel
        self.write_only = write_only
        self.host_id = uuid.uuid4().hex
        self._driver: Driver | None = None
        self._listener: Task | None = None
        self._ack_lock = threading.Lock()
        self._remote_acks: dict[int, Callable[..., Any]] = {}
        self._next_ack = 0
        self._handlers: dict[str, Callable[[Message], None]] = {
            "emit": self._on_emit,
            "callback": self._on_callback,
            "disconnect": self._on_disconnect,
            "enter_room": self._on_enter_room,
            "leave_room": self._on_leave_room,
            "close_room": self._on_close_room,
        }
        self._connected = False
        #: Told of messages published and received and of failures (the
        #: metrics), or None.
        self.observer: RelayObserver | None = None

    @property
    def connected(self) -> bool:
        """Whether the listener is subscribed to the message queue now
        (False before it first is, and while it reconnects): a health check
        reads it. Subclasses report it with `_set_connected`."""
        return self._connected

    def _set_connected(self, connected: bool) -> None:
        self._connected = connected
        if self.observer is not None:
            self.observer.relay_connection(connected)

    def attach(self, peer: LocalPeer, driver: Driver) -> None:
        super().attach(peer, driver)
        self._driver = driver
        if not self.write_only:
            # Its listener blocks in the queue client: unpatched green modes stall.
            driver.warn_unpatched(f"the message queue client ({self.name})")
            if self._listener is None:
                self._listener = driver.spawn(self._relay)

    def _sleep(self, seconds: float) -> None:
        """Wait between reconnection attempts, in the way of the async mode."""
        if self._driver is not None:
            self._driver.sleep(seconds)

    # -- operations that may concern other processes ---------------------------

    def relay_emit(
        self,
        target: Target,
        event: str,
        args: list[Any],
        callback: Callable[..., Any] | None = None,
    ) -> None:
        """Publish the emit for the other processes, unless its one recipient is here."""
        single = target.single
        if single is not None and self.is_connected(single, target.namespace):
            return
        fields: Message = {
            "event": event,
            "args": args,
            "namespace": target.namespace,
            "room": _rooms_field(target),
            "skip_sid": sorted(target.skip),
        }
        if callback is not None:
            if single is None:
                raise ValueError("an emit with a callback through a message queue needs to=sid")
            fields["callback"] = [single, target.namespace, self._register_remote_ack(callback)]
        self._relay_op("emit", **fields)

    def relay_disconnect(self, sid: str, namespace: str) -> None:
        self._relay_op("disconnect", sid=sid, namespace=namespace)

    def enter_room(self, sid: str, namespace: str, room: Room) -> None:
        if self.is_connected(sid, namespace):
            super().enter_room(sid, namespace, room)
        else:
            self._relay_op("enter_room", sid=sid, namespace=namespace, room=room)

    def leave_room(self, sid: str, namespace: str, room: Room) -> None:
        if self.is_connected(sid, namespace):
            super().leave_room(sid, namespace, room)
        else:
            self._relay_op("leave_room", sid=sid, namespace=namespace, room=room)

    def close_room(self, room: Room, namespace: str) -> None:
        super().close_room(room, namespace)
        self._relay_op("close_room", room=room, namespace=namespace)

    def _relay_op(self, method: str, **fields: Any) -> None:
        self._send(method, dumps({"method": method, **fields, "host_id": self.host_id}))

    def _send(self, method: str, data: bytes) -> None:
        observer = self.observer
        if observer is None:
            self._publish(data)
            return
        try:
            self._publish(data)
        except Exception:
            observer.relay_failed("publish")
            raise
        observer.relay_published(method, len(data))

    # -- messages of other components ------------------------------------------

    def on_relay(self, method: str, handler: Callable[[Message], None]) -> None:
        """Call `handler` with each message of `method` that another process
        publishes with `relay` (a component's own messages, such as the admin
        UI's; by convention their names hold a colon: ``"admin:fetch"``).

        >>> manager = PubSubManager()
        >>> manager.on_relay("admin:hello", lambda message: print(message["text"]))
        """
        if self._handlers.get(method, handler) is not handler:
            raise ValueError(f"relay method {method!r} is taken")
        self._handlers[method] = handler

    def relay(self, method: str, **fields: Any) -> None:
        """Publish a message of `method` with `fields` (JSON values) for the
        other processes (see `on_relay`)."""
        self._relay_op(method, **fields)

    #: Whether `peer_count` asks the message queue (else it is None).
    counts_peers = False

    def peer_count(self) -> int | None:
        """How many other processes listen on the channel, or None when the
        message queue cannot tell (broadcast acks then count the processes
        that announce themselves)."""
        return None

    # -- acks across processes ------------------------------------------------

    def _register_remote_ack(self, callback: Callable[..., Any]) -> int:
        with self._ack_lock:
            self._next_ack += 1
            self._remote_acks[self._next_ack] = callback
            return self._next_ack

    # -- the relay ------------------------------------------------------------

    def _relay(self) -> None:
        for raw in self._listen():
            try:
                message = loads(raw)
                method = message.get("method")
                if method != "callback" and message.get("host_id") == self.host_id:
                    continue  # our own operation, applied here when it was made
                if self.observer is not None:
                    self.observer.relay_received(str(method), len(raw))
                handler = self._handlers.get(str(method))
                if handler is None:
                    # Components' own messages (a colon in the name) are for
                    # the processes that use the component.
                    if ":" not in str(method):
                        log.warning("relay message with unknown method %r", method)
                    continue
                handler(message)
            except Exception:
                log.exception("bad relay message on channel %s", self.channel)
                if self.observer is not None:
                    self.observer.relay_failed("receive")

    def _on_emit(self, message: Message) -> None:
        if self._peer is None:
            return
        namespace = message.get("namespace") or "/"
        callback = None
        info = message.get("callback")
        if info:
            sid, namespace, ack_id = info
            if not self.is_connected(sid, namespace):
                return
            origin = message["host_id"]

            def callback(*args: Any) -> None:
                self._send(
                    "callback",
                    dumps(
                        {
                            "method": "callback",
                            "host_id": origin,
                            "ack_id": ack_id,
                            "args": list(args),
                        }
                    ),
                )

        target = Target.of(namespace, message.get("room"), message.get("skip_sid"), local=True)
        self._peer.emit_to(target, message["event"], list(message.get("args") or ()), callback)

    def _on_callback(self, message: Message) -> None:
        if message.get("host_id") != self.host_id:
            return
        with self._ack_lock:
            callback = self._remote_acks.pop(message.get("ack_id"), None)  # type: ignore[arg-type]
        if callback is not None:
            callback(*message.get("args", []))

    def _on_disconnect(self, message: Message) -> None:
        sid, namespace = message.get("sid"), message.get("namespace") or "/"
        if self._peer is not None and sid is not None and self.is_connected(sid, namespace):
            self._peer.disconnect(sid, namespace=namespace, ignore_queue=True)

    def _on_enter_room(self, message: Message) -> None:
        sid, namespace = message.get("sid"), message.get("namespace") or "/"
        if sid is not None and self.is_connected(sid, namespace):
            super().enter_room(sid, namespace, message.get("room"))

    def _on_leave_room(self, message: Message) -> None:
        sid, namespace = message.get("sid"), message.get("namespace") or "/"
        if sid is not None and self.is_connected(sid, namespace):
            super().leave_room(sid, namespace, message.get("room"))

    def _on_close_room(self, message: Message) -> None:
        super().close_room(message.get("room"), message.get("namespace") or "/")

    # -- transport, provided by subclasses --------------------------------------

    def _publish(self, data: bytes) -> None:
        raise NotImplementedError

    def _listen(self) -> Iterator[bytes]:
        raise NotImplementedError
