"""Rooms across processes through Redis pub/sub (``redis://`` and ``rediss://``)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from .pubsub import PubSubManager

log = logging.getLogger("flask_socketio.managers")


class RedisManager(PubSubManager[Any]):
    """Relay through a Redis channel.

    >>> mgr = RedisManager("redis://127.0.0.1:6379/0", channel="flask-socketio")  # doctest: +SKIP
    """

    name = "redis"

    def __init__(
        self,
        url: str = "redis://127.0.0.1:6379/0",
        channel: str = "flask-socketio",
        write_only: bool = False,
        redis_options: dict[str, Any] | None = None,
    ) -> None:
        try:
            import redis
        except ImportError as exc:
            raise ImportError(
                "a redis:// message queue needs the redis package: "
                "pip install flask-socketio-native[redis]"
            ) from exc
        super().__init__(channel, write_only)
        self._redis_module: Any = redis
        self.url = url
        self.redis_options = redis_options or {}
        self._redis: Any = self._redis_module.Redis.from_url(url, **self.redis_options)

    def _publish(self, data: bytes) -> None:
        for attempt in (1, 2):
            try:
                self._redis.publish(self.channel, data)
                return
            except self._redis_module.exceptions.RedisError:
                if attempt == 2:
                    raise
                log.warning("redis publish failed, reconnecting")
                self._redis = self._redis_module.Redis.from_url(self.url, **self.redis_options)

    counts_peers = True

    def peer_count(self) -> int | None:
        """The other processes subscribed to the channel (PUBSUB NUMSUB)."""
        try:
            [(_, subscribers)] = self._redis.pubsub_numsub(self.channel)
        except self._redis_module.exceptions.RedisError:
            return None
        return max(0, int(subscribers) - (0 if self.write_only else 1))

    def _listen(self) -> Iterator[bytes]:
        delay = 1.0
        while True:
            try:
                pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
                pubsub.subscribe(self.channel)
                self._set_connected(True)
                delay = 1.0
                for message in pubsub.listen():
                    if message.get("type") == "message":
                        yield message["data"]
            except self._redis_module.exceptions.RedisError as exc:
                self._set_connected(False)
                log.warning(
                    "redis listener lost its connection (%s); retrying in %.0fs", exc, delay
                )
                self._sleep(delay)
                delay = min(delay * 2, 30.0)
                self._redis = self._redis_module.Redis.from_url(self.url, **self.redis_options)
