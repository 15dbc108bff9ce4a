"""The relay's link to a message queue: publishing, listening, readiness.

`PubSubLink` is the half of `PubSubManager` that does not know what the
messages mean: it publishes through a bounded `Outbox` (one task, in
order), runs the listener and reconnects it when the connection is lost,
and tells whether this process is ready (subscribed, the other processes it
has heard say hello, one log line when the broker is lost and one when it
is back). What the messages mean, the operations published and the handler
of each message method, is `pubsub.PubSubManager`'s.

>>> from flask_socketio.managers import PubSubManager
>>> manager = PubSubManager()
>>> isinstance(manager, PubSubLink), manager.subscribed, manager.peers
(True, False, frozenset())
"""

from __future__ import annotations

import atexit
import logging
import threading
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from . import codec
from .codec import BadMessage, Message, dumps
from .memory import LocalPeer, M, Manager
from .outbox import FIRST_RETRY, LAST_RETRY, Outbox, check_options

if TYPE_CHECKING:
    from ..drivers import Driver, Task
    from .observer import RelayObserver

log = logging.getLogger("flask_socketio.managers")

#: The most messages the listener applies in one go (one write per client).
BATCH = 64
#: The most other processes one remembers (anyone who can publish can say hello).
MAX_PEERS = 1024


class PubSubLink(Manager[M]):
    """The connection side of the message-queue managers (see the module);
    `PubSubManager` adds what the messages mean (`_receive`), and its
    subclasses the transport (`_publish`, `_subscribe`, ...)."""

    def __init__(
        self,
        channel: str = "flask-socketio",
        write_only: bool = False,
        *,
        buffer_size: int = 10_000,
        buffer_full: str = "drop-oldest",
    ) -> None:
        super().__init__()
        check_options(buffer_size, buffer_full)
        self.channel = channel
        self.write_only = write_only
        self.buffer_size = buffer_size
        self.buffer_full = buffer_full
        self.host_id = uuid.uuid4().hex
        self._driver: Driver | None = None
        self._listener: Task | None = None
        self._outbox: Outbox | None = None
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

    # -- readiness -------------------------------------------------------------

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

    #: Whether `peer_count` asks the message queue (else it is None).
    counts_peers = False

    def peer_count(self) -> int | None:
        """How many other processes listen on the channel, or None when the
        message queue cannot tell (broadcast acks then count the processes
        that announce themselves)."""
        return None

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

    # -- life cycle ------------------------------------------------------------

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

    # -- publishing ------------------------------------------------------------

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

    # -- the listener ----------------------------------------------------------

    def _relay(self) -> None:
        if type(self)._listen is not PubSubLink._listen:
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
        """Apply one message of another process (`PubSubManager` does)."""
        raise NotImplementedError

    def _subscribed(self) -> None:
        """Called by `_subscribe` once it listens: ready, and say hello."""
        self._set_connected(True)
        if "listener" in self._failing:
            self._set_health("listener", True, "listening again")
        self._relay_op("hello")

    def _on_hello(self, message: Message) -> None:
        """Another process subscribed, or answers our hello: remember it."""
        host = codec.text(message, "host_id")
        if host not in self._peers and len(self._peers) >= MAX_PEERS:
            raise BadMessage(f"more than {MAX_PEERS} processes say hello on this channel")
        self._peers[host] = self._monotonic()
        if not message.get("reply"):
            # It (re)subscribed: it learns of us, and we show we are alive.
            self._relay_op("hello", reply=True)

    # -- transport, provided by subclasses -------------------------------------

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


__all__ = ["BATCH", "MAX_PEERS", "PubSubLink"]
