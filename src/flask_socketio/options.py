"""The options `SocketIO` takes, and which layer each belongs to.

Options of ``run()`` given to the constructor (as code written for
Flask-SocketIO does) become ``run()``'s defaults, with a warning; options
nobody reads are ignored with a warning, as Flask-SocketIO ignores them; but
a near miss of a known option (``ping_intervall``) is a mistake, refused with
the name it was probably meant to be.

>>> sort_options({"ping_timeout": 5, "log_output": True})
({'ping_timeout': 5}, {'log_output': True})
>>> sort_options({"ping_intervall": 5})
Traceback (most recent call last):
...
TypeError: SocketIO got an unknown option 'ping_intervall'; did you mean 'ping_interval'?
"""

from __future__ import annotations

import difflib
import logging
from typing import Any

from .engine.config import OPTION_NAMES

log = logging.getLogger("flask_socketio")

#: Options of the Socket.IO server (server/).
SOCKETIO_OPTIONS = frozenset(
    {
        "client_manager",
        "logger",
        "json",
        "async_handlers",
        "always_connect",
        "namespaces",
        "async_mode",
        "engineio_logger",
        "max_attachments",
        "connection_state_recovery",
    }
)
#: Options of the Engine.IO server (engine/).
ENGINEIO_OPTIONS = OPTION_NAMES
#: Options of the extension itself, consumed before the server is built
#: (the operations ones, admin_ui, metrics and health_check: see `operations`).
EXTENSION_OPTIONS = frozenset(
    {"manage_session", "message_queue", "message_queue_options", "channel", "path", "resource"}
    | {"admin_ui", "metrics", "health_check"}
)
#: Accepted so that existing code runs, with no effect: `binary` only mattered
#: on Python 2, `monitor_clients` is always on (one task reaps dead sessions),
#: and `serializer` has one value ("default", JSON).
IGNORED_OPTIONS = frozenset({"binary", "monitor_clients", "serializer"})
KNOWN_OPTIONS = SOCKETIO_OPTIONS | ENGINEIO_OPTIONS | EXTENSION_OPTIONS | IGNORED_OPTIONS
#: Options that cannot change once the server exists (``run(**options)``).
FIXED_OPTIONS = EXTENSION_OPTIONS | {"async_mode", "client_manager"}
#: Options of ``run()`` that applications give the constructor.
RUN_OPTIONS = frozenset(
    {
        "debug",
        "log_output",
        "allow_unsafe_werkzeug",
        "use_reloader",
        "reloader_options",
        "extra_files",
    }
)


def sort_options(options: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split constructor options into the server's and ``run()``'s defaults;
    warn about those ignored, refuse near misses and unsupported values."""
    known: dict[str, Any] = {}
    run: dict[str, Any] = {}
    for key, value in options.items():
        if key in KNOWN_OPTIONS:
            known[key] = value
        elif key in RUN_OPTIONS:
            log.warning(
                "SocketIO(%s=...) is an option of run(): it becomes run()'s default; "
                "pass it to socketio.run() instead",
                key,
            )
            run[key] = value
        else:
            close = difflib.get_close_matches(key, KNOWN_OPTIONS | RUN_OPTIONS, n=1, cutoff=0.8)
            if close:
                raise TypeError(
                    f"SocketIO got an unknown option {key!r}; did you mean {close[0]!r}?"
                )
            log.warning(
                "SocketIO got an unknown option %r, ignored (see docs/api.md for the options)",
                key,
            )
    serializer = known.get("serializer", "default")
    if serializer != "default":
        raise ValueError(f"serializer={serializer!r} is not supported; only 'default' (JSON) is")
    return known, run


def server_options(options: dict[str, Any]) -> dict[str, Any]:
    """The options `options` gives the Socket.IO and Engine.IO servers."""
    return {key: value for key, value in options.items() if key not in IGNORED_OPTIONS}
