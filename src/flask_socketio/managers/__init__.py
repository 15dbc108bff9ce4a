"""Client managers: who is in which room, here or across processes.

>>> from_url("redis://127.0.0.1:6379/0").name  # doctest: +SKIP
'redis'
"""

from __future__ import annotations

from .memory import Manager
from .pubsub import PubSubManager


def from_url(url: str, channel: str = "flask-socketio", write_only: bool = False) -> PubSubManager:
    """The message-queue manager for `url`: Redis for redis:// and rediss://, Kombu otherwise."""
    if url.startswith(("redis://", "rediss://", "unix://")):
        from .redis import RedisManager

        return RedisManager(url, channel=channel, write_only=write_only)
    from .kombu import KombuManager

    return KombuManager(url, channel=channel, write_only=write_only)


__all__ = ["Manager", "PubSubManager", "from_url"]
