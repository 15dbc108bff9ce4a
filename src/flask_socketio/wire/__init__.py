"""Sans-I/O codecs for Engine.IO (v3, v4) and Socket.IO (v4, v5)."""

from .errors import ProtocolError

__all__ = ["ProtocolError"]
