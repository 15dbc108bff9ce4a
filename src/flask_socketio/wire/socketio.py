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
        return _stdlib_json.JSONEncoder(
            separators=(",", ":"), check_circular=False, allow_nan=False
        ).encode
    default = _stdlib_json.JSONEncoder().default
    # allow_nan=False: NaN and the infinities raise (ValueError) rather than
    # come out as JavaScript literals no JSON parser takes.
    encode = c_make_encoder(
        None, default, encode_basestring_ascii, None, ":", ",", False, False, False
    )

    def compact_encode(data: Any) -> str:
        return "".join(encode(data, 0))

    return compact_encode


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _make_loads() -> Callable[[str], Any]:
    """``json.loads`` for str without its Python layers, when the text is one
    JSON value and nothing else (else json.loads decides, or raises)."""
    decoder = _stdlib_json.decoder.JSONDecoder(parse_constant=_refuse_constant)
    scan = decoder.scan_once  # type: ignore[attr-defined]
    slow = decoder.decode

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
    """Compact JSON, as peers compare strings. Falls back for modules without kwargs.

    Standard JSON only: NaN and the infinities become null, as JavaScript's
    ``JSON.stringify`` has them.

    >>> dumps_compact(None, [1.5, float("inf"), {"x": float("nan")}])
    '[1.5,null,{"x":null}]'
    """
    if json_module is None or json_module is _stdlib_json:
        try:
            return _compact_encode(data)
        except ValueError:
            return _compact_encode(_finite(data))
    try:
        return str(json_module.dumps(data, separators=(",", ":"), allow_nan=False))
    except ValueError:
        return str(json_module.dumps(_finite(data), separators=(",", ":")))
    except TypeError:
        return str(json_module.dumps(data))


def _finite(data: Any) -> Any:
    """`data` with NaN and the infinities replaced by None (a copy, iteratively)."""
    root: list[Any] = [data]
    stack: list[tuple[Any, Any, Any]] = [(root, 0, data)]
    while stack:
        parent, key, value = stack.pop()
        if type(value) is float and (value != value or value in (_INF, -_INF)):
            parent[key] = None
        elif isinstance(value, (list, tuple)):
            copy = list(value)
            parent[key] = copy
            stack.extend((copy, i, item) for i, item in enumerate(copy))
        elif isinstance(value, dict):
            copy_d = dict(value)
            parent[key] = copy_d
            stack.extend((copy_d, k, item) for k, item in copy_d.items())
    return root[0]


_INF = float("inf")


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
    """True when bytes appear anywhere in lists, tuples or dict values of `data`
    (iteratively: however deep the data)."""
    if type(data) in _SCALARS:
        return False
    stack = [data]
    while stack:
        node = stack.pop()
        if isinstance(node, (bytes, bytearray, memoryview)):
            return True
        if isinstance(node, (list, tuple)):
            items: Any = node
        elif isinstance(node, dict):
            items = node.values()
        else:
            continue
        for item in items:
            if type(item) not in _SCALARS:
                stack.append(item)
    return False


def _deconstruct(data: Any, attachments: list[bytes]) -> Any:
    """A copy of `data` with each bytes value replaced by a placeholder and
    appended to `attachments`, in depth-first order (iteratively)."""
    root: list[Any] = [data]
    stack: list[tuple[Any, Any, Any]] = [(root, 0, data)]
    while stack:
        parent, key, value = stack.pop()
        if isinstance(value, (bytes, bytearray, memoryview)):
            attachments.append(bytes(value))
            parent[key] = {"_placeholder": True, "num": len(attachments) - 1}
        elif isinstance(value, (list, tuple)):
            items = list(value)
            parent[key] = items
            stack.extend((items, i, items[i]) for i in reversed(range(len(items))))
        elif isinstance(value, dict):
            mapping = dict(value)
            parent[key] = mapping
            stack.extend((mapping, k, mapping[k]) for k in reversed(list(mapping)))
    return root[0]


def _attachment(placeholder: dict[str, Any], attachments: list[bytes]) -> bytes:
    num = placeholder["num"]
    if type(num) is not int or not 0 <= num < len(attachments):
        raise ProtocolError(f"attachment placeholder {num!r} out of range")
    return attachments[num]


def _is_placeholder(value: Any) -> bool:
    return type(value) is dict and value.get("_placeholder") is True and "num" in value


def _reconstruct(data: Any, attachments: list[bytes]) -> Any:
    """Put the attachments in place of their placeholders, in `data` itself
    (freshly parsed, ours to change). Iterative: however deep the data, no
    recursion."""
    if _is_placeholder(data):
        return _attachment(data, attachments)
    stack = [data]
    while stack:
        node = stack.pop()
        if type(node) is list:
            items: Any = enumerate(node)
        elif type(node) is dict:
            items = list(node.items())
        else:
            continue
        for key, value in items:
            if _is_placeholder(value):
                node[key] = _attachment(value, attachments)
            elif type(value) is list or type(value) is dict:
                stack.append(value)
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
