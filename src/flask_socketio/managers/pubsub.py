"""Rooms across processes: a manager that relays operations through a message queue.

Every process applies an operation to its own clients at once (an emit goes
to its local recipients directly, never through the broker) and publishes
what the other processes must do (emit to their clients in a room, close a
room, disconnect or move a client of theirs); every process applies what it
hears from the others. Acks of clients of another process travel back to
the process that asked for them.

Messages are JSON (see `codec`: bytes travel as base64 markers only in a
message flagged ``b64``), never pickle: a message queue is shared
infrastructure, and unpickling what it carries would let anyone who can
publish run code in every server. A message that is not what its method
needs is dropped whole, with one warning line.

Here: what the messages mean (the operations published, one handler per
method of the messages received, acks across processes). Publishing,
listening and readiness are `PubSubLink`'s (`pubsub_link`), its base.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from . import codec
from .codec import BadMessage, Message, dumps, loads
from .memory import M, Room
from .pubsub_link import BATCH, MAX_PEERS, PubSubLink
from .target import Target

log = logging.getLogger("flask_socketio.managers")


RELAY_FORMATS = ("flask-socketio", "python-socketio")


def _rooms_field(target: Target) -> Any:
    """A target's rooms as the relay spells them: one name, a list, or None."""
    rooms = target.rooms
    if rooms is None:
        return None
    return rooms[0] if len(rooms) == 1 else list(rooms)


class PubSubManager(PubSubLink[M]):
    """Base of the message-queue managers; subclasses move bytes, nothing else.

    A subclass implements `_publish(data: bytes)` and `_subscribe()`, a
    generator of lists of the raw messages at hand (up to `BATCH`: their
    emits are applied with one write per client) that calls `_subscribed()`
    once it listens and
    raises when the connection is lost (the base reconnects it, after 0.1 s
    doubling to 5 s). It may implement `_reconnect_publisher()` (a fresh
    publishing connection, raising while the broker is unreachable) and
    `_listeners_ready(timeout)` (whether every known process listens again
    after an outage).

    Messages of python-socketio's managers (>= 5.14, JSON) on the same
    channel are read too; with ``relay_format="python-socketio"`` this
    process publishes that format, so that python-socketio servers apply
    its operations. Pickled messages (python-socketio < 5.14) are dropped
    with a warning unless `accept_pickle`.

    Publishing goes through a bounded outbox (`buffer_size` messages; when
    it is full, `buffer_full` says which go: ``"drop-oldest"`` or
    ``"drop-newest"``) that one task sends in order: emitting never raises
    for the broker, from any number of threads or greenlets.
    """

    name = "pubsub"

    def __init__(
        self,
        channel: str = "flask-socketio",
        write_only: bool = False,
        *,
        buffer_size: int = 10_000,
        buffer_full: str = "drop-oldest",
        relay_format: str = "flask-socketio",
        accept_pickle: bool = False,
    ) -> None:
        if relay_format not in RELAY_FORMATS:
            raise ValueError(f"relay_format must be one of {RELAY_FORMATS}, not {relay_format!r}")
        super().__init__(channel, write_only, buffer_size=buffer_size, buffer_full=buffer_full)
        #: What this process publishes: "flask-socketio" (ours) or
        #: "python-socketio" (its pub/sub JSON, for python-socketio servers on
        #: the channel). Both are always read.
        self.relay_format = relay_format
        #: Read pickled messages (python-socketio before 5.14) with an
        #: unpickler that refuses every class and function.
        self.accept_pickle = accept_pickle
        self._pickle_warned = False
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
            "hello": self._on_hello,
        }

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
        ack = None
        if callback is not None:
            if single is None:
                raise ValueError("an emit with a callback through a message queue needs to=sid")
            ack = [single, target.namespace, self._register_remote_ack(callback)]
        if self.relay_format == "python-socketio":
            data, binary = codec.socketio_data(args)
            self._send("emit", codec.dump_json({
                "method": "emit",
                "event": event,
                "data": data,
                "binary": binary,
                "namespace": target.namespace,
                "room": _rooms_field(target),
                "skip_sid": sorted(target.skip) or None,
                "callback": ack,
                "host_id": self.host_id,
            }))
            return
        fields: Message = {
            "event": event,
            "args": args,
            "namespace": target.namespace,
            "room": _rooms_field(target),
            "skip_sid": sorted(target.skip),
        }
        if ack is not None:
            fields["callback"] = ack
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

    # -- acks across processes -------------------------------------------------

    def _register_remote_ack(self, callback: Callable[..., Any]) -> int:
        with self._ack_lock:
            self._next_ack += 1
            self._remote_acks[self._next_ack] = callback
            return self._next_ack

    def forget_ack(self, callback: Callable[..., Any]) -> None:
        """Forget the pending acks of another process's client that would
        call `callback` (its `call()` timed out: a late answer is dropped)."""
        with self._ack_lock:
            for ack_id in [i for i, c in self._remote_acks.items() if c is callback]:
                del self._remote_acks[ack_id]

    # -- messages of other processes -------------------------------------------

    def _receive(self, raw: bytes) -> None:
        """Apply one message of another process; a malformed one is dropped
        whole with one warning line."""
        try:
            if raw[:1] == codec.PICKLE_START:
                if not self.accept_pickle:
                    if not self._pickle_warned:
                        self._pickle_warned = True
                        log.warning(
                            "pickled relay message on channel %s dropped (python-socketio "
                            "before 5.14?): upgrade the sender, or set accept_pickle=True; "
                            "later ones are dropped silently", self.channel,
                        )
                    return
                message = codec.unpickle(raw)
            else:
                message = loads(raw)
            method = codec.text(message, "method")
            if method != "callback" and message.get("host_id") == self.host_id:
                return  # our own operation, applied here when it was made
            if self.observer is not None:
                self.observer.relay_received(method, len(raw))
            handler = self._handlers.get(method)
            if handler is None:
                # Components' own messages (a colon in the name) are for
                # the processes that use the component.
                if ":" not in method:
                    log.warning("relay message with unknown method %r dropped", method)
                return
            handler(message)
        except BadMessage as exc:
            log.warning(
                "malformed relay message on channel %s dropped (%s): %.200r",
                self.channel, exc, raw,
            )
            if self.observer is not None:
                self.observer.relay_failed("receive")
        except Exception:
            log.exception("relay message on channel %s failed", self.channel)
            if self.observer is not None:
                self.observer.relay_failed("receive")

    def _on_emit(self, message: Message) -> None:
        # Every field is checked before anything is done: dropped whole or applied.
        event = codec.text(message, "event")
        theirs = "args" not in message and "data" in message  # python-socketio's
        args = codec.socketio_args(message) if theirs else codec.arguments(message)
        namespace = codec.text(message, "namespace", optional=True) or "/"
        rooms = codec.rooms(message)
        skip = codec.sids(message)
        info = message.get("callback")
        if info is not None and not (
            isinstance(info, list)
            and len(info) == 3
            and isinstance(info[0], str)
            and isinstance(info[1], str)
            and isinstance(info[2], int)
        ):
            raise BadMessage(f"'callback' is not [sid, namespace, ack id]: {info!r:.60}")
        if self._peer is None:
            return
        callback = None
        if info:
            sid, namespace, ack_id = info
            if not self.is_connected(sid, namespace):
                return
            origin = codec.text(message, "host_id")

            def callback(*args: Any) -> None:
                reply: Message = {"method": "callback", "host_id": origin, "args": list(args)}
                if theirs:
                    reply.update(sid=sid, namespace=namespace, id=ack_id)
                else:
                    reply["ack_id"] = ack_id
                self._send("callback", dumps(reply))

        target = Target.of(namespace, rooms, skip, local=True)
        self._peer.emit_to(target, event, list(args), callback)

    def _on_callback(self, message: Message) -> None:
        if message.get("host_id") != self.host_id:
            return
        ack_id = codec.integer(message, "ack_id" if "ack_id" in message else "id")
        args = codec.arguments(message)
        with self._ack_lock:
            callback = self._remote_acks.pop(ack_id, None)
        if callback is not None:
            callback(*args)

    def _on_disconnect(self, message: Message) -> None:
        sid = codec.text(message, "sid")
        namespace = codec.text(message, "namespace", optional=True) or "/"
        if self._peer is not None and self.is_connected(sid, namespace):
            self._peer.disconnect(sid, namespace=namespace, ignore_queue=True)

    def _on_enter_room(self, message: Message) -> None:
        sid, room = codec.text(message, "sid"), codec.room(message)
        namespace = codec.text(message, "namespace", optional=True) or "/"
        if self.is_connected(sid, namespace):
            super().enter_room(sid, namespace, room)

    def _on_leave_room(self, message: Message) -> None:
        sid, room = codec.text(message, "sid"), codec.room(message)
        namespace = codec.text(message, "namespace", optional=True) or "/"
        if self.is_connected(sid, namespace):
            super().leave_room(sid, namespace, room)

    def _on_close_room(self, message: Message) -> None:
        room = codec.room(message)
        super().close_room(room, codec.text(message, "namespace", optional=True) or "/")


__all__ = ["BATCH", "MAX_PEERS", "RELAY_FORMATS", "PubSubManager", "dumps", "loads"]
