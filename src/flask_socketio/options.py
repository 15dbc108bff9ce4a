"""The options `SocketIO` takes, and which layer each belongs to.

>>> check_options({"ping_timeout": 5, "cors_allowed_origins": "*"})
>>> check_options({"ping_timout": 5})  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
TypeError: SocketIO got unknown option(s) 'ping_timout'; known options: ...
"""

from __future__ import annotations

from typing import Any

from .engine.config import OPTION_NAMES

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
    }
)
#: Options of the Engine.IO server (engine/).
ENGINEIO_OPTIONS = OPTION_NAMES
#: Options of the extension itself, consumed before the server is built.
EXTENSION_OPTIONS = frozenset({"manage_session", "message_queue", "channel", "path", "resource"})
#: Accepted so that existing code runs, with no effect: `binary` only mattered
#: on Python 2, `monitor_clients` is always on (one task reaps dead sessions),
#: and `serializer` has one value ("default", JSON).
IGNORED_OPTIONS = frozenset({"binary", "monitor_clients", "serializer"})
KNOWN_OPTIONS = SOCKETIO_OPTIONS | ENGINEIO_OPTIONS | EXTENSION_OPTIONS | IGNORED_OPTIONS
#: Options that cannot change once the server exists (``run(**options)``).
FIXED_OPTIONS = EXTENSION_OPTIONS | {"async_mode", "client_manager"}


def check_options(options: dict[str, Any]) -> None:
    """Refuse options nobody reads, naming them (a typo must not pass silently)."""
    unknown = sorted(set(options) - KNOWN_OPTIONS)
    if unknown:
        raise TypeError(
            f"SocketIO got unknown option(s) {', '.join(map(repr, unknown))}; "
            f"known options: {', '.join(sorted(KNOWN_OPTIONS))}"
        )
    serializer = options.get("serializer", "default")
    if serializer != "default":
        raise ValueError(f"serializer={serializer!r} is not supported; only 'default' (JSON) is")


def server_options(options: dict[str, Any]) -> dict[str, Any]:
    """The options `options` gives the Socket.IO and Engine.IO servers."""
    return {key: value for key, value in options.items() if key not in IGNORED_OPTIONS}
