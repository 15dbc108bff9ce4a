"""The Engine.IO server: handshake, sessions, polling and websocket transports.

`Server` is the WSGI side, `Session` one client's session, `SessionState` its
protocol state without I/O, `EngineConfig` the options as one value.
"""

from .config import EngineConfig
from .server import Server, make_logger
from .session import Session, SessionHandler
from .sessions import Listener
from .state import (
    CLIENT_DISCONNECT,
    PING_TIMEOUT,
    SERVER_DISCONNECT,
    SLOW_CONSUMER,
    TRANSPORT_CLOSE,
    TRANSPORT_ERROR,
    SessionState,
)

__all__ = [
    "CLIENT_DISCONNECT",
    "PING_TIMEOUT",
    "SERVER_DISCONNECT",
    "SLOW_CONSUMER",
    "TRANSPORT_CLOSE",
    "TRANSPORT_ERROR",
    "EngineConfig",
    "Listener",
    "Server",
    "Session",
    "SessionHandler",
    "SessionState",
    "make_logger",
]
