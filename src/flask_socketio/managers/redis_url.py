"""A Redis client for a message queue URL: ``redis://``, ``rediss://`` (TLS),
``unix://`` and ``redis+sentinel://`` (the master of a Redis Sentinel service).

A Sentinel URL names the sentinels, the service and optionally the database::

    redis+sentinel://[:password@]host:port[,host:port...]/service[/db]

The password, and the ``ssl*`` query arguments of a ``rediss://`` URL, go to
redis-py as they are; ``sentinel_kwargs`` among the options go to the
sentinels themselves.

>>> parse_sentinel_url("redis+sentinel://:pw@10.0.0.1:26379,10.0.0.2/mymaster/2")
([('10.0.0.1', 26379), ('10.0.0.2', 26379)], 'mymaster', {'db': 2, 'password': 'pw'})
"""

from __future__ import annotations

import sys
from typing import Any
from urllib.parse import unquote, urlsplit

SENTINEL_SCHEME = "redis+sentinel"
SCHEMES = ("redis://", "rediss://", "unix://", f"{SENTINEL_SCHEME}://")


def parse_sentinel_url(url: str) -> tuple[list[tuple[str, int]], str, dict[str, Any]]:
    """The sentinels, the service name and the connection options of a
    ``redis+sentinel://`` URL; ValueError if it names no sentinel or service."""
    parts = urlsplit(url)
    if parts.scheme != SENTINEL_SCHEME:
        raise ValueError(f"not a {SENTINEL_SCHEME}:// URL: {url!r}")
    credentials, _, hosts = parts.netloc.rpartition("@")
    sentinels = []
    for host in filter(None, hosts.split(",")):
        name, _, port = host.rpartition(":") if ":" in host else (host, "", "")
        sentinels.append((name, int(port) if port else 26379))
    path = [unquote(p) for p in parts.path.split("/") if p]
    if not sentinels or not path or len(path) > 2:
        raise ValueError(
            f"a Sentinel URL is {SENTINEL_SCHEME}://[:password@]host:port[,host:port]/service[/db],"
            f" not {url!r}"
        )
    options: dict[str, Any] = {"db": int(path[1]) if len(path) > 1 else 0}
    if credentials:
        user, _, password = credentials.rpartition(":")
        if user:
            options["username"] = unquote(user)
        options["password"] = unquote(password)
    return sentinels, path[0], options


def connect(url: str, options: dict[str, Any] | None = None) -> Any:
    """A ``redis.Redis`` for `url`, with `options` (redis-py's keyword
    arguments); it connects on first use.

    >>> connect("rediss://127.0.0.1:6380/0").connection_pool.connection_class.__name__
    'SSLConnection'
    """
    try:
        import redis.sentinel as _sentinel_module
    except ImportError as exc:
        raise ImportError(
            "a redis:// message queue needs the redis package: "
            "pip install flask-socketio-native[redis]"
        ) from exc
    redis: Any = sys.modules["redis"]
    sentinel_module: Any = _sentinel_module
    options = dict(options or {})
    if not url.startswith(f"{SENTINEL_SCHEME}://"):
        return redis.Redis.from_url(url, **options)
    sentinels, service, connection = parse_sentinel_url(url)
    sentinel_kwargs = options.pop("sentinel_kwargs", None)
    sentinel = sentinel_module.Sentinel(
        sentinels, sentinel_kwargs=sentinel_kwargs, **{**connection, **options}
    )
    return sentinel.master_for(service)
