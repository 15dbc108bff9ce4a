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
"""

from __future__ import annotations

import atexit
import logging
import threading
import uuid
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from . import codec
from .codec import BadMessage, Message, dumps, loads
from .memory import LocalPeer, M, Manager, Room
from .outbox import FIRST_RETRY, LAST_RETRY, Outbox, check_options
from .target import Target

if TYPE_CHECKING:
    from ..drivers import Driver, Task
    from .observer import RelayObserver

log = logging.getLogger("flask_socketio.managers")


RELAY_FORMATS = ("flask-socketio", "python-socketio")
#: The most messages the listener applies in one go (one write per client).
BATCH = 64
#: The most other processes one remembers (anyone who can publish can say hello).
MAX_PEERS = 1024


def _rooms_field(target: Target) -> Any:
    """A target's rooms as the relay spells them: one name, a list, or None."""
    rooms = target.rooms
    if rooms is None:
        return None
    return rooms[0] if len(rooms) == 1 else list(rooms)


class PubSubManager(Manager[M]):
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
        super().__init__()
        if relay_format not in RELAY_FORMATS:
            raise ValueError(f"relay_format must be one of {RELAY_FORMATS}, not {relay_format!r}")
        #: What this process publishes: "flask-socketio" (ours) or
        #: "python-socketio" (its pub/sub JSON, for python-socketio servers on
        #: the channel). Both are always read.
        self.relay_format = relay_format
        #: Read pickled messages (python-socketio before 5.14) with an
        #: unpickler that refuses every class and function.
        self.accept_pickle = accept_pickle
        self._pickle_warned = False
        check_options(buffer_size, buffer_full)
        self.channel = channel
        self.write_only = write_only
        self.buffer_size = buffer_size
        self.buffer_full = buffer_full
        self.host_id = uuid.uuid4().hex
        self._driver: Driver | None = None
        self._listener: Task | None = None
        self._outbox: Outbox | None = None
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
        self._connected = False
        self._subscribed_event: Any = threading.Event()
        # host id -> when it last said hello (monotonic): the processes to
        # wait for after an outage.
        self._peers: dict[str, float] = {}
        self._lost_at = 0.0
        # What is failing now ("listener", "publisher"): one log line when
        # the first part fails, one when the last is back.
        self._failing: set[str] = set()
        self._health_lock = threading.Lock()
        #: Told of messages published and received and of failures (the
        #: metrics), or None.
        self.observer: RelayObserver | None = None

    @property
    def connected(self) -> bool:
        """Whether the listener is subscribed to the message queue now
        (False before it first is, and while it reconnects): a health check
        reads it. Subclasses report it with `_set_connected`."""
        return self._connected

    @property
    def subscribed(self) -> bool:
        """Whether this process listens to the message queue now (the same as
        `connected`; always False for a write-only manager)."""
        return self._connected

    def wait_subscribed(self, timeout: float | None = None) -> bool:
        """Wait until the listener is subscribed, `timeout` seconds at most;
        returns whether it is. Operations published by others before then
        do not reach this process.

        >>> manager.wait_subscribed(5)  # doctest: +SKIP
        True
        """
        return bool(self._subscribed_event.wait(timeout))

    @property
    def peers(self) -> frozenset[str]:
        """The host ids of the other processes that listen on this channel, as
        far as this one has heard (each says hello when it subscribes)."""
        return frozenset(self._peers)

    def _set_connected(self, connected: bool) -> None:
        self._connected = connected
        if connected:
            self._subscribed_event.set()
        else:
            self._subscribed_event.clear()
        if self.observer is not None:
            self.observer.relay_connection(connected)

    def _set_health(self, part: str, up: bool, detail: str) -> None:
        """Log one line when the broker is lost and one when it is back,
        whichever part (listener or publisher) notices."""
        with self._health_lock:
            was_failing = bool(self._failing)
            if up:
                self._failing.discard(part)
            else:
                self._failing.add(part)
            now_failing = bool(self._failing)
        if now_failing and not was_failing:
            self._lost_at = self._monotonic()
            log.warning("message queue %s on channel %s lost: %s", self.name, self.channel, detail)
        elif was_failing and not now_failing:
            log.warning("message queue %s on channel %s back: %s", self.name, self.channel, detail)

    def attach(self, peer: LocalPeer, driver: Driver) -> None:
        super().attach(peer, driver)
        self._driver = driver
        was_set = self._subscribed_event.is_set()
        self._subscribed_event = driver.Event()
        if was_set:
            self._subscribed_event.set()
        if self._outbox is None:
            self._outbox = Outbox(
                driver,
                self._publish_message,
                reconnect=self._reconnect_publisher,
                ready=self._ready_after_outage,
                health=lambda up, detail: self._set_health("publisher", up, detail),
                size=self.buffer_size,
                full=self.buffer_full,
                name=f"message queue {self.name}",
            )
            # What a short-lived emitter (a script, a worker) published
            # leaves before the process exits.
            atexit.register(self._outbox.flush, 5.0)
        if not self.write_only:
            # Its listener blocks in the queue client: unpatched green modes stall.
            driver.warn_unpatched(f"the message queue client ({self.name})")
            if self._listener is None:
                self._listener = driver.spawn(self._relay)

    def after_fork(self) -> None:
        """In a process forked after `attach` (gunicorn --preload): the
        listener and the outbox's task stayed in the parent, whose
        connections and id are its own; start anew here, under a new id
        (with the parent's, the relay would take the other workers'
        messages for its own)."""
        driver, peer = self._driver, self._peer
        if driver is None or peer is None:
            return
        self.host_id = uuid.uuid4().hex
        self._peers.clear()
        self._reopen()
        self._outbox = None
        self._listener = None
        self._subscribed_event = driver.Event()
        self.attach(peer, driver)

    def _reopen(self) -> None:
        """Replace the publishing connection (after a fork); subclasses do."""

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until every operation published so far has left for the
        broker, `timeout` seconds at most; returns whether all have.

        >>> socketio.server.manager.flush(2)  # doctest: +SKIP
        True
        """
        return self._outbox is None or self._outbox.flush(timeout)

    def _sleep(self, seconds: float) -> None:
        """Wait between reconnection attempts, in the way of the async mode."""
        if self._driver is not None:
            self._driver.sleep(seconds)

    def _monotonic(self) -> float:
        return self._driver.monotonic() if self._driver is not None else 0.0

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

    def _relay_op(self, method: str, **fields: Any) -> None:
        self._send(method, dumps({"method": method, **fields, "host_id": self.host_id}))

    def _send(self, method: str, data: bytes) -> None:
        if self._outbox is None:
            self._publish_message(method, data)  # not attached to a server yet
        else:
            self._outbox.put(method, data)

    def _publish_message(self, method: str, data: bytes) -> None:
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

    def forget_ack(self, callback: Callable[..., Any]) -> None:
        """Forget the pending acks of another process's client that would
        call `callback` (its `call()` timed out: a late answer is dropped)."""
        with self._ack_lock:
            for ack_id in [i for i, c in self._remote_acks.items() if c is callback]:
                del self._remote_acks[ack_id]

    # -- the relay ------------------------------------------------------------

    def _relay(self) -> None:
        if type(self)._listen is not PubSubManager._listen:
            for raw in self._listen():  # a subclass that reads one by one
                self._receive(raw)
            return
        batched = getattr(self._peer, "batched_sends", None)
        for batch in self._batches():
            if len(batch) == 1 or batched is None:
                for raw in batch:
                    self._receive(raw)
                continue
            # The emits at hand: each client gets its share in one write.
            with batched():
                for raw in batch:
                    self._receive(raw)

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

    def _subscribed(self) -> None:
        """Called by `_subscribe` once it listens: ready, and say hello."""
        self._set_connected(True)
        if "listener" in self._failing:
            self._set_health("listener", True, "listening again")
        self._relay_op("hello")

    def _on_hello(self, message: Message) -> None:
        host = codec.text(message, "host_id")
        if host not in self._peers and len(self._peers) >= MAX_PEERS:
            raise BadMessage(f"more than {MAX_PEERS} processes say hello on this channel")
        self._peers[host] = self._monotonic()
        if not message.get("reply"):
            # It (re)subscribed: it learns of us, and we show we are alive.
            self._relay_op("hello", reply=True)

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

    # -- transport, provided by subclasses --------------------------------------

    def _publish(self, data: bytes) -> None:
        raise NotImplementedError

    def _reconnect_publisher(self) -> None:
        """Make a fresh publishing connection; raise while the broker is down."""

    def _listeners_ready(self, timeout: float) -> bool:
        """Wait until the known processes listen again after an outage."""
        return True

    def _ready_after_outage(self, timeout: float) -> bool:
        """`_listeners_ready`; when some process never comes back, forget those
        not heard from since the outage began (the live ones say hello when
        they subscribe again, and answer ours), so later outages do not wait
        for them."""
        if self._listeners_ready(timeout):
            return True
        gone = [host for host, seen in list(self._peers.items()) if seen < self._lost_at]
        for host in gone:
            self._peers.pop(host, None)
        if gone:
            log.info(
                "message queue %s on channel %s: %d processes did not come back, forgotten",
                self.name, self.channel, len(gone),
            )
        return False

    def _subscribe(self) -> Iterator[list[bytes]]:
        """Listen: yield the raw messages at hand (up to `BATCH`) each time."""
        raise NotImplementedError

    def _listen(self) -> Iterator[bytes]:
        """The raw messages of the other processes, one by one, across
        reconnections (a subclass may provide this instead of `_subscribe`)."""
        for batch in self._batches():
            yield from batch

    def _batches(self) -> Iterator[list[bytes]]:
        """The batches of `_subscribe`, across reconnections."""
        delay = FIRST_RETRY
        while True:
            try:
                yield from self._subscribe()
            except Exception as exc:  # noqa: BLE001 - whatever the client raises
                if self._connected:
                    delay = FIRST_RETRY  # it worked for a while: retry soon
                self._set_connected(False)
                if self._outbox is not None:
                    self._outbox.mark_stale()
                self._set_health(
                    "listener", False,
                    f"{type(exc).__name__}: {exc}; reconnecting in the background",
                )
                self._sleep(delay)
                delay = min(delay * 2, LAST_RETRY)
