"""The outgoing queue's bounds of a `Session`: the slow-consumer policy.

What waits to be sent (on a polling session until the next GET, on a
websocket while another thread writes or a writer task drains a slow
client) is bounded by `max_queue_size` packets and `max_queue_bytes` bytes.
A client over its bounds loses its volatile packets first, whole messages
at a time (`volatile_overflow`: the newest or the oldest); with none left to
drop, it is disconnected as a slow consumer.

Each function here is a method of `Session` (its `self`), attached to the
class in session.py (see session_polling.py); `_enqueue` and `_drop_volatile`
run under the session's lock, `_too_slow` without it (it closes the session).

>>> _size(eio.Packet(eio.MESSAGE, "hello"))
6
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING

from ..wire import engineio as eio
from .state import SLOW_CONSUMER

if TYPE_CHECKING:
    from .session import Session

log = logging.getLogger("flask_socketio.engine")


def _size(packet: eio.Packet) -> int:
    """About the bytes a packet takes on the wire."""
    data = packet.data
    return 1 if data is None else len(data) + 1


def _enqueue(self: Session, packets: Iterable[eio.Packet]) -> bool:
    """Queue `packets` (the lock held); False when the client is over its
    bounds with no volatile packet left to drop."""
    queue = self.queue
    for packet in packets:
        queue.append(packet)
        self.queued_bytes += _size(packet)
    config = self.config
    limit = config.max_queue_bytes - self.in_flight
    while len(queue) > config.max_queue_size or self.queued_bytes > limit:
        if not self._drop_volatile(config.volatile_overflow == "drop_oldest"):
            return False
    return True


def _drop_volatile(self: Session, oldest: bool) -> bool:
    """Drop the packets of one volatile message (the lock held)."""
    queue = self.queue
    order = range(len(queue)) if oldest else range(len(queue) - 1, -1, -1)
    group = next((queue[i].volatile for i in order if queue[i].volatile), 0)
    if not group:
        return False
    kept = [packet for packet in queue if packet.volatile != group]
    dropped = len(queue) - len(kept)
    self.queued_bytes -= sum(_size(p) for p in queue if p.volatile == group)
    queue.clear()
    queue.extend(kept)
    self.dropped += dropped
    if self.observer is not None:
        self.observer.packets_dropped(self, dropped)
    return True


def _too_slow(self: Session) -> None:
    log.warning(
        "%s: over %d packets or %d bytes waiting to be sent, closing (slow consumer)",
        self.sid,
        self.config.max_queue_size,
        self.config.max_queue_bytes,
    )
    if self.observer is not None:
        self.observer.queue_overflow(self)
    self.close(SLOW_CONSUMER, notify=False)
