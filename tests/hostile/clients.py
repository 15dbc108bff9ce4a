"""Hand-written clients that can send anything: raw HTTP/1.1 on a socket, raw
Engine.IO polling sessions, and websockets whose frames can be written byte by
byte. Each reports what the server answered as a short string (the answers of
the catalogue: ``400/3``, ``413``, ``close 1002``, ``open``, ...)."""

from __future__ import annotations

import json
import socket
import time
from dataclasses import dataclass, field

import websocket

from tests.wire import v3_packets, v3_payload

TIMEOUT = 5.0
#: The event a probe sends to learn whether a session still serves, and its ack.
PROBE_ID = 900001
PROBE = f'2{PROBE_ID}["echo","probe"]'
PROBE_ACK = f'3{PROBE_ID}["probe"]'


class Raw(bytes):
    """Bytes written to a websocket's socket as they are (frames built by hand)."""


# -- HTTP -----------------------------------------------------------------------


@dataclass
class Response:
    """An HTTP answer; `status` 0 when the server closed without one."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    sock: socket.socket | None = None  # left open after a 101

    def answer(self) -> str:
        """``400/3`` for an Engine.IO error body; after a 101 what the first
        websocket frame was (``101 open``: the open packet, ``101 close 1000``);
        else the status."""
        if self.headers.get("content-type") == "application/json":
            try:
                return f"{self.status}/{json.loads(self.body)['code']}"
            except (ValueError, KeyError, TypeError):
                pass
        if self.status == 101:
            return f"101 {self._first_frame()}"
        return str(self.status) if self.status else "no answer"

    def _first_frame(self) -> str:
        assert self.sock is not None

        def whole(data: bytes) -> bool:  # a frame header, and a short payload
            return len(data) >= 2 and (data[1] & 0x7F > 125 or len(data) >= 2 + data[1])

        data = _receive(self.sock, self.body, whole)
        self.sock.close()
        if data[:1] == b"\x88" and len(data) >= 2:
            return f"close {int.from_bytes(data[2:4], 'big')}" if data[1] >= 2 else "close"
        if data[:1] == b"\x81" and data[2:3] == b"0":
            return "open"
        return "eof"


def _receive(sock: socket.socket, data: bytes, enough) -> bytes:
    """Read onto `data` until `enough(data)`, the end of the stream or the timeout."""
    try:
        while not enough(data):
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    except (TimeoutError, ConnectionResetError):
        pass
    return data


def request(
    method: str = "GET",
    query: str = "EIO=4&transport=polling",
    body: bytes = b"",
    headers: tuple[str, ...] = (),
    path: str = "/socket.io/",
) -> bytes:
    """An HTTP/1.1 request; a Content-Length is added unless `headers` name one
    (or a Transfer-Encoding)."""
    lines = [f"{method} {path}?{query} HTTP/1.1", "Host: 127.0.0.1", *headers]
    named = {h.split(":", 1)[0].lower() for h in headers}
    if (body or method == "POST") and not named & {"content-length", "transfer-encoding"}:
        lines.append(f"Content-Length: {len(body)}")
    if "connection" not in named:
        lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def upgrade_headers(key: str = "dGhlIHNhbXBsZSBub25jZQ==", version: str = "13") -> tuple[str, ...]:
    return ("Connection: Upgrade", "Upgrade: websocket", f"Sec-WebSocket-Key: {key}",
            f"Sec-WebSocket-Version: {version}")


def http(port: int, data: bytes, timeout: float = TIMEOUT) -> Response:
    """Send a raw request and read the answer (the socket stays open after a 101)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        sock.sendall(data)
    except OSError:
        pass  # the server may answer and close before it read everything
    buffer = _receive(sock, b"", lambda data: b"\r\n\r\n" in data)
    head, _, rest = buffer.partition(b"\r\n\r\n")
    if not head.startswith(b"HTTP/"):
        sock.close()
        return Response(0)
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if status == 101:
        return Response(status, headers, rest, sock)
    length = int(headers.get("content-length", -1))
    rest = _receive(sock, rest, lambda data: 0 <= length <= len(data))
    sock.close()
    return Response(status, headers, rest if length < 0 else rest[:length])


# -- Engine.IO sessions -----------------------------------------------------------


class Polling:
    """A raw polling session (EIO=3 or 4), joined to "/" unless `connect` is False."""

    def __init__(self, port: int, eio: int = 4, connect: bool = True, b64: bool = False) -> None:
        self.port, self.eio, self.b64 = port, eio, b64
        self.received: list[str] = []
        response = http(port, request(query=self.query()))
        assert response.status == 200, response
        body = response.body.decode()
        self.sid = json.loads(body[body.index("{"):])["sid"]
        if connect:
            if eio == 4:
                assert self.post(b"40").status == 200
            self.wait_for(lambda packet: packet.startswith("40"))

    def query(self, **extra: str) -> str:
        params = {"EIO": str(self.eio), "transport": "polling"}
        if self.b64:
            params["b64"] = "1"
        if hasattr(self, "sid"):
            params["sid"] = self.sid
        return "&".join(f"{k}={v}" for k, v in {**params, **extra}.items())

    def payload(self, *packets: str) -> bytes:
        """Engine.IO packets as a text POST body of this session's generation."""
        return (v3_payload(*packets) if self.eio == 3 else "\x1e".join(packets)).encode()

    def post(self, body: bytes, headers: tuple[str, ...] = (), **query: str) -> Response:
        return http(self.port, request("POST", self.query(**query), body, headers))

    def get(self, **query: str) -> Response:
        return http(self.port, request("GET", self.query(**query)))

    def packets(self, response: Response) -> list[str]:
        text = response.body.decode("utf-8", "replace")
        return v3_packets(text) if self.eio == 3 else text.split("\x1e")

    def wait_for(self, wanted, timeout: float = TIMEOUT) -> str:
        """GET until a packet satisfies `wanted`: 'found', or 'closed' if the
        session ended first, or 'silent'."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            response = self.get()
            if response.status == 0:
                return "silent"  # parked for the whole ping interval
            if response.status != 200:
                return "closed"
            packets = self.packets(response)
            self.received += packets
            if any(wanted(packet) for packet in packets):
                return "found"
            if "1" in packets:
                return "closed"
        return "silent"

    def state(self) -> str:
        """'open' if the session still answers an echo, else 'closed'."""
        if self.post(self.payload("4" + PROBE)).status != 200:
            return "closed"
        found = self.wait_for(lambda packet: packet == "4" + PROBE_ACK)
        return "open" if found == "found" else found


class WebSocket:
    """A websocket-only session (EIO=3 or 4), joined to "/" unless `connect` is False."""

    def __init__(self, port: int, eio: int = 4, connect: bool = True, sockopt: tuple = (),
                 upgrade: str | None = None) -> None:
        """`upgrade`: the sid of a polling session this websocket upgrades
        (no open packet, no connect: the probe and `5` are the caller's)."""
        url = f"ws://127.0.0.1:{port}/socket.io/?EIO={eio}&transport=websocket"
        if upgrade:
            url += f"&sid={upgrade}"
        self.ws = websocket.create_connection(url, timeout=TIMEOUT, sockopt=sockopt)
        self.eio = eio
        self.received: list[bytes] = []
        self.next_id = 1
        if upgrade:
            self.sid = upgrade
            return
        self.sid = json.loads(self.ws.recv()[1:])["sid"]
        if connect:
            if eio == 4:
                self.ws.send("40")
            self.wait_for(lambda text: text.startswith(b"40"))

    def send(self, *items: str | bytes) -> None:
        """Send messages: str as text, bytes as binary, `Raw` as written; several
        `Raw` items go out in one write."""
        raw = b"".join(item for item in items if isinstance(item, Raw))
        try:
            for item in items:
                if isinstance(item, Raw):
                    continue
                if isinstance(item, bytes):
                    self.ws.send_binary(item)
                else:
                    self.ws.send(item)
            if raw:
                self.ws.sock.sendall(raw)
        except (OSError, websocket.WebSocketException):
            pass  # the server closed already: the answer tells

    def call(self, event: str, *args: object, timeout: float = TIMEOUT) -> object:
        """Emit an event with an ack id and wait for the ack (its arguments)."""
        ack_id, self.next_id = self.next_id, self.next_id + 1
        self.ws.send(f"42{ack_id}" + json.dumps([event, *args], separators=(",", ":")))
        prefix = f"43{ack_id}[".encode()
        if self.wait_for(lambda text: text.startswith(prefix), timeout) != "found":
            raise TimeoutError(f"no ack for {event!r}")
        return json.loads(self.received[-1][len(prefix) - 1:])

    def wait_for(self, wanted, timeout: float = TIMEOUT) -> str:
        """Read until a text message satisfies `wanted`: 'found', else how the
        connection ended: 'close <code>', 'eof', or 'silent' at the timeout."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return "silent"
            self.ws.settimeout(remaining)
            try:
                # Frames as they come: recv_data() would answer a close frame
                # and lose it when that answer fails on a reset socket.
                frame = self.ws.recv_frame()
                opcode, data = frame.opcode, frame.data
            except (TimeoutError, websocket.WebSocketTimeoutException):
                return "silent"
            except (OSError, websocket.WebSocketException):
                return "eof"
            if opcode == websocket.ABNF.OPCODE_CLOSE:
                return f"close {int.from_bytes(data[:2], 'big')}" if len(data) >= 2 else "close"
            if opcode == websocket.ABNF.OPCODE_TEXT:
                self.received.append(data)
                if wanted(data):
                    return "found"
            elif opcode == websocket.ABNF.OPCODE_BINARY:
                self.received.append(data)

    def state(self, timeout: float = TIMEOUT) -> str:
        """'open' if the session still answers an echo, else how it ended."""
        self.send("4" + PROBE)
        found = self.wait_for(lambda text: text == ("4" + PROBE_ACK).encode(), timeout)
        return "open" if found == "found" else found

    def close(self) -> None:
        self.ws.shutdown()
