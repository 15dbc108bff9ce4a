"""The operations options of `SocketIO`: ``admin_ui``, ``metrics``, ``health_check``.

Each is off unless given; `install` sets up those given on a new server and
returns the paths to mount beside the app (the metrics, the health checks),
which the Socket.IO middleware answers before the Flask app.

>>> import flask
>>> from flask_socketio import SocketIO
>>> socketio = SocketIO(flask.Flask(__name__), async_mode="threading", health_check="/healthz")
>>> sorted(socketio.sockio_mw.routes)
['/healthz', '/healthz/live']
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ._types import WSGICallable

if TYPE_CHECKING:
    from .extension import SocketIO

#: The options, kept by `SocketIO` across ``init_app`` calls.
OPTIONS = ("admin_ui", "metrics", "health_check")

_METRICS_KEYS = {"path", "port", "host", "registry", "max_event_names", "max_namespaces"}
_METRICS_KEYS |= {"sample_interval"}


def _as_dict(value: Any, name: str, path_key: str = "path") -> dict[str, Any]:
    """``True`` -> {}, a path -> {path_key: path}, a dict as it is."""
    if value is True:
        return {}
    if isinstance(value, str):
        return {path_key: value}
    if isinstance(value, Mapping):
        return dict(value)
    raise TypeError(f"{name} takes True, a path or a dict, not {type(value).__name__}")


def install(socketio: SocketIO, options: Mapping[str, Any]) -> dict[str, WSGICallable]:
    """Set up the operations `options` ask for on ``socketio.server``; return
    the routes to mount (path -> WSGI application)."""
    server = socketio.server
    routes: dict[str, WSGICallable] = {}
    admin_ui = options.get("admin_ui")
    if admin_ui is not None and admin_ui is not False:
        if not isinstance(admin_ui, Mapping):
            raise TypeError("admin_ui takes a dict of options, at least {'auth': ...}")
        if socketio.admin is not None:
            socketio.admin.shutdown()  # init_app again: the old server's stats stop
        socketio.admin = server.instrument(**admin_ui)
    metrics = options.get("metrics")
    if metrics is not None and metrics is not False:
        from .metrics import Metrics

        settings = _as_dict(metrics, "metrics")
        unknown = settings.keys() - _METRICS_KEYS
        if unknown:
            raise TypeError(f"unknown metrics options: {', '.join(sorted(unknown))}")
        path, port = settings.pop("path", None), settings.pop("port", None)
        host = settings.pop("host", "127.0.0.1")
        if socketio.metrics is not None:
            socketio.metrics.close()  # init_app again: the port is free for the new one
        socketio.metrics = Metrics(server, **settings)
        if port is not None:
            socketio.metrics.serve(port, host)
        if path is not None or port is None:
            routes["/" + (path or "metrics").strip("/")] = socketio.metrics.wsgi_app
    health = options.get("health_check")
    if health is not None and health is not False:
        from .health import HealthCheck

        settings = _as_dict(health, "health_check")
        unknown = settings.keys() - {"path", "checks"}
        if unknown:
            raise TypeError(f"unknown health_check options: {', '.join(sorted(unknown))}")
        socketio.health = HealthCheck(server, settings.get("checks"))
        routes.update(socketio.health.routes(settings.get("path", "/healthz")))
    return routes
