"""The relay's messages on the wire: JSON objects, bytes as base64 markers only
in a message flagged ``"b64": true``, and the checks a message passes before
a process acts on it.

A message without bytes is plain JSON, left alone both ways: a user value
that looks like a marker (``{"__bytes__": "aGk="}``) is just a dict. A
message with bytes anywhere carries ``"b64": true``; in it, bytes are
``{"__bytes__": "<base64>"}`` and a user dict that could be mistaken for a
marker is wrapped in ``{"__dict__": {...}}``, so that every value decodes to
itself.

>>> loads(dumps({"method": "emit", "args": [{"__bytes__": "aGk="}]}))["args"]
[{'__bytes__': 'aGk='}]
>>> loads(dumps({"method": "emit", "args": [b"hi"]}))["args"]
[b'hi']
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import pickle
from typing import Any

Message = dict[str, Any]

_BYTES = "__bytes__"
_ESCAPED = "__dict__"
_FLAG = "b64"


class BadMessage(ValueError):
    """A relay message that is not what its method needs: dropped whole."""


def _has_bytes(value: Any) -> bool:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return True
    if isinstance(value, (list, tuple)):
        return any(_has_bytes(v) for v in value)
    if isinstance(value, dict):
        return any(_has_bytes(v) for v in value.values())
    return False


def _encode_value(value: Any) -> Any:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {_BYTES: base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, (list, tuple)):
        return [_encode_value(v) for v in value]
    if isinstance(value, dict):
        encoded = {k: _encode_value(v) for k, v in value.items()}
        if len(value) == 1 and next(iter(value)) in (_BYTES, _ESCAPED):
            return {_ESCAPED: encoded}
        return encoded
    return value


def _decode_value(value: Any) -> Any:
    if isinstance(value, list):
        return [_decode_value(v) for v in value]
    if isinstance(value, dict):
        if len(value) == 1:
            key, inner = next(iter(value.items()))
            if key == _BYTES:
                if not isinstance(inner, str):
                    raise BadMessage("a bytes marker without a base64 string")
                try:
                    return base64.b64decode(inner, validate=True)
                except binascii.Error as exc:
                    raise BadMessage(f"bad base64 in a bytes marker: {exc}") from None
            if key == _ESCAPED:
                if not isinstance(inner, dict):
                    raise BadMessage("an escaped dict that is not a dict")
                return {k: _decode_value(v) for k, v in inner.items()}
        return {k: _decode_value(v) for k, v in value.items()}
    return value


def dumps(message: Message) -> bytes:
    """Serialise a relay message: plain JSON, or flagged b64 when it holds bytes."""
    if _has_bytes(message):
        message = {**_encode_value(message), _FLAG: True}
    return json.dumps(message, separators=(",", ":")).encode("utf-8")


def dump_json(message: Message) -> bytes:
    """A message as plain JSON, no markers (python-socketio's format)."""
    return json.dumps(message, separators=(",", ":")).encode("utf-8")


def loads(raw: bytes | str) -> Message:
    """Parse a relay message; BadMessage if it is not a JSON object.

    python-socketio's Kombu manager sends its JSON as a JSON string (kombu
    serialises the string once more): that is unwrapped too.
    """
    try:
        message = json.loads(raw)
        if isinstance(message, str):
            message = json.loads(message)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadMessage(f"not JSON ({exc})") from None
    if not isinstance(message, dict):
        raise BadMessage("not a JSON object")
    if message.pop(_FLAG, False) is True:
        decoded: Message = _decode_value(message)
        return decoded
    return message


# -- python-socketio's format ---------------------------------------------------

#: What `pickle` data starts with (protocol 2 and later): python-socketio
#: before 5.14 pickled its messages.
PICKLE_START = b"\x80"


class _NoObjects(pickle.Unpickler):
    """Reads plain data only: every class and function is refused, so that
    nothing on the channel can make this process run code."""

    def find_class(self, module: str, name: str) -> Any:
        raise BadMessage(f"pickled message refers to {module}.{name}: refused")


def unpickle(raw: bytes) -> Message:
    """A pickled python-socketio message, read without any class or function."""
    try:
        message = _NoObjects(io.BytesIO(raw)).load()
    except BadMessage:
        raise
    except Exception as exc:  # noqa: BLE001 - whatever a broken pickle raises
        raise BadMessage(f"not a pickle ({type(exc).__name__}: {exc})") from None
    if not isinstance(message, dict):
        raise BadMessage("pickled message is not a dict")
    return message


def _placeholders(value: Any, attachments: list[bytes]) -> Any:
    if isinstance(value, (bytes, bytearray, memoryview)):
        attachments.append(bytes(value))
        return {"_placeholder": True, "num": len(attachments) - 1}
    if isinstance(value, (list, tuple)):
        return [_placeholders(v, attachments) for v in value]
    if isinstance(value, dict):
        return {k: _placeholders(v, attachments) for k, v in value.items()}
    return value


def _attachments(value: Any, attachments: list[bytes]) -> Any:
    if isinstance(value, dict):
        if value.get("_placeholder") is True and "num" in value:
            num = value["num"]
            if isinstance(num, bool) or not isinstance(num, int) or not (
                0 <= num < len(attachments)
            ):
                raise BadMessage(f"attachment placeholder {num!r} out of range")
            return attachments[num]
        return {k: _attachments(v, attachments) for k, v in value.items()}
    if isinstance(value, list):
        return [_attachments(v, attachments) for v in value]
    return value


def socketio_data(args: list[Any]) -> tuple[list[Any], bool]:
    """`args` as python-socketio's ``data`` and ``binary`` fields: with bytes,
    ``[args with placeholders, base64 attachment, ...]``."""
    if not _has_bytes(args):
        return list(args), False
    attachments: list[bytes] = []
    data = _placeholders(list(args), attachments)
    return [data, *[base64.b64encode(a).decode("ascii") for a in attachments]], True


def socketio_args(message: Message) -> list[Any]:
    """The event arguments of a python-socketio ``emit`` message."""
    data = message.get("data")
    if message.get("binary"):
        if not isinstance(data, list) or not data or not all(
            isinstance(a, str) for a in data[1:]
        ):
            raise BadMessage("binary 'data' is not [data, base64 attachment, ...]")
        try:
            attachments = [base64.b64decode(a, validate=True) for a in data[1:]]
        except binascii.Error as exc:
            raise BadMessage(f"bad base64 attachment: {exc}") from None
        data = _attachments(data[0], attachments)
    if not isinstance(data, list):
        raise BadMessage(f"'data' is not a list: {data!r:.60}")
    return data


# -- the checks ----------------------------------------------------------------

Room = str | int | None


def text(message: Message, key: str, optional: bool = False) -> Any:
    """`message[key]`, a string (or None when `optional` and absent)."""
    value = message.get(key)
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise BadMessage(f"{key!r} is not a string: {value!r:.60}")
    return value


def room(message: Message, key: str = "room") -> Room:
    """A room name: a string, a number or None."""
    value = message.get(key)
    if value is not None and (isinstance(value, bool) or not isinstance(value, (str, int))):
        raise BadMessage(f"{key!r} is not a room name: {value!r:.60}")
    return value


def rooms(message: Message, key: str = "room") -> Room | list[Room]:
    """One room name, a list of them, or None (everyone)."""
    value = message.get(key)
    if isinstance(value, list):
        for item in value:
            room({key: item}, key)
        return value
    return room(message, key)


def sids(message: Message, key: str = "skip_sid") -> list[str]:
    """None, one sid or a list of sids, as a list."""
    value = message.get(key)
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise BadMessage(f"{key!r} is not a list of sids: {value!r:.60}")
    return value


def arguments(message: Message, key: str = "args") -> list[Any]:
    """The arguments of an event or an ack: a list (absent: none)."""
    value = message.get(key, [])
    if value is None:
        return []
    if not isinstance(value, list):
        raise BadMessage(f"{key!r} is not a list: {value!r:.60}")
    return value


def integer(message: Message, key: str) -> int:
    value = message.get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadMessage(f"{key!r} is not an integer: {value!r:.60}")
    return value
