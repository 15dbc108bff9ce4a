"""What a message-queue manager tells an observer (the metrics): `RelayObserver`.

A `PubSubManager` holds one observer or None (``manager.observer``); each
hook site is a single ``is None`` test.

>>> class Published:
...     def __init__(self):
...         self.count = 0
...     def relay_published(self, method, size):
...         self.count += 1
...     def relay_received(self, method, size): pass
...     def relay_failed(self, direction): pass
...     def relay_connection(self, connected): pass
"""

from __future__ import annotations

from typing import Protocol


class RelayObserver(Protocol):
    """The events of the relay between processes an observer is told of."""

    def relay_published(self, method: str, size: int) -> None:
        """A message of `method` (``emit``, ``disconnect``, ...) of `size`
        bytes went to the message queue."""

    def relay_received(self, method: str, size: int) -> None:
        """A message of another process arrived (own messages are not counted)."""

    def relay_failed(self, direction: str) -> None:
        """Publishing failed (`direction` ``"publish"``: the outbox keeps the
        message and tries again) or a message that arrived could not be
        handled (``"receive"``)."""

    def relay_connection(self, connected: bool) -> None:
        """The listener subscribed to the message queue, or lost it."""
