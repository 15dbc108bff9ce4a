"""Per client address: how many sessions it holds, how fast it opens them.

Both limits are off by default (a reverse proxy usually enforces its own);
what is always on is the watch for a client that opens sessions in a tight
loop (an old client that cannot read the server's answers reconnects for
ever), which is logged once a minute per address.

>>> limits = AddressLimits(max_connections=1, rate=0)
>>> limits.admit("10.0.0.1", now=0.0) is None
True
>>> limits.opened("10.0.0.1")
>>> limits.admit("10.0.0.1", now=1.0)
'over 1 sessions from 10.0.0.1'
"""

from __future__ import annotations

import threading

#: Handshakes in `STORM_WINDOW` seconds from one address that look like a loop.
STORM_HANDSHAKES = 50
STORM_WINDOW = 10.0
#: Seconds between two warnings about the same address.
STORM_WARN_EVERY = 60.0


class _Address:
    __slots__ = ("sessions", "tokens", "refilled", "window_start", "window_count", "warned")

    def __init__(self, now: float, burst: float) -> None:
        self.sessions = 0
        self.tokens = burst
        self.refilled = now
        self.window_start = now
        self.window_count = 0
        self.warned = -STORM_WARN_EVERY


class AddressLimits:
    """`max_connections` sessions at once per address, `rate` handshakes per
    second per address (a token bucket: bursts of `rate`); 0 turns a limit off."""

    def __init__(self, max_connections: int = 0, rate: float = 0.0) -> None:
        self.max_connections = max_connections
        self.rate = rate
        self._addresses: dict[str, _Address] = {}
        self._lock = threading.Lock()  # never held across a blocking call

    def _get(self, address: str, now: float) -> _Address:
        entry = self._addresses.get(address)
        if entry is None:
            entry = self._addresses[address] = _Address(now, float(self.rate))
        return entry

    def admit(self, address: str, now: float) -> str | None:
        """Whether `address` may open a session now: None, or why not."""
        with self._lock:
            entry = self._get(address, now)
            if now - entry.window_start > STORM_WINDOW:
                entry.window_start, entry.window_count = now, 0
            entry.window_count += 1
            if self.max_connections and entry.sessions >= self.max_connections:
                return f"over {self.max_connections} sessions from {address}"
            if self.rate:
                entry.tokens = min(self.rate, entry.tokens + (now - entry.refilled) * self.rate)
                entry.refilled = now
                if entry.tokens < 1:
                    return f"over {self.rate:g} handshakes per second from {address}"
                entry.tokens -= 1
            return None

    def storming(self, address: str, now: float) -> int:
        """The handshakes of `address` in the current window, when they look
        like a reconnection loop and it was not said for a minute; else 0."""
        with self._lock:
            entry = self._addresses.get(address)
            if entry is None or entry.window_count < STORM_HANDSHAKES:
                return 0
            if now - entry.warned < STORM_WARN_EVERY:
                return 0
            entry.warned = now
            return entry.window_count

    def opened(self, address: str) -> None:
        with self._lock:
            entry = self._addresses.get(address)
            if entry is not None:
                entry.sessions += 1

    def closed(self, address: str) -> None:
        with self._lock:
            entry = self._addresses.get(address)
            if entry is not None:
                entry.sessions = max(0, entry.sessions - 1)

    def prune(self, now: float) -> int:
        """Forget the addresses with no session and nothing recent; the
        number of addresses kept."""
        with self._lock:
            idle = [
                address
                for address, entry in self._addresses.items()
                if not entry.sessions
                and now - entry.window_start > STORM_WINDOW
                and now - entry.warned > STORM_WARN_EVERY
            ]
            for address in idle:
                del self._addresses[address]
            return len(self._addresses)
