"""The buses that carry forwarded polling requests between processes (see
`forward`): Redis pub/sub or a direct exchange of a Kombu broker, each on
connections of its own, apart from the relay's.

>>> bus = RedisBus("redis://127.0.0.1:6379/0", "flask-socketio")  # doctest: +SKIP
>>> for data in bus.listen(host_id, subscribed=lambda: None):  # doctest: +SKIP
...     print(data)
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from typing import Any, Protocol

log = logging.getLogger("flask_socketio.forward")

#: The address every process listens on; a process also listens on its own id.
EVERYONE = "all"


class Bus(Protocol):
    """Moves bytes between processes: to every one, or to one by its id."""

    def publish(self, to: str, data: bytes) -> None:
        """Send `data` to the process `to` (`EVERYONE`: to all of them)."""

    def listen(self, host_id: str, subscribed: Callable[[], None]) -> Iterator[bytes]:
        """What is sent to `host_id` and to everyone, surviving reconnections;
        `subscribed` is called once the bus delivers to this process."""

    def reopen(self) -> None:
        """Make new connections (in a forked process: the parent's are its own)."""


class RedisBus:
    """Forwarding through Redis pub/sub: channel ``<channel>.forward.<to>``.

    >>> bus = RedisBus("redis://127.0.0.1:6379/0", "flask-socketio")  # doctest: +SKIP
    """

    def __init__(self, url: str, channel: str, options: dict[str, Any] | None = None) -> None:
        from . import redis_url

        self.url, self.options = url, options or {}
        self.prefix = f"{channel}.forward."
        self._redis: Any = redis_url.connect(url, self.options)
        self._errors: Any = __import__("redis").exceptions.RedisError

    def publish(self, to: str, data: bytes) -> None:
        self._redis.publish(self.prefix + to, data)

    def reopen(self) -> None:
        from . import redis_url
        from .forking import abandon

        abandon(self._redis)
        self._redis = redis_url.connect(self.url, self.options)

    def listen(self, host_id: str, subscribed: Callable[[], None]) -> Iterator[bytes]:
        from . import redis_url

        while True:
            try:
                pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
                pubsub.subscribe(self.prefix + EVERYONE, self.prefix + host_id)
                subscribed()
                for message in pubsub.listen():
                    if message.get("type") == "message":
                        yield message["data"]
            except self._errors as exc:
                log.warning("forwarding lost its redis connection (%s); retrying", exc)
                yield b""  # lets the forwarder sleep in the way of its async mode
                self._redis = redis_url.connect(self.url, self.options)


class KombuBus:
    """Forwarding through a direct exchange ``<channel>.forward``: each process
    reads its own auto-deleted queue, bound to `EVERYONE` and to its id.

    >>> bus = KombuBus("amqp://guest:guest@127.0.0.1:5672//", "flask-socketio")  # doctest: +SKIP
    """

    def __init__(self, url: str, channel: str, options: dict[str, Any] | None = None) -> None:
        import kombu as kombu_module

        kombu: Any = kombu_module
        self._kombu = kombu
        self.url, self.options = url, options or {}
        self.name = f"{channel}.forward"
        self.exchange = kombu.Exchange(self.name, type="direct", durable=False)
        self._producer: Any = kombu.Connection(url, **self.options)
        self._lock = threading.Lock()

    def publish(self, to: str, data: bytes) -> None:
        # A kombu connection is not safe to share: one publisher at a time.
        with self._lock, self._producer.Producer() as producer:
            producer.publish(
                data,
                exchange=self.exchange,
                routing_key=to,
                content_type="application/octet-stream",
                declare=[self.exchange],
                retry=True,
                retry_policy={"max_retries": 3},
            )

    def reopen(self) -> None:
        from .forking import abandon

        abandon(self._producer)
        self._producer = self._kombu.Connection(self.url, **self.options)
        self._lock = threading.Lock()

    def listen(self, host_id: str, subscribed: Callable[[], None]) -> Iterator[bytes]:
        kombu = self._kombu
        queue = kombu.Queue(
            f"{self.name}.{host_id}",
            bindings=[
                kombu.binding(self.exchange, routing_key=EVERYONE),
                kombu.binding(self.exchange, routing_key=host_id),
            ],
            durable=False,
            auto_delete=True,
        )
        while True:
            try:
                with kombu.Connection(self.url, **self.options) as connection:
                    with connection.SimpleQueue(queue) as simple_queue:
                        subscribed()
                        while True:
                            message = simple_queue.get(block=True)
                            message.ack()
                            yield message.body
            except (OSError, kombu.exceptions.KombuError) as exc:
                log.warning("forwarding lost its kombu connection (%s); retrying", exc)
                yield b""


__all__ = ["EVERYONE", "Bus", "KombuBus", "RedisBus"]
