"""The Socket.IO server, usable without Flask."""

from .acks import Acks
from .connection import Connection, ConnectionHandler
from .dispatch import Reason
from .exceptions import ConnectionRefusedError
from .namespace import Namespace
from .server import Server
from .wsgi import WSGIApp

__all__ = [
    "Acks",
    "Connection",
    "ConnectionHandler",
    "ConnectionRefusedError",
    "Namespace",
    "Reason",
    "Server",
    "WSGIApp",
]
