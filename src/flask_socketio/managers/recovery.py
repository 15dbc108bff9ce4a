"""Connection state recovery: what a client missed while it was away.

With recovery on, every event emitted without an ack is kept for a while
with an *offset* (a string the client receives as the event's last
argument), and a client that drops out (transport closed or failed, ping
timeout) has its state saved under a private id, its *pid*. If it comes back
within ``max_disconnection_duration`` with ``{pid, offset}`` in its CONNECT
packet (socket.io-client 4.6 and later do this by themselves), it gets its
sid, rooms and session data back, and every event it missed, in order.

`MemoryRecoveryStore` keeps both in this process, bounded: at most
`max_packets` events in all (the oldest go first) and `max_missed` per
client (a client that missed more reconnects afresh). `RedisRecoveryStore`
keeps them in Redis, where every process of a cluster finds them: a client
that comes back through another process is recovered there.

Each lives in a module of its own (`recovery_session`, `recovery_memory`,
`recovery_redis`); they are imported from here.

>>> store = MemoryRecoveryStore(max_disconnection_duration=120)
>>> start = store.append("/", ("lobby",), frozenset(), ["news", "one"], now=0.0)
>>> store.persist(SavedSession("pid1", "sid1", "/", ["sid1", "lobby"], start, now=1.0))
>>> _ = store.append("/", ("lobby",), frozenset(), ["news", "two"], now=2.0)
>>> _ = store.append("/", ("kitchen",), frozenset(), ["news", "not yours"], now=3.0)
>>> session, missed = store.restore("pid1", start, now=4.0)
>>> session.sid, [data[:2] for data in missed]
('sid1', [['news', 'two']])
"""

from __future__ import annotations

from .recovery_memory import MemoryRecoveryStore
from .recovery_redis import RedisRecoveryStore
from .recovery_session import SavedSession

__all__ = ["MemoryRecoveryStore", "RedisRecoveryStore", "SavedSession"]
