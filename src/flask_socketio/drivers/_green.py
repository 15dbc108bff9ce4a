"""Helpers shared by the green drivers (eventlet, gevent, gevent_uwsgi).

Nothing here imports eventlet or gevent: each driver brings its own.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable
from typing import Any

log = logging.getLogger("flask_socketio")

#: The options of ``ssl.wrap_socket`` that both servers accept.
SSL_OPTIONS = (
    "keyfile",
    "certfile",
    "server_side",
    "cert_reqs",
    "ssl_version",
    "ca_certs",
    "do_handshake_on_connect",
    "suppress_ragged_eofs",
    "ciphers",
)

_warned: set[str] = set()


def log_failure(target: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run `target`; log what it raises instead of printing it from the hub."""
    try:
        return target(*args, **kwargs)
    except Exception:
        log.exception("unhandled error in a background task")
        return None


def run_job(job: Callable[[], Any]) -> None:
    """Run a job given to ``submit``; a job must never raise into the hub."""
    try:
        job()
    except Exception:
        log.exception("unhandled error in a worker job")


def ssl_options(options: dict[str, Any]) -> dict[str, Any]:
    """Take the SSL options (those not None) out of `options`."""
    found = {key: options.pop(key) for key in SSL_OPTIONS if key in options}
    found.pop("server_side", None)  # a listening socket is always the server side
    return {key: value for key, value in found.items() if value is not None}


def no_delay(sock: Any) -> None:
    """Send small writes at once (no Nagle): a response written as headers then
    body would otherwise wait for the peer's delayed ACK, 40 ms per request.
    Set on a listening socket, accepted sockets inherit it (Linux)."""
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except (OSError, AttributeError):
        pass  # not TCP (a Unix socket)


def warn_once(topic: str, message: str) -> None:
    """Log `message` % topic as a warning, once per topic and process."""
    if topic not in _warned:
        _warned.add(topic)
        log.warning(message, topic)


def run_maybe_reloading(
    run: Callable[[], None], use_reloader: bool, reloader_options: dict[str, Any] | None
) -> None:
    """Call `run`, or run it under Werkzeug's reloader.

    `reloader_options` use the names of Werkzeug's ``run_simple``
    (``extra_files``, ``exclude_patterns``, ``reloader_interval``,
    ``reloader_type``), as in the threading mode.
    """
    if not use_reloader:
        run()
        return
    from werkzeug._reloader import run_with_reloader

    options = dict(reloader_options or {})
    if "reloader_interval" in options:
        options["interval"] = options.pop("reloader_interval")
    run_with_reloader(run, **{key: value for key, value in options.items() if value is not None})


class GreenDriver:
    """What the eventlet and gevent drivers share: the warnings about monkey
    patching. A subclass says how to patch and how to tell whether it was."""

    name = "green"
    #: The call an application makes to patch the standard library.
    patch_call = ""

    def is_patched(self) -> bool:
        """Whether the standard library's blocking calls have been made green."""
        raise NotImplementedError

    def warn_unpatched(self, what: str) -> None:
        """Log once that `what` will block every client unless the standard
        library is patched (a message queue client, for one)."""
        if not self.is_patched():
            warn_once(
                what,
                f"{self.name} is running without monkey patching, and %s uses the standard "
                "library's blocking calls: it will stall every client. Call "
                f"{self.patch_call} at the very top of the main module, before any "
                "other import.",
            )

    def warn_serving_unpatched(self) -> None:
        """Say, when a server starts unpatched, what a blocking call will do."""
        if not self.is_patched():
            log.warning(
                "%s is running without monkey patching: a blocking call in a handler "
                "(time.sleep, requests, a database or message queue client) stalls every "
                "client. Call %s at the very top of the main module, or use "
                "socketio.sleep() and green libraries.",
                self.name,
                self.patch_call,
            )
