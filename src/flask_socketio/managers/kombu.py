"""Rooms across processes through Kombu: RabbitMQ (``amqp://``) and its other transports."""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Iterator
from typing import Any

from .forking import abandon
from .pubsub import BATCH, PubSubManager

log = logging.getLogger("flask_socketio.managers")

#: How many message ids a listener remembers to drop a message the broker has twice.
RECENT_IDS = 8192


class RecentIds:
    """The last `size` message ids seen: says whether an id is a repeat.

    >>> seen = RecentIds(2)
    >>> seen.repeat("a"), seen.repeat("a"), seen.repeat(None)
    (False, True, False)
    """

    def __init__(self, size: int = RECENT_IDS) -> None:
        self._order: deque[str] = deque()
        self._ids: set[str] = set()
        self._size = size

    def repeat(self, message_id: str | None) -> bool:
        """Whether `message_id` was seen (then it is a copy); remembers it if not."""
        if message_id is None:
            return False  # another publisher's (python-socketio's): nothing to tell
        if message_id in self._ids:
            return True
        self._ids.add(message_id)
        self._order.append(message_id)
        if len(self._order) > self._size:
            self._ids.discard(self._order.popleft())
        return False


class KombuManager(PubSubManager[Any]):
    """Relay through a fanout exchange; each process reads its own auto-deleted
    queue, named ``<channel>.<host_id>``.

    >>> mgr = KombuManager("amqp://guest:guest@127.0.0.1:5672//")  # doctest: +SKIP

    Publishing waits for the broker's confirmation of each message (on
    RabbitMQ), so that none is lost in a connection that just broke: the
    outbox sends it again once the broker is back. The broker may then have
    it twice (the confirmation was what got lost), and it delivers again a
    message whose ack was lost: each message carries an id (this process's
    and a count, the same when it is sent again), and a listener drops an id
    it has seen. `relay_options` are those of `PubSubManager`
    (``buffer_size``, ``buffer_full``).
    """

    name = "kombu"

    def __init__(
        self,
        url: str = "amqp://guest:guest@127.0.0.1:5672//",
        channel: str = "flask-socketio",
        write_only: bool = False,
        connection_options: dict[str, Any] | None = None,
        exchange_options: dict[str, Any] | None = None,
        queue_options: dict[str, Any] | None = None,
        **relay_options: Any,
    ) -> None:
        try:
            import kombu
        except ImportError as exc:
            raise ImportError(
                "this message queue needs the kombu package: "
                "pip install flask-socketio-native[kombu]"
            ) from exc
        super().__init__(channel, write_only, **relay_options)
        self._kombu: Any = kombu
        self.url = url
        self.connection_options = connection_options or {}
        self.exchange = self._kombu.Exchange(
            channel, type="fanout", durable=False, **(exchange_options or {})
        )
        self.queue_options = {"durable": False, "auto_delete": True, **(queue_options or {})}
        self._producer_connection = self._connection(confirm=True)
        self._producer: Any = None
        self._published = 0
        #: The message whose publish failed: sent again, it keeps its id.
        self._unconfirmed: bytes | None = None
        self._seen = RecentIds()

    def _connection(self, confirm: bool = False) -> Any:
        options = dict(self.connection_options)
        if confirm and self.url.startswith(("amqp", "pyamqp")):
            options["transport_options"] = {
                "confirm_publish": True, **options.get("transport_options", {})
            }
        return self._kombu.Connection(self.url, **options)

    def _queue_name(self, host_id: str) -> str:
        return f"{self.channel}.{host_id}"

    def _reopen(self) -> None:
        abandon(self._producer_connection)  # the parent's: never closed here
        self._producer_connection = self._connection(confirm=True)
        self._producer = None

    def _publish(self, data: bytes) -> None:
        if data is not self._unconfirmed:  # a new message (the outbox retries the same)
            self._published += 1
            self._unconfirmed = data
        if self._producer is None:
            self._producer = self._producer_connection.Producer(exchange=self.exchange)
            self.exchange(self._producer.channel).declare()
        self._producer.publish(
            data,
            exchange=self.exchange,
            content_type="application/json",
            content_encoding="utf-8",
            retry=False,
            message_id=f"{self.host_id}.{self._published}",
        )
        self._unconfirmed = None

    def _reconnect_publisher(self) -> None:
        old = self._producer_connection
        self._producer = None
        try:
            old.release()
        except Exception:  # noqa: BLE001, S110 - it is broken already
            pass
        connection = self._connection(confirm=True)
        connection.connect()
        self._producer_connection = connection

    def _listeners_ready(self, timeout: float) -> bool:
        # Each process we know of reads its own queue: wait until every one
        # of them has a consumer again (the broker may have lost them all).
        deadline = self._monotonic() + timeout
        waiting = {self._queue_name(host) for host in list(self._peers)}
        while True:
            for name in sorted(waiting):
                try:
                    channel = self._producer_connection.channel()
                    try:
                        _, _, consumers = channel.queue_declare(queue=name, passive=True)
                    finally:
                        channel.close()
                except Exception:  # noqa: BLE001 - not declared again yet
                    consumers = 0
                if consumers:
                    waiting.discard(name)
            own = self.write_only or self._connected
            if not waiting and own:
                return True
            if self._monotonic() >= deadline:
                return False
            self._sleep(0.05)

    def _subscribe(self) -> Iterator[list[bytes]]:
        queue = self._kombu.Queue(
            self._queue_name(self.host_id), self.exchange, **self.queue_options
        )
        arrived: deque[Any] = deque()
        with self._connection() as connection:
            # on_message: the raw bodies, never decoded by kombu (a message
            # it cannot decode is ours to drop, not a broken connection)
            with connection.Consumer([queue], on_message=arrived.append):
                self._subscribed()
                while True:
                    try:
                        connection.drain_events(timeout=1.0)
                        while len(arrived) < BATCH:  # what is at hand
                            connection.drain_events(timeout=0)
                    except TimeoutError:
                        pass
                    if not arrived:
                        continue
                    batch: list[bytes] = []
                    while arrived and len(batch) < BATCH:
                        message = arrived.popleft()
                        message.ack()
                        if not self._seen.repeat(message.properties.get("message_id")):
                            batch.append(message.body)
                    yield batch
