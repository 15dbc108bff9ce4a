"""Rooms across processes: a manager that relays operations through a message queue.

Every process publishes what it cannot do alone (emit to a room, close a room,
disconnect or move a client of another process) on one channel, and every
process applies what it hears to its own clients. Acks of clients of another
process travel back to the process that asked for them.

Messages are JSON (bytes travel as base64), never pickle: a message queue is
shared infrastructure, and unpickling what it carries would let anyone who can
publish run code in every server.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from .memory import Manager, Room, to_args

log = logging.getLogger("flask_socketio.managers")


def _encode_value(value: Any) -> Any:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {"__bytes__": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, (list, tuple)):
        return [_encode_value(v) for v in value]
    if isinstance(value, dict):
        return {k: _encode_value(v) for k, v in value.items()}
    return value


def _decode_value(value: Any) -> Any:
    if isinstance(value, list):
        return [_decode_value(v) for v in value]
    if isinstance(value, dict):
        if len(value) == 1 and "__bytes__" in value:
            return base64.b64decode(value["__bytes__"])
        return {k: _decode_value(v) for k, v in value.items()}
    return value


def dumps(message: dict[str, Any]) -> bytes:
    """Serialise a relay message (JSON; bytes as base64 markers)."""
    return json.dumps(_encode_value(message), separators=(",", ":")).encode("utf-8")


def loads(raw: bytes | str) -> dict[str, Any]:
    message = _decode_value(json.loads(raw))
    if not isinstance(message, dict):
        raise ValueError("relay message is not an object")
    return message


class PubSubManager(Manager):
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
        self._listener: Any = None
        self._ack_lock = threading.Lock()
        self._remote_acks: dict[int, Callable[..., Any]] = {}
        self._next_ack = 0

    def initialize(self) -> None:
        if not self.write_only and self._listener is None:
            self._listener = self.server.start_background_task(self._relay)

    # -- operations that may concern other processes ---------------------------

    def emit(
        self,
        event: str,
        data: Any,
        namespace: str,
        room: Room | Iterable[str] = None,
        skip_sid: str | Iterable[str] | None = None,
        callback: Callable[..., Any] | None = None,
        ignore_queue: bool = False,
        **kwargs: Any,
    ) -> None:
        """Publish the emit for every process (this one included)."""
        if ignore_queue or (isinstance(room, str) and self.is_connected(room, namespace)):
            # A client of this process (an emit to its sid) needs no relay.
            super().emit(event, data, namespace, room, skip_sid, callback)
            return
        message: dict[str, Any] = {
            "method": "emit",
            "event": event,
            "args": to_args(data),
            "namespace": namespace,
            "room": list(room) if room is not None and not isinstance(room, str) else room,
            "skip_sid": [skip_sid] if isinstance(skip_sid, str) else list(skip_sid or ()),
            "host_id": self.host_id,
        }
        if callback is not None:
            if not isinstance(room, str):
                raise ValueError("an emit with a callback through a message queue needs to=sid")
            message["callback"] = [room, namespace, self._register_remote_ack(callback)]
        self._publish(dumps(message))

    def can_disconnect(self, sid: str, namespace: str) -> bool:
        """True when the client is here; otherwise ask the other processes."""
        if self.is_connected(sid, namespace):
            return True
        self._publish(
            dumps(
                {
                    "method": "disconnect",
                    "sid": sid,
                    "namespace": namespace,
                    "host_id": self.host_id,
                }
            )
        )
        return False

    def enter_room(self, sid: str, namespace: str, room: Room, eio_sid: str | None = None) -> None:
        if eio_sid is not None or self.is_connected(sid, namespace):
            super().enter_room(sid, namespace, room, eio_sid)
        else:
            self._publish(
                dumps(
                    {
                        "method": "enter_room",
                        "sid": sid,
                        "namespace": namespace,
                        "room": room,
                        "host_id": self.host_id,
                    }
                )
            )

    def leave_room(self, sid: str, namespace: str, room: Room) -> None:
        if self.is_connected(sid, namespace):
            super().leave_room(sid, namespace, room)
        else:
            self._publish(
                dumps(
                    {
                        "method": "leave_room",
                        "sid": sid,
                        "namespace": namespace,
                        "room": room,
                        "host_id": self.host_id,
                    }
                )
            )

    def close_room(self, room: Room, namespace: str) -> None:
        self._publish(
            dumps(
                {
                    "method": "close_room",
                    "room": room,
                    "namespace": namespace,
                    "host_id": self.host_id,
                }
            )
        )

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
                handler = getattr(self, "_on_" + str(message.get("method")), None)
                if handler is None:
                    log.warning("relay message with unknown method %r", message.get("method"))
                    continue
                handler(message)
            except Exception:
                log.exception("bad relay message on channel %s", self.channel)

    def _on_emit(self, message: dict[str, Any]) -> None:
        callback = None
        info = message.get("callback")
        if info:
            sid, namespace, ack_id = info
            if not self.is_connected(sid, namespace):
                return
            origin = message["host_id"]

            def callback(*args: Any) -> None:
                self._publish(
                    dumps(
                        {
                            "method": "callback",
                            "host_id": origin,
                            "ack_id": ack_id,
                            "args": list(args),
                        }
                    )
                )

        room = message.get("room")
        super().emit(
            message["event"],
            tuple(message.get("args") or ()),
            message.get("namespace") or "/",
            room=room,
            skip_sid=message.get("skip_sid"),
            callback=callback,
        )

    def _on_callback(self, message: dict[str, Any]) -> None:
        if message.get("host_id") != self.host_id:
            return
        with self._ack_lock:
            callback = self._remote_acks.pop(message.get("ack_id"), None)
        if callback is not None:
            callback(*message.get("args", []))

    def _on_disconnect(self, message: dict[str, Any]) -> None:
        sid, namespace = message.get("sid"), message.get("namespace") or "/"
        if self.is_connected(sid, namespace):
            self.server.disconnect(sid, namespace=namespace, ignore_queue=True)

    def _on_enter_room(self, message: dict[str, Any]) -> None:
        sid, namespace = message.get("sid"), message.get("namespace") or "/"
        if self.is_connected(sid, namespace):
            super().enter_room(sid, namespace, message.get("room"))

    def _on_leave_room(self, message: dict[str, Any]) -> None:
        sid, namespace = message.get("sid"), message.get("namespace") or "/"
        if self.is_connected(sid, namespace):
            super().leave_room(sid, namespace, message.get("room"))

    def _on_close_room(self, message: dict[str, Any]) -> None:
        super().close_room(message.get("room"), message.get("namespace") or "/")

    # -- transport, provided by subclasses --------------------------------------

    def _publish(self, data: bytes) -> None:
        raise NotImplementedError

    def _listen(self) -> Iterator[bytes]:
        raise NotImplementedError
