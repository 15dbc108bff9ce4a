"""The state of a client that dropped out, as a recovery store keeps it
(see `recovery`).

>>> session = SavedSession("pid1", "sid1", "/", ["sid1", "lobby"], None, now=1.0)
>>> session.disconnected_at
1.0
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class SavedSession:
    """A client's state, kept from its disconnection until it comes back or
    the time runs out."""

    pid: str
    sid: str
    namespace: str
    rooms: list[Any]
    #: The last offset logged when the client connected: a client that
    #: received no event since (and so has no offset of its own) may have
    #: missed anything after it.
    offset: str | None
    now: float
    #: Whatever the server keeps with it (its connection, for the handlers).
    extra: Any = None
    #: What another process needs to recover it (JSON values: its session
    #: data), or None; `RedisRecoveryStore` keeps it in Redis.
    carried: dict[str, Any] | None = None
    #: Which save of the pid this is (`RedisRecoveryStore`: a client may
    #: leave a process, come back elsewhere, and be saved again elsewhere).
    token: str = ""
    disconnected_at: float = field(init=False)

    def __post_init__(self) -> None:
        self.disconnected_at = self.now


__all__ = ["SavedSession"]
