"""Rooms across processes through Redis pub/sub (``redis://``, ``rediss://``
over TLS, ``unix://``, and ``redis+sentinel://`` through Redis Sentinel: see
`redis_url`)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from . import redis_url
from .forking import abandon
from .pubsub import BATCH, PubSubManager

log = logging.getLogger("flask_socketio.managers")


class RedisManager(PubSubManager[Any]):
    """Relay through a Redis channel.

    >>> mgr = RedisManager("redis://127.0.0.1:6379/0", channel="flask-socketio")  # doctest: +SKIP

    `relay_options` are those of `PubSubManager` (``buffer_size``,
    ``buffer_full``).
    """

    name = "redis"

    def __init__(
        self,
        url: str = "redis://127.0.0.1:6379/0",
        channel: str = "flask-socketio",
        write_only: bool = False,
        redis_options: dict[str, Any] | None = None,
        **relay_options: Any,
    ) -> None:
        try:
            import redis
        except ImportError as exc:
            raise ImportError(
                "a redis:// message queue needs the redis package: "
                "pip install flask-socketio-native[redis]"
            ) from exc
        super().__init__(channel, write_only, **relay_options)
        self._redis_module: Any = redis
        self.url = url
        self.redis_options = redis_options or {}
        self._redis: Any = self._client()

    def _client(self) -> Any:
        return redis_url.connect(self.url, self.redis_options)

    def _publish(self, data: bytes) -> None:
        self._redis.publish(self.channel, data)

    def _reopen(self) -> None:
        abandon(self._redis)  # closing it could wait on a lock held at the fork
        self._redis = self._client()

    counts_peers = True

    def peer_count(self) -> int | None:
        """The other processes subscribed to the channel (PUBSUB NUMSUB)."""
        try:
            [(_, subscribers)] = self._redis.pubsub_numsub(self.channel)
        except self._redis_module.exceptions.RedisError:
            return None
        return max(0, int(subscribers) - (0 if self.write_only else 1))

    def _reconnect_publisher(self) -> None:
        client = self._client()
        client.ping()
        self._redis = client

    def _listeners_ready(self, timeout: float) -> bool:
        # Redis counts the subscribers of the channel: everyone we know of,
        # and ourselves unless we only write.
        wanted = len(self._peers) + (0 if self.write_only else 1)
        deadline = self._monotonic() + timeout
        while True:
            try:
                ((_, count),) = self._redis.pubsub_numsub(self.channel)
                if int(count) >= wanted:
                    return True
            except self._redis_module.exceptions.RedisError:
                pass
            if self._monotonic() >= deadline:
                return False
            self._sleep(0.05)

    def _subscribe(self) -> Iterator[list[bytes]]:
        pubsub = self._client().pubsub()
        try:
            pubsub.subscribe(self.channel)
            while True:
                batch: list[bytes] = []
                message = pubsub.get_message(timeout=1.0)
                while message is not None:
                    kind = message.get("type")
                    if kind == "message":
                        batch.append(message["data"])
                    elif kind == "subscribe":
                        self._subscribed()  # Redis confirmed: we hear what follows
                    if len(batch) >= BATCH:
                        break
                    message = pubsub.get_message(timeout=0.0)  # what is at hand
                if batch:
                    yield batch
        finally:
            pubsub.close()
