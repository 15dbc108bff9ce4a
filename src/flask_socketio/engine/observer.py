"""What the engine tells an observer (metrics, the admin UI): `EngineObserver`.

The engine holds one observer or None (``Server.observer``, copied to each
session it makes). Every hook site is a single ``is None`` test, so that an
engine nobody observes pays nothing more; an observer is called on the hot
paths (each packet in and out) and must be quick and must not raise.

>>> class Counting:
...     def __init__(self):
...         self.handshakes = 0
...     def session_opened(self, session, environ):
...         self.handshakes += 1
...     def session_upgraded(self, session): pass
...     def session_closed(self, session, reason): pass
...     def packets_received(self, session, count, size): pass
...     def packets_sent(self, session, count, size): pass
...     def packets_dropped(self, session, count): pass
...     def queue_overflow(self, session): pass
>>> from flask_socketio.drivers import load_driver
>>> from flask_socketio.engine import Server
>>> engine = Server(load_driver("threading"))
>>> engine.observe(Counting())
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from .._types import Environ

if TYPE_CHECKING:
    from .session import Session


class EngineObserver(Protocol):
    """The events of the Engine.IO layer an observer is told of."""

    def session_opened(self, session: Session, environ: Environ) -> None:
        """A handshake was accepted (`session.transport`: the first transport)."""

    def session_upgraded(self, session: Session) -> None:
        """A polling session moved to a websocket."""

    def session_closed(self, session: Session, reason: str) -> None:
        """A session ended (`reason`: one of the engine's disconnect reasons)."""

    def packets_received(self, session: Session, count: int, size: int) -> None:
        """`count` packets arrived from the client, `size` bytes on the wire
        (a websocket message, or a polling POST body)."""

    def packets_sent(self, session: Session, count: int, size: int) -> None:
        """`count` packets went to the client, `size` bytes on the wire
        (websocket frames, or a polling GET body)."""

    def packets_dropped(self, session: Session, count: int) -> None:
        """`count` volatile packets were dropped from the session's outgoing
        queue, which was over its bounds (a slow consumer's first remedy)."""

    def queue_overflow(self, session: Session) -> None:
        """The session's outgoing queue went over its bounds with nothing left
        to drop (``max_queue_size``, ``max_queue_bytes``): the session is
        being closed as a slow consumer."""
