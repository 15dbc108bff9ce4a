"""The polling half of a `Session`: a long-polling GET, a POST, an upgrade.

A GET waits for what is queued and takes it all (`poll`); a POST is marked
while its payload is read (`posting_payload`), so that a second one at the
same time is refused; while a websocket upgrades the session, the GET waiting
is ended once the probe is answered (`begin_upgrade`, `probed`,
`abort_upgrade`).

Each function here is a method of `Session` (its `self`), attached to the
class in session.py: one class with its one lock, called as any method of it
(no extra call on the send and receive paths), and checked by mypy against
`Session`.

>>> from flask_socketio.drivers import load_driver
>>> from flask_socketio.engine import EngineConfig, Session
>>> session = Session("sid", 4, EngineConfig.build(), load_driver("threading"), print)
>>> session.begin_upgrade(), session.begin_upgrade()
(True, False)
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from ..wire import engineio as eio
from .state import PING, UPGRADING, WEBSOCKET

if TYPE_CHECKING:
    from .session import Session

#: Seconds after the probe that a GET which came during an upgrade is ended
#: with a noop (the reference server checks every 100 ms).
PROBE_CHECK = 0.1


class BusyError(Exception):
    """A second GET (or POST) arrived while one was in progress."""


class SwitchedError(Exception):
    """A GET of a session that moved to its websocket (the client gets 400)."""


def poll(self: Session, timeout: float) -> list[eio.Packet]:
    """Wait for queued packets (a long-polling GET) and take them all.

    Protocol v4: the GET waits until something is queued or its session's
    next deadline, and sends the ping itself when that is due (so that an
    idle GET is answered with the ping, on time, not with a noop).
    Protocol v3 (the client pings): at most `timeout` seconds, then a noop.

    During an upgrade, a noop ends the GET (the client stops polling)
    when the websocket's probe is answered, if the GET was waiting
    before the upgrade began, else `PROBE_CHECK` seconds after the probe
    (the reference server's check interval), unless the switch comes
    first; nothing is queued for a GET that is not there. The switch is
    atomic: a GET waiting when it happens, or arriving after, raises
    `SwitchedError`, and what was queued goes to the websocket.
    """
    monotonic = self.driver.monotonic
    with self.lock:
        if self.state.phase == WEBSOCKET:
            raise SwitchedError("the session is on its websocket")
        if self.polling:
            raise BusyError("a GET is already pending")
        self.polling = True
        started = monotonic()
    give_up = started + timeout if self.version == 3 else math.inf
    try:
        wake = self.wake
        if wake is None:
            wake = self.wake = self.driver.Event()
        while True:
            overdue = False
            with self.lock:
                state = self.state
                now = monotonic()
                if state.phase == WEBSOCKET:
                    raise SwitchedError("the session moved to its websocket")
                if not self.queue and not state.closed:
                    due = state.due(now)
                    if due == PING:
                        # Under the lock: the deadline task cannot ping too.
                        state.ping_sent(now)
                        ping = eio.Packet(eio.PING)
                        if self.logger is not None:
                            self._log_packet("Sending", ping)
                        self._enqueue((ping,))
                    elif due is not None:
                        overdue = True
                ends = give_up
                if self.probed_at is not None and state.phase == UPGRADING:
                    early = started < self.upgrade_began
                    ends = min(ends, self.probed_at + (0 if early else PROBE_CHECK))
                if self.queue or state.closed or now >= ends:
                    # This GET is the one a client's close owed a noop.
                    self.last_get_owed = False
                    packets = list(self.queue)
                    self.queue.clear()
                    self.queued_bytes = 0
                    wake.clear()
                    if state.pong_deadline is not None:
                        if any(packet.type == eio.PING for packet in packets):
                            state.ping_delivered(now)
                    break
                wake.clear()
                wait = min(state.next_deadline(), ends) - now
            if overdue:
                self.apply_deadlines(now)
            else:
                wake.wait(max(wait, 0.0))
    finally:
        self.polling = False
    return packets or [eio.Packet(eio.NOOP)]


@contextmanager
def posting_payload(self: Session) -> Iterator[None]:
    """Mark the time a POST's payload is read and decoded; a second POST
    meanwhile raises BusyError."""
    with self.lock:
        if self.posting:
            raise BusyError("a POST is already in progress")
        self.posting = True
    try:
        yield
    finally:
        self.posting = False


def begin_upgrade(self: Session) -> bool:
    """A websocket asks to take this polling session over; True if it may."""
    with self.lock:
        if not self.state.begin_upgrade():
            return False
        self.upgrade_began = self.driver.monotonic()
        self.probed_at = None
        return True


def probed(self: Session) -> None:
    """The upgrading websocket's probe was answered: a GET waiting ends
    (now, or soon: see `poll`), so that the client stops polling."""
    with self.lock:
        self.probed_at = self.driver.monotonic()
        if self.polling and self.wake is not None:
            self.wake.set()


def abort_upgrade(self: Session) -> None:
    with self.lock:
        self.state.abort_upgrade()
        self.upgrade_began, self.probed_at = math.inf, None


__all__ = ["PROBE_CHECK", "BusyError", "SwitchedError"]
