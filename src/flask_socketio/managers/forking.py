"""What a forked process does with the connections of its parent: keeps them,
never closes them.

Closing a redis-py client takes its connection pool's lock. A fork
(gunicorn --preload) while a thread of the parent held that lock leaves the
child a lock nobody will release, so a child that lets its parent's client go
(and the garbage collector close it) hangs forever. A manager or a forwarder
that makes its own connections after a fork hands the parent's here instead.

>>> inherited = object()
>>> abandon(inherited)
>>> inherited in _ABANDONED
True
"""

from __future__ import annotations

#: The parents' connections, one per manager or bus per fork: never closed.
_ABANDONED: list[object] = []


def abandon(connection: object) -> None:
    """Keep `connection`, made in the parent process, from ever being closed here."""
    _ABANDONED.append(connection)


__all__ = ["abandon"]
