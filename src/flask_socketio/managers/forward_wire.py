"""The format of forwarding messages (see `forward`): a line of JSON, then
a body; and what of a polling request travels in one (its environ's request
line, address and headers, and its body).

>>> message, body = unpack(pack({"op": "request", "id": "1"}, b"4hello"))
>>> message["op"], body
('request', b'4hello')
"""

from __future__ import annotations

import json
from typing import Any

from .._types import Environ
from ..engine.http import declared_length

Message = dict[str, Any]

#: The parts of the asker's environ that travel with a request.
_ENVIRON_KEYS = (
    "REQUEST_METHOD",
    "SCRIPT_NAME",
    "PATH_INFO",
    "QUERY_STRING",
    "CONTENT_TYPE",
    "CONTENT_LENGTH",
    "REMOTE_ADDR",
    "SERVER_NAME",
    "SERVER_PORT",
    "SERVER_PROTOCOL",
    "wsgi.url_scheme",
)


def pack(message: Message, body: bytes = b"") -> bytes:
    """A forwarding message: its fields as one line of JSON, then the body as is.

    >>> unpack(pack({"op": "reply", "id": "1"}, b"\\x00ok"))
    ({'op': 'reply', 'id': '1'}, b'\\x00ok')
    """
    return json.dumps(message, separators=(",", ":")).encode() + b"\n" + body


def unpack(raw: bytes) -> tuple[Message, bytes]:
    """The fields and the body of a forwarding message; ValueError if it is not one."""
    head, newline, body = raw.partition(b"\n")
    message = json.loads(head)
    if not newline or not isinstance(message, dict) or not isinstance(message.get("op"), str):
        raise ValueError("not a forwarding message")
    return message, body


def portable_environ(environ: Environ) -> dict[str, str]:
    """The parts of a WSGI environ that the owner's engine reads: the request
    line, the client's address and every HTTP header."""
    portable = {key: str(environ[key]) for key in _ENVIRON_KEYS if key in environ}
    portable.update(
        (key, value) for key, value in environ.items()
        if key.startswith("HTTP_") and isinstance(value, str)
    )
    return portable


def read_body(environ: Environ, limit: int) -> bytes:
    """The request body, at most `limit` + 1 bytes (the owner's engine
    refuses what is over the limit, or cut off, as it would locally)."""
    if environ.get("REQUEST_METHOD") != "POST":
        return b""
    declared = declared_length(environ)
    if declared is None or declared > limit:
        return b""
    try:
        data = environ["wsgi.input"].read(declared if declared >= 0 else limit + 1)
    except OSError:
        return b""
    if declared < 0:
        environ["CONTENT_LENGTH"] = str(len(data))
    return bytes(data or b"")


__all__ = ["Message", "pack", "portable_environ", "read_body", "unpack"]
