"""Async mode drivers: one module per mode, all with the same small surface.

Nothing outside this package imports eventlet or gevent.

>>> load_driver("threading").name
'threading'
"""

from __future__ import annotations

import importlib
import sys
from types import ModuleType

MODES = ("eventlet", "gevent_uwsgi", "gevent", "threading")
EXTRAS = {
    "eventlet": "flask-socketio-native[eventlet]",
    "gevent": "flask-socketio-native[gevent]",
    "gevent_uwsgi": "flask-socketio-native[uwsgi], and run under uWSGI with --gevent",
}


class AsyncModeError(ValueError):
    """The requested async mode is unknown or its packages are not installed."""


def load_driver(async_mode: str | None = None) -> ModuleType:
    """The driver module for `async_mode`, or the first one available.

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
            return importlib.import_module(f"{__name__}.{async_mode}")
        except ImportError as exc:
            raise AsyncModeError(
                f"async_mode={async_mode!r} needs packages that are not installed ({exc}); "
                f"install {EXTRAS.get(async_mode, async_mode)}"
            ) from exc
    for mode in (*_running_modes(), *MODES):
        try:
            return importlib.import_module(f"{__name__}.{mode}")
        except ImportError:
            continue
    raise AsyncModeError("no async mode available")  # threading always imports


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
