"""Clients for the operations tests: an admin UI stand-in and plain clients
(python-socketio 5), with bounded waits."""

from __future__ import annotations

import queue
import socket
import time
from collections.abc import Callable
from typing import Any

import socketio

APP = "tests.operations.ops_app:app"
CREDENTIALS = {"username": "admin", "password": "changeit"}


class AdminClient:
    """What the admin UI does on the wire: connect to /admin with credentials
    and collect what the server sends."""

    def __init__(self, url: str, auth: dict[str, Any] | None = None) -> None:
        self.events: queue.Queue[tuple[str, tuple[Any, ...]]] = queue.Queue()
        self.seen: list[tuple[str, tuple[Any, ...]]] = []
        self.sio = socketio.Client(reconnection=False)
        self.sio.on("*", self._got, namespace="/admin")
        self.sio.connect(
            url,
            namespaces=["/admin"],
            auth=CREDENTIALS if auth is None else auth,
            transports=["websocket"],
            wait_timeout=5,
        )

    def _got(self, event: str, *args: Any) -> None:
        self.events.put((event, args))

    def wait_for(
        self, event: str, match: Callable[..., bool] = lambda *args: True, timeout: float = 10
    ) -> tuple[Any, ...]:
        """The arguments of the first `event` (seen or to come) for which
        `match(*args)` is true; AssertionError after `timeout` seconds."""
        for name, args in self.seen:
            if name == event and match(*args):
                return args
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            try:
                name, args = self.events.get(timeout=max(0.01, remaining))
            except queue.Empty:
                raise AssertionError(f"no {event!r} matching within {timeout}s") from None
            self.seen.append((name, args))
            if name == event and match(*args):
                return args

    def emit(self, event: str, *args: Any) -> None:
        self.sio.emit(event, args, namespace="/admin")

    def close(self) -> None:
        self.sio.disconnect()


def client(url: str, transports: list[str] | None = None) -> socketio.Client:
    """A connected plain client (websocket only unless told)."""
    sio = socketio.Client(reconnection=False)
    sio.connect(url, transports=transports or ["websocket"], wait_timeout=5)
    return sio


def wait_until(condition: Callable[[], bool], timeout: float = 10, what: str = "") -> None:
    """Poll `condition` until it holds; AssertionError after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"still not {what or condition} after {timeout}s")
        time.sleep(0.05)


def redis_up() -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", 6379)) == 0
