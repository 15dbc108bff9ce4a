"""Client managers: who is in which room, here or across processes.

>>> from_url("redis://127.0.0.1:6379/0").name  # doctest: +SKIP
'redis'
"""

from __future__ import annotations

from typing import Any

from .memory import LocalPeer, Manager, Member
from .pubsub import PubSubManager
from .target import Target, to_args


def from_url(
    url: str, channel: str = "flask-socketio", write_only: bool = False
) -> PubSubManager[Any]:
    """The message-queue manager for `url`: Redis for redis://, rediss://,
    unix:// and redis+sentinel://, Kombu otherwise."""
    from .redis_url import SCHEMES

    if url.startswith(SCHEMES):
        from .redis import RedisManager

        return RedisManager(url, channel=channel, write_only=write_only)
    from .kombu import KombuManager

    return KombuManager(url, channel=channel, write_only=write_only)


__all__ = ["LocalPeer", "Manager", "Member", "PubSubManager", "Target", "from_url", "to_args"]
