"""Socket.IO packets, protocol v4 and v5, with binary attachments (sans-I/O).

Both generations share the packet syntax
``<type>[<attachments>-][<namespace>,][<ack id>][<JSON>]``; what differs is
how the server answers (see ``server/``), not how packets are written.

>>> encode(Packet(EVENT, "/chat", ["msg", b"\\x01"]))
['51-/chat,["msg",{"_placeholder":true,"num":0}]', b'\\x01']
>>> d = Decoder()
>>> d.feed('2/chat,7["msg",1]')
Packet(type=2, namespace='/chat', data=['msg', 1], id=7)
"""

from __future__ import annotations

import json as _stdlib_json
from collections.abc import Callable
from typing import Any, Protocol

from .errors import ProtocolError

CONNECT, DISCONNECT, EVENT, ACK, CONNECT_ERROR, BINARY_EVENT, BINARY_ACK = range(7)
TYPE_NAMES = (
    "CONNECT",
    "DISCONNECT",
    "EVENT",
    "ACK",
    "CONNECT_ERROR",
    "BINARY_EVENT",
    "BINARY_ACK",
)
RESERVED_EVENTS = frozenset(
    {"connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"}
)
DEFAULT_MAX_ATTACHMENTS = 10
_MAX_ACK_ID_DIGITS = 15


class JSONModule(Protocol):
    """What the ``json`` option must offer: ``dumps`` and ``loads``."""

    def dumps(self, obj: Any, **kwargs: Any) -> str: ...

    def loads(self, s: str | bytes, **kwargs: Any) -> Any: ...


class Packet:
    """One Socket.IO packet.

    ``query`` holds the query string a v4 client may append to the namespace
    of a CONNECT packet (``40/admin?token=abc,``).
    """

    __slots__ = ("type", "namespace", "data", "id", "query")

    def __init__(
        self,
        type: int,
        namespace: str = "/",
        data: Any = None,
        id: int | None = None,
        query: str | None = None,
    ) -> None:
        self.type = type
        self.namespace = namespace
        self.data = data
        self.id = id
        self.query = query

    def __repr__(self) -> str:
        extra = f", query={self.query!r}" if self.query is not None else ""
        return (
            f"Packet(type={self.type}, namespace={self.namespace!r}, data={self.data!r}, "
            f"id={self.id!r}{extra})"
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Packet) and (
            self.type,
            self.namespace,
            self.data,
            self.id,
            self.query,
        ) == (other.type, other.namespace, other.data, other.id, other.query)


def _make_compact_encode() -> Callable[[Any], str]:
    """``json.dumps(data, separators=(",", ":"))`` without what it builds anew
    on every call (an encoder object, and the C encoder inside it).

    Without the circular check, which needs state shared by all calls: a
    cycle raises RecursionError rather than ValueError.
    """
    from json.encoder import c_make_encoder, encode_basestring_ascii  # type: ignore[attr-defined]

    if c_make_encoder is None:
        return _stdlib_json.JSONEncoder(separators=(",", ":"), check_circular=False).encode
    default = _stdlib_json.JSONEncoder().default
    encode = c_make_encoder(
        None, default, encode_basestring_ascii, None, ":", ",", False, False, True
    )

    def compact_encode(data: Any) -> str:
        return "".join(encode(data, 0))

    return compact_encode


def _make_loads() -> Callable[[str], Any]:
    """``json.loads`` for str without its Python layers, when the text is one
    JSON value and nothing else (else json.loads decides, or raises)."""
    scan = _stdlib_json.decoder.JSONDecoder().scan_once  # type: ignore[attr-defined]
    slow = _stdlib_json.loads

    def loads(text: str) -> Any:
        try:
            value, end = scan(text, 0)
        except StopIteration:
            return slow(text)
        return value if end == len(text) else slow(text)

    return loads


_compact_encode = _make_compact_encode()
_fast_loads = _make_loads()


def dumps_compact(json_module: JSONModule | None, data: Any) -> str:
    """Compact JSON, as peers compare strings. Falls back for modules without kwargs."""
    if json_module is None or json_module is _stdlib_json:
        return _compact_encode(data)
    try:
        return str(json_module.dumps(data, separators=(",", ":")))
    except TypeError:
        return str(json_module.dumps(data))


def encode(packet: Packet, json_module: JSONModule | None = None) -> list[str | bytes]:
    """Encode a packet: the text part first, then one bytes item per attachment.

    EVENT and ACK packets whose data holds bytes become BINARY_EVENT and
    BINARY_ACK, each buffer replaced by a placeholder.
    """
    type_ = packet.type
    data = packet.data
    attachments: list[bytes] = []
    if data is not None and type_ in (EVENT, ACK, BINARY_EVENT, BINARY_ACK) and has_binary(data):
        data = _deconstruct(data, attachments)
        type_ = BINARY_EVENT if type_ in (EVENT, BINARY_EVENT) else BINARY_ACK
    elif type_ == BINARY_EVENT:
        type_ = EVENT
    elif type_ == BINARY_ACK:
        type_ = ACK
    parts = [str(type_)]
    if attachments:
        parts.append(f"{len(attachments)}-")
    if packet.namespace and packet.namespace != "/":
        parts.append(packet.namespace)
        parts.append(",")
    if packet.id is not None:
        parts.append(str(packet.id))
    if data is not None:
        parts.append(dumps_compact(json_module, data))
    return ["".join(parts), *attachments]


_SCALARS = frozenset({str, int, float, bool, type(None)})


def has_binary(data: Any) -> bool:
    """True when bytes appear anywhere in lists, tuples or dict values of `data`."""
    if type(data) in _SCALARS:
        return False
    if isinstance(data, (bytes, bytearray, memoryview)):
        return True
    if isinstance(data, (list, tuple)):
        items: Any = data
    elif isinstance(data, dict):
        items = data.values()
    else:
        return False
    for item in items:
        if type(item) not in _SCALARS and has_binary(item):
            return True
    return False


def _deconstruct(data: Any, attachments: list[bytes]) -> Any:
    if isinstance(data, (bytes, bytearray, memoryview)):
        attachments.append(bytes(data))
        return {"_placeholder": True, "num": len(attachments) - 1}
    if isinstance(data, (list, tuple)):
        return [_deconstruct(item, attachments) for item in data]
    if isinstance(data, dict):
        return {key: _deconstruct(value, attachments) for key, value in data.items()}
    return data


def _reconstruct(data: Any, attachments: list[bytes]) -> Any:
    if isinstance(data, list):
        return [_reconstruct(item, attachments) for item in data]
    if isinstance(data, dict):
        if data.get("_placeholder") is True and "num" in data:
            num = data["num"]
            if type(num) is not int or not 0 <= num < len(attachments):
                raise ProtocolError(f"attachment placeholder {num!r} out of range")
            return attachments[num]
        return {key: _reconstruct(value, attachments) for key, value in data.items()}
    return data


class Decoder:
    """Turns a stream of Engine.IO message payloads into Socket.IO packets.

    Feed it every message of one connection in order. It returns a packet once
    complete, or None while a binary packet waits for its attachments.

    >>> d = Decoder()
    >>> d.feed('51-["up",{"_placeholder":true,"num":0}]') is None
    True
    >>> d.feed(b"\\x00\\x01")
    Packet(type=5, namespace='/', data=['up', b'\\x00\\x01'], id=None)
    """

    __slots__ = ("_loads", "max_attachments", "_pending", "_expected", "_attachments")

    def __init__(
        self,
        json_module: JSONModule | None = None,
        max_attachments: int = DEFAULT_MAX_ATTACHMENTS,
    ) -> None:
        if json_module is None or json_module is _stdlib_json:
            self._loads = _fast_loads
        else:
            self._loads = json_module.loads
        self.max_attachments = max_attachments
        self._pending: Packet | None = None
        self._expected = 0
        self._attachments: list[bytes] = []

    def feed(self, item: str | bytes) -> Packet | None:
        if isinstance(item, (bytes, bytearray, memoryview)):
            if self._pending is None:
                raise ProtocolError("binary data without a binary packet")
            self._attachments.append(bytes(item))
            if len(self._attachments) < self._expected:
                return None
            packet, self._pending = self._pending, None
            attachments, self._attachments = self._attachments, []
            packet.data = _reconstruct(packet.data, attachments)
            return packet
        if self._pending is not None:
            self._pending = None
            self._attachments = []
            raise ProtocolError("text packet while binary attachments were expected")
        packet, count = self._parse(item)
        if count:
            self._pending, self._expected = packet, count
            return None
        return packet

    def _parse(self, text: str) -> tuple[Packet, int]:
        if not text or not "0" <= text[0] <= "6":
            raise ProtocolError(f"unknown packet type {text[:1]!r}")
        type_ = ord(text[0]) - 48
        pos, end = 1, len(text)
        count = 0
        if type_ in (BINARY_EVENT, BINARY_ACK):
            dash = text.find("-", pos, pos + 4)
            digits = text[pos:dash]
            if dash < 0 or not digits.isdigit() or not digits.isascii():
                raise ProtocolError("bad attachment count")
            count = int(digits)
            if not 0 < count <= self.max_attachments:
                raise ProtocolError(f"attachment count {count} out of range")
            pos = dash + 1
        namespace = "/"
        query = None
        if pos < end and text[pos] == "/":
            comma = text.find(",", pos)
            stop = end if comma < 0 else comma
            namespace = text[pos:stop]
            pos = stop if comma < 0 else comma + 1
            mark = namespace.find("?")
            if mark >= 0:
                namespace, query = namespace[:mark], namespace[mark + 1 :]
        ack_id = None
        start = pos
        while pos < end and "0" <= text[pos] <= "9":
            pos += 1
        if pos > start:
            if pos - start > _MAX_ACK_ID_DIGITS:
                raise ProtocolError("ack id too long")
            ack_id = int(text[start:pos])
        data = None
        if pos < end:
            try:
                data = self._loads(text[pos:])
            except (ValueError, RecursionError) as exc:
                raise ProtocolError("payload is not valid JSON") from exc
        _validate(type_, data, ack_id)
        return Packet(type_, namespace, data, ack_id, query), count


def _validate(type_: int, data: Any, ack_id: int | None) -> None:
    if type_ == CONNECT:
        if data is not None and not isinstance(data, dict):
            raise ProtocolError("CONNECT payload must be an object")
    elif type_ == DISCONNECT:
        if data is not None:
            raise ProtocolError("DISCONNECT takes no payload")
    elif type_ in (EVENT, BINARY_EVENT):
        if not isinstance(data, list) or not data:
            raise ProtocolError("EVENT payload must be a non-empty array")
        name = data[0]
        if isinstance(name, str):
            if name in RESERVED_EVENTS:
                raise ProtocolError(f"reserved event name {name!r}")
        elif isinstance(name, bool) or not isinstance(name, (int, float)):
            raise ProtocolError("event name must be a string or a number")
    elif type_ in (ACK, BINARY_ACK):
        if not isinstance(data, list):
            raise ProtocolError("ACK payload must be an array")
        if ack_id is None:
            raise ProtocolError("ACK without an id")
    elif type_ == CONNECT_ERROR:
        if not isinstance(data, (str, dict)):
            raise ProtocolError("CONNECT_ERROR payload must be a string or an object")
