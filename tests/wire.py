"""Wire helpers for tests that write what real clients never would: Engine.IO
URLs, v3 polling payloads, websocket frames built by hand, and the server log
to wait on. Shared by tests/integration and tests/hostile."""

from __future__ import annotations

import re
import struct
import time
from typing import Any

import websocket


def engine_url(server: Any, **query: str) -> str:
    """The Engine.IO URL of `server` (a LiveServer); EIO=4 polling unless `query` says more."""
    params = {"EIO": "4", "transport": "polling", **query}
    return f"{server.url}/socket.io/?" + "&".join(f"{k}={v}" for k, v in params.items())


def wait_for_log(server: Any, text: str | re.Pattern, timeout: float = 5.0, since: int = 0) -> str:
    """Wait until `text` (a string, or a compiled regex to search for) appears
    in the server's log after offset `since`; returns that part of the log."""
    deadline = time.monotonic() + timeout
    while True:
        tail = server.log()[since:]
        if (text.search(tail) is not None) if isinstance(text, re.Pattern) else text in tail:
            return tail
        if time.monotonic() > deadline:
            raise AssertionError(f"{text!r} not in the server log:\n{tail[-3000:]}")
        time.sleep(0.02)


# -- Engine.IO v3 polling payloads ------------------------------------------------


def v3_payload(*packets: str) -> str:
    """A v3 text payload: each packet as `<UTF-16 length>:<packet>`."""
    return "".join(f"{len(p.encode('utf-16-le')) // 2}:{p}" for p in packets)


def v3_packets(payload: str) -> list[str]:
    """Split a v3 text payload, checking each length in UTF-16 units."""
    out = []
    pos = 0
    while pos < len(payload):
        length, colon, _ = payload[pos:pos + 12].partition(":")
        assert colon and length.isdigit(), payload
        pos += len(length) + 1
        end, units = pos, 0
        while units < int(length):
            units += 2 if ord(payload[end]) > 0xFFFF else 1
            end += 1
        assert units == int(length), payload
        out.append(payload[pos:end])
        pos = end
    return out


def v3_binary_payload(*packets: str | bytes) -> bytes:
    """A v3 binary (XHR2) payload: marker, length digits, 0xFF, packet."""
    out = b""
    for packet in packets:
        data = packet.encode() if isinstance(packet, str) else packet
        marker = 0 if isinstance(packet, str) else 1
        out += bytes([marker, *(int(d) for d in str(len(data))), 0xFF]) + data
    return out


# -- websocket frames -------------------------------------------------------------

MASK = b"\x01\x02\x03\x04"


def ws_frame(head: int, payload: bytes, masked: bool = True, length: int | None = None,
             width: int | None = None) -> bytes:
    """A client frame written by hand, to break the rules websocket-client keeps.

    `head` is the first byte (FIN, RSV1-3, opcode); `length` is the payload
    length the header announces, when it should lie about the real one;
    `width` (16 or 64) the size of the extended length field, when it should
    be wider than needed.
    """
    announced = len(payload) if length is None else length
    mask_bit = 0x80 if masked else 0
    width = width or (0 if announced < 126 else 16 if announced < 1 << 16 else 64)
    if width == 0:
        header = bytes([head, mask_bit | announced])
    elif width == 16:
        header = bytes([head, mask_bit | 126]) + struct.pack(">H", announced)
    else:
        header = bytes([head, mask_bit | 127]) + struct.pack(">Q", announced)
    if not masked or not payload:
        return header + (MASK if masked else b"") + payload
    size = len(payload)
    mask = int.from_bytes((MASK * (size // 4 + 1))[:size], "big")
    return header + MASK + (int.from_bytes(payload, "big") ^ mask).to_bytes(size, "big")


def open_websocket(server: Any, eio: int = 4, **query: str) -> websocket.WebSocket:
    """A websocket-only Engine.IO session; its open packet is read."""
    url = engine_url(server, EIO=str(eio), transport="websocket", **query)
    ws = websocket.create_connection(url.replace("http://", "ws://"), timeout=5)
    assert ws.recv().startswith("0{")
    return ws


def next_frame(ws: websocket.WebSocket, opcode: int) -> bytes:
    """The data of the next frame with `opcode`, skipping pings and events."""
    while True:
        got, data = ws.recv_data(control_frame=True)
        if got == opcode:
            return data
