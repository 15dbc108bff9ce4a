"""Client managers: who is in which room, here or across processes.

>>> from_url("redis://127.0.0.1:6379/0").name  # doctest: +SKIP
'redis'
"""

from __future__ import annotations

# The "idna" codec, which every getaddrinfo() of a host name needs, is imported
# at its first use. The managers connect from their own threads: a fork
# (gunicorn --preload) while one of them imports it leaves the child a
# half-imported module, and "unknown encoding: idna" for every connection
# there after. Imported here, in the importing thread, before any fork.
import encodings.idna  # noqa: F401
from typing import Any

from .memory import LocalPeer, Manager, Member
from .pubsub import PubSubManager
from .target import Target, to_args


def from_url(
    url: str, channel: str = "flask-socketio", write_only: bool = False, **options: Any
) -> PubSubManager[Any]:
    """The message-queue manager for `url`: Redis for redis://, rediss://, unix://
    and redis+sentinel:// (see `redis_url`), Kombu otherwise. `options` go to the
    manager (``buffer_size``, ``buffer_full``, ``redis_options``,
    ``connection_options``, ...); an unknown one raises TypeError.

    >>> from_url("redis://127.0.0.1:6379/0", buffer_size=100).buffer_size  # doctest: +SKIP
    100
    """
    from .redis_url import SCHEMES

    if url.startswith(SCHEMES):
        from .redis import RedisManager

        return RedisManager(url, channel=channel, write_only=write_only, **options)
    from .kombu import KombuManager

    return KombuManager(url, channel=channel, write_only=write_only, **options)


__all__ = ["LocalPeer", "Manager", "Member", "PubSubManager", "Target", "from_url", "to_args"]
