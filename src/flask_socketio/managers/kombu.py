"""Rooms across processes through Kombu: RabbitMQ (``amqp://``) and its other transports."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from typing import Any

from .pubsub import PubSubManager

log = logging.getLogger("flask_socketio.managers")


class KombuManager(PubSubManager[Any]):
    """Relay through a fanout exchange; each process reads its own auto-deleted queue.

    >>> mgr = KombuManager("amqp://guest:guest@127.0.0.1:5672//")  # doctest: +SKIP
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
    ) -> None:
        try:
            import kombu
        except ImportError as exc:
            raise ImportError(
                "this message queue needs the kombu package: "
                "pip install flask-socketio-native[kombu]"
            ) from exc
        super().__init__(channel, write_only)
        self._kombu: Any = kombu
        self.url = url
        self.connection_options = connection_options or {}
        self.exchange = self._kombu.Exchange(
            channel, type="fanout", durable=False, **(exchange_options or {})
        )
        self.queue_options = {"durable": False, "auto_delete": True, **(queue_options or {})}
        self._producer_connection = self._connection()

    def _connection(self) -> Any:
        return self._kombu.Connection(self.url, **self.connection_options)

    def _reopen(self) -> None:
        self._producer_connection = self._connection()

    def _publish(self, data: bytes) -> None:
        with self._producer_connection.Producer() as producer:
            producer.publish(
                data,
                exchange=self.exchange,
                content_type="application/json",
                content_encoding="utf-8",
                declare=[self.exchange],
                retry=True,
                retry_policy={"max_retries": 3},
            )

    def _listen(self) -> Iterator[bytes]:
        queue = self._kombu.Queue(
            f"{self.channel}.{uuid.uuid4().hex}", self.exchange, **self.queue_options
        )
        delay = 1.0
        while True:
            try:
                with self._connection() as connection:
                    with connection.SimpleQueue(queue) as simple_queue:
                        self._set_connected(True)
                        delay = 1.0
                        while True:
                            message = simple_queue.get(block=True)
                            message.ack()
                            yield message.body
            except (OSError, self._kombu.exceptions.KombuError) as exc:
                self._set_connected(False)
                log.warning(
                    "kombu listener lost its connection (%s); retrying in %.0fs", exc, delay
                )
                self._sleep(delay)
                delay = min(delay * 2, 30.0)
