"""Serving a Socket.IO server as a WSGI application, beside another one."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from .._types import Environ, StartResponse, WSGICallable

if TYPE_CHECKING:
    from .server import Server


class WSGIApp:
    """Route the Socket.IO path to the server, the paths of `routes` (a
    health check, the metrics) to theirs, and everything else to `wsgi_app`.

    >>> from flask_socketio.server import Server
    >>> app = WSGIApp(Server(async_mode="threading"), socketio_path="socket.io")
    """

    def __init__(
        self,
        server: Server,
        wsgi_app: WSGICallable | None = None,
        socketio_path: str = "socket.io",
        routes: Mapping[str, WSGICallable] | None = None,
    ) -> None:
        self.server = server
        self.wsgi_app = wsgi_app
        self.prefix = "/" + socketio_path.strip("/")
        #: WSGI applications by exact path, answered before `wsgi_app`.
        self.routes: dict[str, WSGICallable] = dict(routes or {})

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == self.prefix or path.startswith(self.prefix + "/"):
            return self.server.handle_request(environ, start_response)
        if self.routes:
            route = self.routes.get(path)
            if route is not None:
                return route(environ, start_response)
        if self.wsgi_app is not None:
            return self.wsgi_app(environ, start_response)
        start_response("404 NOT FOUND", [("Content-Type", "text/plain")])
        return [b"Not Found"]
