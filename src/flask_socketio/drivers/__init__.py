"""Async mode drivers: one per mode, each a `Driver`.

A driver is everything the rest of the package knows of an async mode:
tasks, locks, events, the clock, the way to take a websocket over from the
WSGI server, and the web server that ``socketio.run()`` starts. Nothing
outside this package imports eventlet or gevent.

>>> driver = load_driver("threading")
>>> driver.name
'threading'
>>> lock = driver.Lock()
>>> with lock:
...     driver.monotonic() > 0
True
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Protocol

from .._types import Environ, WSGICallable

MODES = ("eventlet", "gevent_uwsgi", "gevent", "threading")
EXTRAS = {
    "eventlet": "flask-socketio-native[eventlet]",
    "gevent": "flask-socketio-native[gevent]",
    "gevent_uwsgi": "flask-socketio-native[uwsgi], and run under uWSGI with --gevent",
}


class AsyncModeError(ValueError):
    """The requested async mode is unknown or its packages are not installed."""


class Task(Protocol):
    """A running task (thread or greenlet)."""

    def join(self, timeout: float | None = None) -> None: ...

    def is_alive(self) -> bool: ...


class Event(Protocol):
    """``threading.Event`` as the mode provides it."""

    def set(self) -> None: ...

    def clear(self) -> None: ...

    def is_set(self) -> bool: ...

    def wait(self, timeout: float | None = None) -> bool: ...


class Lock(Protocol):
    """``threading.Lock`` as the mode provides it (a context manager)."""

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool: ...

    def release(self) -> None: ...

    def __enter__(self) -> Any: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
        /,
    ) -> Any: ...


@dataclass(frozen=True)
class TakenSocket:
    """The client's socket, taken over from the web server for a websocket.

    `upgraded`: the server already answered the upgrade (101) itself, so the
    application must send neither the 101 nor any HTTP response after it.
    `owned`: the socket is a duplicate of the server's, closed when the
    websocket ends.
    """

    sock: Any
    upgraded: bool = False
    owned: bool = False


#: What `Driver.serve` hands the caller once it listens: the way to stop it.
Started = Callable[[Callable[[], None]], None]


class Driver(Protocol):
    """What every async mode provides (threading, eventlet, gevent, gevent_uwsgi)."""

    name: str

    def Event(self) -> Event: ...  # noqa: N802 - the name of what it makes

    def Lock(self) -> Lock: ...  # noqa: N802

    def monotonic(self) -> float: ...

    def sleep(self, seconds: float = 0) -> None: ...

    def spawn(self, target: Callable[..., object], *args: Any, **kwargs: Any) -> Task:
        """Run `target` in a new task (long-lived work: background tasks, readers)."""
        ...

    def submit(self, job: Callable[[], object]) -> None:
        """Run a short job soon, in a task of the mode (a pool in threading mode)."""
        ...

    def warn_unpatched(self, what: str) -> None:
        """Log once that `what` blocks every client unless the mode's monkey
        patching is on (nothing to say in threading mode)."""
        ...

    def try_send(self, sock: Any, data: bytes) -> int | None:
        """Send what the socket takes now, without waiting: the count sent (0
        when its buffer is full), or None when this socket cannot be written
        without waiting (TLS served by Python): the caller then writes on a
        task of its own."""
        ...

    def take_socket(self, environ: Environ) -> TakenSocket | None:
        """The client's socket for a websocket upgrade request, or None when the
        web server gives no access to it."""
        ...

    def serve(
        self,
        app: WSGICallable,
        host: str,
        port: int,
        *,
        use_reloader: bool = False,
        reloader_options: dict[str, Any] | None = None,
        log_output: bool = True,
        started: Started | None = None,
        **options: Any,
    ) -> None:
        """Serve `app` with the mode's web server until stopped; once it
        listens, `started` gets the function that stops it."""
        ...


def load_driver(async_mode: str | None = None) -> Driver:
    """The driver for `async_mode`, or the first one available.

    Auto-detection prefers eventlet, then gevent under uWSGI, then gevent,
    then threading, as the documentation promises; but a framework already
    in charge of the process wins: uWSGI's gevent loop, or the monkey
    patching of gevent or eventlet (as their gunicorn workers do), so that
    installing both never picks the one that is not running.
    """
    if async_mode is not None:
        if async_mode not in MODES:
            raise AsyncModeError(
                f"invalid async_mode {async_mode!r}: choose one of {', '.join(MODES)}"
            )
        try:
            return _load(async_mode)
        except ImportError as exc:
            raise AsyncModeError(
                f"async_mode={async_mode!r} needs packages that are not installed ({exc}); "
                f"install {EXTRAS.get(async_mode, async_mode)}"
            ) from exc
    for mode in (*_running_modes(), *MODES):
        try:
            return _load(mode)
        except ImportError:
            continue
    raise AsyncModeError("no async mode available")  # threading always imports


def _load(mode: str) -> Driver:
    module = importlib.import_module(f"{__name__}.{mode}")
    driver: Driver = module.Driver()
    return driver


def _running_modes() -> tuple[str, ...]:
    """The modes whose framework already runs this process, best first."""
    modes: tuple[str, ...] = ()
    if "uwsgi" in sys.modules:  # the module uWSGI gives the applications it runs
        modes += ("gevent_uwsgi",)
    gevent_monkey = sys.modules.get("gevent.monkey")
    if gevent_monkey is not None and gevent_monkey.is_module_patched("socket"):
        modes += ("gevent",)
    eventlet_patcher = sys.modules.get("eventlet.patcher")
    if eventlet_patcher is not None and eventlet_patcher.is_monkey_patched("socket"):
        modes += ("eventlet",)
    return modes


__all__ = [
    "MODES",
    "AsyncModeError",
    "Driver",
    "Event",
    "Lock",
    "Started",
    "TakenSocket",
    "Task",
    "load_driver",
]
