"""Read and write a message-queue channel directly, as any process on it would.

`WireReader` collects the raw messages of a channel (Redis pub/sub, or a
queue of its own bound to the Kombu fanout exchange); `publish_raw` puts
bytes on the channel.
"""

from __future__ import annotations

import queue
import threading
import uuid
from typing import Any

QUEUES = {
    "redis": ("redis://127.0.0.1:6379/0", 6379),
    "rabbitmq": ("amqp://guest:guest@127.0.0.1:5672//", 5672),
}


class WireReader:
    """Everything published on `channel` of `url` from now on, in order."""

    def __init__(self, url: str, channel: str) -> None:
        self.url, self.channel = url, channel
        self.messages: queue.Queue[bytes] = queue.Queue()
        self._stop = threading.Event()
        ready = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(ready,), daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise TimeoutError(f"could not subscribe to {channel} on {url}")

    def _run(self, ready: threading.Event) -> None:
        if self.url.startswith("redis"):
            import redis

            pubsub = redis.Redis.from_url(self.url).pubsub(ignore_subscribe_messages=True)
            pubsub.subscribe(self.channel)
            while pubsub.get_message(timeout=0.1) is None and not pubsub.subscribed:
                pass
            ready.set()
            while not self._stop.is_set():
                message = pubsub.get_message(timeout=0.2)
                if message and message["type"] == "message":
                    self.messages.put(message["data"])
            pubsub.close()
            return
        import kombu

        exchange = kombu.Exchange(self.channel, type="fanout", durable=False)
        q = kombu.Queue(f"wire.{uuid.uuid4().hex}", exchange, durable=False, auto_delete=True)
        with kombu.Connection(self.url) as connection, connection.SimpleQueue(q) as simple:
            ready.set()
            while not self._stop.is_set():
                try:
                    message = simple.get(timeout=0.2)
                except simple.Empty:
                    continue
                message.ack()
                self.messages.put(message.body)

    def take(self, count: int, timeout: float = 30) -> list[bytes]:
        """The next `count` messages; TimeoutError if they do not come."""
        out = []
        for _ in range(count):
            try:
                out.append(self.messages.get(timeout=timeout))
            except queue.Empty:
                raise TimeoutError(f"{len(out)} of {count} messages arrived") from None
        return out

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)


def publish_raw(url: str, channel: str, data: bytes | str) -> None:
    """Put `data` on the channel as another process would."""
    body = data.encode() if isinstance(data, str) else data
    if url.startswith("redis"):
        import redis

        redis.Redis.from_url(url).publish(channel, body)
        return
    import kombu

    exchange = kombu.Exchange(channel, type="fanout", durable=False)
    with kombu.Connection(url) as connection:
        producer: Any = connection.Producer(exchange=exchange)
        # as python-socketio's Kombu manager: pickles are kombu's binary data
        kind = ({} if body[:1] == b"\x80"
                else {"content_type": "application/json", "content_encoding": "utf-8"})
        producer.publish(body, exchange=exchange, declare=[exchange], **kind)
