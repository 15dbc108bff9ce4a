"""Health checks for load balancers and orchestrators.

`HealthCheck` answers two questions over HTTP, in JSON
(``application/health+json``, status ``"pass"`` or ``"fail"``):

- **ready** (``/healthz``): should this process get new clients? 200 when
  the server accepts connections (``socketio.stop()`` was not called), its
  message queue listener is subscribed (with a message queue: a process
  that is not receives no broadcast of the others), and the application's
  own checks pass; 503 otherwise, with the failing checks.
- **live** (``/healthz/live``): is the process serving at all? 200 whenever
  it answers. Restarting a process because the broker is down would not
  help, so the broker is not part of it.

``SocketIO(app, health_check="/healthz")`` mounts both (before the Flask
app: no ``before_request`` hook, no login, runs for them); docs/operations.md
has the nginx and Kubernetes settings that use them.

>>> from flask_socketio.server import Server
>>> health = HealthCheck(Server(async_mode="threading"), checks={"disk": lambda: True})
>>> health.report()["status"]
'pass'
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from ._types import Environ, StartResponse
from .managers import PubSubManager

if TYPE_CHECKING:
    from .server import Server

log = logging.getLogger("flask_socketio.health")

CONTENT_TYPE = "application/health+json"
PASS, FAIL = "pass", "fail"


class HealthCheck:
    """The readiness and liveness of `server`.

    :param checks: the application's own readiness checks by name: each a
        callable that returns a true value (a dict is shown as details) when
        ready, and returns a false value or raises when not. Keep them quick:
        a load balancer calls them every few seconds.
    """

    def __init__(
        self, server: Server, checks: Mapping[str, Callable[[], Any]] | None = None
    ) -> None:
        self.server = server
        self.checks = dict(checks or {})

    def report(self) -> dict[str, Any]:
        """The readiness report: ``{"status": "pass"|"fail", "checks": {...}}``.

        >>> from flask_socketio.server import Server
        >>> def database():
        ...     raise ConnectionError("no route to host")
        >>> report = HealthCheck(Server(async_mode="threading"), {"db": database}).report()
        >>> report["status"], report["checks"]["db"]
        ('fail', {'status': 'fail', 'error': 'ConnectionError: no route to host'})
        """
        server = self.server
        checks: dict[str, dict[str, Any]] = {
            "server": {
                "status": PASS if server.eio.accepting else FAIL,
                "sessions": len(server.eio.sessions),
            }
        }
        manager = server.manager
        if isinstance(manager, PubSubManager) and not manager.write_only:
            checks["message_queue"] = {
                "status": PASS if manager.connected else FAIL,
                "kind": manager.name,
                "channel": manager.channel,
            }
        for name, check in self.checks.items():
            try:
                value = check()
            except Exception as exc:
                log.warning("health check %r failed: %s", name, exc)
                checks[name] = {"status": FAIL, "error": f"{type(exc).__name__}: {exc}"}
                continue
            result: dict[str, Any] = {"status": PASS if value else FAIL}
            if isinstance(value, Mapping):
                result.update(value)
                result["status"] = PASS
            checks[name] = result
        ok = all(check["status"] == PASS for check in checks.values())
        return {"status": PASS if ok else FAIL, "checks": checks}

    @property
    def ready(self) -> bool:
        """Whether every readiness check passes."""
        return bool(self.report()["status"] == PASS)

    def ready_app(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        """WSGI: the readiness report, 200 or 503."""
        report = self.report()
        return _answer(start_response, report, environ)

    def live_app(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        """WSGI: 200 while the process answers."""
        return _answer(start_response, {"status": PASS}, environ)

    def routes(self, path: str = "/healthz") -> dict[str, Any]:
        """The paths to mount: `path` (ready) and `path`/live.

        >>> from flask_socketio.server import Server, WSGIApp
        >>> health = HealthCheck(Server(async_mode="threading"))
        >>> sorted(health.routes("/healthz"))
        ['/healthz', '/healthz/live']
        >>> app = WSGIApp(health.server, routes=health.routes())
        """
        path = "/" + path.strip("/")
        return {path: self.ready_app, path + "/live": self.live_app}


def _answer(
    start_response: StartResponse, report: Mapping[str, Any], environ: Environ
) -> Iterable[bytes]:
    body = json.dumps(report).encode()
    status = "200 OK" if report["status"] == PASS else "503 SERVICE UNAVAILABLE"
    headers = [
        ("Content-Type", CONTENT_TYPE),
        ("Content-Length", str(len(body))),
        ("Cache-Control", "no-store"),
    ]
    start_response(status, headers)
    return [] if environ.get("REQUEST_METHOD") == "HEAD" else [body]
