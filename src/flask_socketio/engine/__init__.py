"""The Engine.IO server: handshake, sessions, polling and websocket transports."""

from .server import Listener, Server, make_logger
from .session import (
    CLIENT_DISCONNECT,
    PING_TIMEOUT,
    SERVER_DISCONNECT,
    TRANSPORT_CLOSE,
    TRANSPORT_ERROR,
    Session,
)

__all__ = [
    "CLIENT_DISCONNECT",
    "PING_TIMEOUT",
    "SERVER_DISCONNECT",
    "TRANSPORT_CLOSE",
    "TRANSPORT_ERROR",
    "Listener",
    "Server",
    "Session",
    "make_logger",
]
