"""Serving a Socket.IO server as a WSGI application, beside another one."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from .._types import Environ, StartResponse, WSGICallable

if TYPE_CHECKING:
    from .server import Server


class WSGIApp:
    """Route the Socket.IO path to the server and everything else to `wsgi_app`.

    >>> from flask_socketio.server import Server
    >>> app = WSGIApp(Server(async_mode="threading"), socketio_path="socket.io")
    """

    def __init__(
        self,
        server: Server,
        wsgi_app: WSGICallable | None = None,
        socketio_path: str = "socket.io",
    ) -> None:
        self.server = server
        self.wsgi_app = wsgi_app
        self.prefix = "/" + socketio_path.strip("/")

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == self.prefix or path.startswith(self.prefix + "/"):
            return self.server.handle_request(environ, start_response)
        if self.wsgi_app is not None:
            return self.wsgi_app(environ, start_response)
        start_response("404 NOT FOUND", [("Content-Type", "text/plain")])
        return [b"Not Found"]
