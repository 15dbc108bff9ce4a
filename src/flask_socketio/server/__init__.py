"""The Socket.IO server, usable without Flask."""

from .exceptions import ConnectionRefusedError
from .namespace import Namespace
from .server import Reason, Server, WSGIApp

__all__ = ["ConnectionRefusedError", "Namespace", "Reason", "Server", "WSGIApp"]
