"""Engine.IO packets and polling payloads, protocol v3 and v4 (sans-I/O).

Bytes in, packets out, and back. The protocol generation is a plain integer
(3 or 4) passed to each function: the differences are a handful of branches,
not a class tree.

>>> decode_packet("4hello", 4)
Packet(type=4, data='hello')
>>> encode_payload([Packet(MESSAGE, "hi"), Packet(MESSAGE, b"\\x01")], 4)
(b'4hi\\x1ebAQ==', 'text/plain; charset=UTF-8')
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterable

from .errors import ProtocolError

OPEN, CLOSE, PING, PONG, MESSAGE, UPGRADE, NOOP = range(7)
TYPE_NAMES = ("open", "close", "ping", "pong", "message", "upgrade", "noop")

RECORD_SEPARATOR = "\x1e"
TEXT_CONTENT_TYPE = "text/plain; charset=UTF-8"
BINARY_CONTENT_TYPE = "application/octet-stream"
# JSONP responses are loaded by a <script> tag: with a text/plain type a browser
# that honours `X-Content-Type-Options: nosniff` refuses to run them.
JSONP_CONTENT_TYPE = "text/javascript; charset=UTF-8"

# A v3 binary payload writes each length as one byte per decimal digit; eight
# digits is far beyond any buffer size we accept and keeps the scanner bounded.
_MAX_LENGTH_DIGITS = 8
_JSONP_INDEX = re.compile(r"[0-9]{1,8}")


class Packet:
    """One Engine.IO packet: a type (0-6) and text, bytes or no data.

    Encodings are cached on the packet, so a broadcast that hands the same
    packet to many sessions encodes it once per wire form.
    """

    __slots__ = ("type", "data", "cache", "volatile")

    def __init__(self, type: int, data: str | bytes | None = None) -> None:
        self.type = type
        self.data = data
        self.cache: dict[object, str | bytes] | None = None
        #: Not 0: the packet may be dropped rather than make its client fall
        #: behind; packets of one message share the number.
        self.volatile = 0

    @property
    def binary(self) -> bool:
        return isinstance(self.data, (bytes, bytearray))

    def __repr__(self) -> str:
        return f"Packet(type={self.type}, data={self.data!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Packet) and other.type == self.type and other.data == self.data

    def __hash__(self) -> int:
        return hash((self.type, self.data))

    def text(self, version: int) -> str:
        """The packet as a string: its text form, or the base64 form of binary data."""
        key = ("t", version) if self.binary else "t"
        cache = self.cache
        if cache is not None and key in cache:
            return cache[key]  # type: ignore[return-value]
        if self.binary:
            encoded = base64.b64encode(self.data).decode("ascii")  # type: ignore[arg-type]
            value = "b" + encoded if version == 4 else f"b{self.type}{encoded}"
        else:
            value = str(self.type) if self.data is None else f"{self.type}{self.data!s}"
        if cache is None:
            self.cache = cache = {}
        cache[key] = value
        return value

    def frame(self, version: int, b64: bool = False) -> str | bytes:
        """The packet as one websocket message (text or binary)."""
        if not self.binary:
            return self.text(version)
        if version == 4:
            return bytes(self.data)  # type: ignore[arg-type]
        if b64:
            return self.text(version)
        cache = self.cache
        if cache is not None and "w3" in cache:
            return cache["w3"]
        value = bytes((self.type,)) + bytes(self.data)  # type: ignore[arg-type]
        if cache is None:
            self.cache = cache = {}
        cache["w3"] = value
        return value


def open_packet(
    sid: str, upgrades: list[str], ping_interval: float, ping_timeout: float, max_payload: int
) -> Packet:
    """The handshake packet. Intervals are given in seconds."""
    body = json.dumps(
        {
            "sid": sid,
            "upgrades": upgrades,
            "pingInterval": int(ping_interval * 1000),
            "pingTimeout": int(ping_timeout * 1000),
            "maxPayload": max_payload,
        },
        separators=(",", ":"),
    )
    return Packet(OPEN, body)


def decode_packet(frame: str | bytes, version: int) -> Packet:
    """Decode one websocket message (or one entry of a polling payload).

    >>> decode_packet(b"\\x01\\x02", 4)
    Packet(type=4, data=b'\\x01\\x02')
    """
    if isinstance(frame, (bytes, bytearray, memoryview)):
        frame = bytes(frame)
        if version == 4:
            return Packet(MESSAGE, frame)
        if not frame:
            raise ProtocolError("empty binary packet")
        if frame[0] > NOOP:
            raise ProtocolError(f"unknown binary packet type {frame[0]}")
        return Packet(frame[0], frame[1:])
    if not frame:
        raise ProtocolError("empty packet")
    head = frame[0]
    if head == "b":
        return _decode_base64(frame, version)
    if not "0" <= head <= "6":
        raise ProtocolError(f"unknown packet type {head!r}")
    return Packet(ord(head) - 48, frame[1:] if len(frame) > 1 else None)


def _decode_base64(text: str, version: int) -> Packet:
    if version == 4:
        type_, encoded = MESSAGE, text[1:]
    else:
        if len(text) < 2 or not "0" <= text[1] <= "6":
            raise ProtocolError("bad base64 packet type")
        type_, encoded = ord(text[1]) - 48, text[2:]
    try:
        return Packet(type_, base64.b64decode(encoded, validate=True))
    except (binascii.Error, ValueError) as exc:
        raise ProtocolError("bad base64 data") from exc


def encode_payload(
    packets: Iterable[Packet],
    version: int,
    b64: bool = False,
    jsonp: str | None = None,
    always_binary: bool = False,
) -> tuple[bytes, str]:
    """Encode a polling response body. Returns (body, content type).

    A v3 client that reads binary payloads gets one when there is binary
    data in it, or `always_binary` (engine.io-client 1.5 and older, in
    browsers, read nothing else).

    >>> encode_payload([Packet(MESSAGE, "hi")], 3, always_binary=True)
    (b'\\x00\\x03\\xff4hi', 'application/octet-stream')
    """
    packets = list(packets)
    if version == 4:
        body = RECORD_SEPARATOR.join(p.text(4) for p in packets).encode("utf-8")
        return body, TEXT_CONTENT_TYPE
    if jsonp is None and not b64 and (always_binary or any(p.binary for p in packets)):
        return _encode_v3_binary(packets), BINARY_CONTENT_TYPE
    text = "".join(_v3_text_entry(p) for p in packets)
    if jsonp is not None:
        literal = json.dumps(text).replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
        return f"___eio[{jsonp}]({literal});".encode(), JSONP_CONTENT_TYPE
    return text.encode("utf-8"), TEXT_CONTENT_TYPE


def _v3_text_entry(packet: Packet) -> str:
    """`<length>:<packet>` of a v3 text payload, cached: a broadcast frames it once."""
    cache = packet.cache
    if cache is not None and "p3" in cache:
        return cache["p3"]  # type: ignore[return-value]
    text = packet.text(3)
    entry = f"{utf16_len(text)}:{text}"
    packet.cache["p3"] = entry  # type: ignore[index]  # text() created the cache
    return entry


def _v3_binary_entry(packet: Packet) -> bytes:
    """One packet of a v3 binary (XHR2) payload, cached like `_v3_text_entry`."""
    cache = packet.cache
    if cache is not None and "x3" in cache:
        return cache["x3"]  # type: ignore[return-value]
    if packet.binary:
        marker, data = 1, bytes((packet.type,)) + bytes(packet.data)  # type: ignore[arg-type]
    else:
        marker, data = 0, packet.text(3).encode("utf-8")
    entry = bytes((marker, *(int(d) for d in str(len(data))), 0xFF)) + data
    if packet.cache is None:
        packet.cache = {}
    packet.cache["x3"] = entry
    return entry


def _encode_v3_binary(packets: list[Packet]) -> bytes:
    return b"".join(_v3_binary_entry(p) for p in packets)


def decode_payload(body: bytes, version: int, jsonp: bool = False) -> list[Packet]:
    """Decode a polling POST body into packets.

    >>> decode_payload(b"8:420[\\"a\\"]", 3)
    [Packet(type=4, data='20["a"]')]
    """
    if version == 4:
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ProtocolError("payload is not UTF-8") from exc
        if not text:
            raise ProtocolError("empty payload")
        return [decode_packet(part, 4) for part in text.split(RECORD_SEPARATOR)]
    if jsonp:
        return _decode_v3_text(_jsonp_body(body))
    if body[:1] in (b"\x00", b"\x01"):
        return _decode_v3_binary(body)
    try:
        return _decode_v3_text(body.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ProtocolError("payload is not UTF-8") from exc


def _jsonp_body(body: bytes) -> str:
    from urllib.parse import parse_qs

    try:
        fields = parse_qs(body.decode("utf-8"), keep_blank_values=True, strict_parsing=True)
    except (UnicodeDecodeError, ValueError) as exc:
        raise ProtocolError("bad JSONP form body") from exc
    if list(fields) != ["d"] or len(fields["d"]) != 1:
        raise ProtocolError("JSONP body must be a single 'd' field")
    # The client escapes newlines as "\\n" inside the string it posts.
    return re.sub(r"(\\)?\\n", lambda m: "\\n" if m.group(1) else "\n", fields["d"][0])


def _decode_v3_text(text: str) -> list[Packet]:
    if not text:
        raise ProtocolError("empty payload")
    # Lengths count UTF-16 code units, so walk the string in those units.
    units = text.encode("utf-16-le")
    packets: list[Packet] = []
    pos, end = 0, len(units)
    while pos < end:
        colon = _find_unit(units, ord(":"), pos)
        if colon < 0:
            raise ProtocolError("payload length without ':'")
        length_text = units[pos:colon].decode("utf-16-le")
        if not length_text.isdigit() or len(length_text) > _MAX_LENGTH_DIGITS:
            raise ProtocolError(f"bad payload length {length_text[:16]!r}")
        length = int(length_text)
        start = colon + 2
        stop = start + 2 * length
        if length == 0 or stop > end:
            raise ProtocolError("payload length out of range")
        try:
            packets.append(decode_packet(units[start:stop].decode("utf-16-le"), 3))
        except UnicodeDecodeError as exc:
            raise ProtocolError("payload splits a character") from exc
        pos = stop
    return packets


def _find_unit(units: bytes, code: int, start: int) -> int:
    for pos in range(start, len(units) - 1, 2):
        if units[pos] == code and units[pos + 1] == 0:
            return pos
        if pos - start > 2 * _MAX_LENGTH_DIGITS:
            break
    return -1


def _decode_v3_binary(body: bytes) -> list[Packet]:
    packets: list[Packet] = []
    pos, end = 0, len(body)
    while pos < end:
        marker = body[pos]
        if marker not in (0, 1):
            raise ProtocolError(f"bad binary payload marker {marker}")
        pos += 1
        digits = 0
        length = 0
        while pos < end and body[pos] != 0xFF:
            if body[pos] > 9 or digits >= _MAX_LENGTH_DIGITS:
                raise ProtocolError("bad binary payload length")
            length = length * 10 + body[pos]
            digits += 1
            pos += 1
        if pos >= end or digits == 0:
            raise ProtocolError("truncated binary payload length")
        pos += 1
        if length == 0 or pos + length > end:
            raise ProtocolError("binary payload length out of range")
        chunk = body[pos : pos + length]
        pos += length
        if marker == 1:
            packets.append(decode_packet(chunk, 3))
        else:
            try:
                packets.append(decode_packet(chunk.decode("utf-8"), 3))
            except UnicodeDecodeError as exc:
                raise ProtocolError("string packet is not UTF-8") from exc
    return packets


def utf16_len(text: str) -> int:
    """Length of a string as JavaScript counts it (UTF-16 code units)."""
    if text.isascii():
        return len(text)
    return len(text.encode("utf-16-le")) // 2


def valid_jsonp_index(value: str) -> bool:
    """JSONP's `j` is echoed into JavaScript, so only plain digits are accepted."""
    return _JSONP_INDEX.fullmatch(value) is not None
