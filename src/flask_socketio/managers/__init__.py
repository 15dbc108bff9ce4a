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
    url: str, channel: str = "flask-socketio", write_only: bool = False, **options: Any
) -> PubSubManager[Any]:
    """The message-queue manager for `url`: Redis for redis:// and rediss://, Kombu
    otherwise. `options` go to the manager (``buffer_size``, ``buffer_full``,
    ``redis_options``, ``connection_options``, ...); an unknown one raises TypeError.

    >>> from_url("redis://127.0.0.1:6379/0", buffer_size=100).buffer_size  # doctest: +SKIP
    100
    """
    if url.startswith(("redis://", "rediss://", "unix://")):
        from .redis import RedisManager

        return RedisManager(url, channel=channel, write_only=write_only, **options)
    from .kombu import KombuManager

    return KombuManager(url, channel=channel, write_only=write_only, **options)


__all__ = ["LocalPeer", "Manager", "Member", "PubSubManager", "Target", "from_url", "to_args"]
