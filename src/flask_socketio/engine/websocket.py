"""WebSocket connections taken over from a WSGI server, framed by wsproto.

The WSGI server has already parsed the upgrade request; we answer it with the
101 response on the raw socket and let wsproto's frame layer (`FrameProtocol`:
masking, lengths, fragments, control frames, UTF-8 of text) do all RFC 6455
framing from then on. One thread (or greenlet) reads; any thread may send,
serialised by a lock.
"""

from __future__ import annotations

import logging
import socket
from typing import Any

from wsproto.frame_protocol import CloseReason, FrameProtocol, Opcode, ParseFailed
from wsproto.utilities import generate_accept_token

from .._types import Environ
from ..drivers import Lock, TakenSocket

log = logging.getLogger("flask_socketio.engine")

_READ_SIZE = 65536

# Server frames are never masked and, without extensions, depend only on the
# payload: frame once, send the same bytes to every recipient.
_framer = FrameProtocol(client=False, extensions=[])


def frame_message(data: str | bytes) -> bytes:
    """One complete websocket frame for a text (str) or binary (bytes) message."""
    # _serialize_frame is stateless, unlike send_data, which tracks fragments
    # and so cannot be shared between threads.
    if isinstance(data, str):
        return bytes(_framer._serialize_frame(Opcode.TEXT, data.encode("utf-8")))
    return bytes(_framer._serialize_frame(Opcode.BINARY, bytes(data)))


def is_upgrade_request(environ: dict[str, Any]) -> bool:
    return (
        environ.get("REQUEST_METHOD") == "GET"
        and "upgrade" in environ.get("HTTP_CONNECTION", "").lower()
        and environ.get("HTTP_UPGRADE", "").lower() == "websocket"
        and bool(environ.get("HTTP_SEC_WEBSOCKET_KEY"))
    )


class MessageTooBig(Exception):
    """A message exceeded the size limit; the connection was closed with 1009."""


class WebSocket:
    """A server-side websocket on a socket the web server handed over.

    `upgraded_by_server`: the web server answered the upgrade (101) itself
    (uWSGI, gevent-websocket) and takes no HTTP response afterwards.
    `owned`: the socket is ours to close (a duplicate of the server's).
    """

    def __init__(
        self,
        sock: socket.socket,
        max_message_size: int,
        lock: Lock,
        upgraded_by_server: bool = False,
        owned: bool = False,
    ) -> None:
        self.sock = sock
        try:
            # Frames go out whole; Nagle would only hold the next one back
            # until the peer's delayed ACK (up to 40 ms).
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass  # not TCP
        self.max_message_size = max_message_size
        self.upgraded_by_server = upgraded_by_server
        self._owned = owned
        self._proto = FrameProtocol(client=False, extensions=[])
        self._lock = lock
        self._parts: list[str | bytes] = []
        self._size = 0
        self.closed = False

    @classmethod
    def accept(
        cls, environ: Environ, taken: TakenSocket, max_message_size: int, lock: Lock
    ) -> WebSocket:
        """The websocket on a socket taken over for the upgrade request of
        `environ`, answering the request with 101 unless the server did."""
        if not taken.upgraded:
            key = environ["HTTP_SEC_WEBSOCKET_KEY"].encode("ascii")
            taken.sock.sendall(
                b"HTTP/1.1 101 Switching Protocols\r\n"
                b"Upgrade: websocket\r\nConnection: Upgrade\r\n"
                b"Sec-WebSocket-Accept: " + generate_accept_token(key) + b"\r\n\r\n"
            )
        return cls(taken.sock, max_message_size, lock, taken.upgraded, taken.owned)

    def receive(self, timeout: float | None = None) -> str | bytes | None:
        """The next complete message, or None once the connection is closed.

        With a `timeout`, raises TimeoutError if no message came in time; the
        connection stays usable.
        """
        # One flat function (and no helper frames while it waits in recv):
        # every frame on an idle reader's stack is resident memory, per
        # connection.
        proto = self._proto
        if timeout is not None:
            self.sock.settimeout(timeout)
        try:
            while True:
                try:
                    for frame in proto.received_frames():
                        opcode = frame.opcode
                        payload: Any = frame.payload  # str (text), bytes, or (code, reason)
                        if opcode is Opcode.TEXT or opcode is Opcode.BINARY:
                            message = self._collect(payload, frame.message_finished)
                            if message is not None:
                                return message
                        elif opcode is Opcode.PING:
                            self._send_raw(bytes(proto.pong(payload)))
                        elif opcode is Opcode.CLOSE:
                            self.close(payload[0])  # answered with the same code
                            return None
                except ParseFailed as exc:
                    log.warning("websocket protocol error (%s), closing with %d", exc, exc.code)
                    self.close(exc.code)
                    return None
                if self.closed:
                    return None
                try:
                    data = self.sock.recv(_READ_SIZE)
                except TimeoutError:
                    raise
                except OSError:
                    data = b""
                if not data:
                    self._shutdown()
                    return None
                proto.receive_bytes(data)
        finally:
            if timeout is not None and not self.closed:
                self.sock.settimeout(None)

    def _collect(self, data: str | bytes, finished: bool) -> str | bytes | None:
        """Gather the fragments of a message (wsproto hands over a frame's
        payload as it arrives); the whole message once `finished`."""
        self._size += len(data)
        if self._size > self.max_message_size:
            self.close(CloseReason.MESSAGE_TOO_BIG)
            raise MessageTooBig(f"websocket message over {self.max_message_size} bytes")
        if finished and not self._parts:
            self._size = 0
            return data
        self._parts.append(data)
        if not finished:
            return None
        parts: Any = self._parts
        message: str | bytes = "".join(parts) if isinstance(data, str) else b"".join(parts)
        self._parts, self._size = [], 0
        return message

    def send_frames(self, frames: list[bytes]) -> None:
        """Send already framed messages (see `frame_message`) in one write."""
        if self.closed:
            raise ConnectionError("websocket closed")
        with self._lock:
            self._write(frames[0] if len(frames) == 1 else b"".join(frames))

    def send(self, data: str | bytes) -> None:
        self._send_raw(frame_message(data))

    def _send_raw(self, data: bytes) -> None:
        if self.closed:
            raise ConnectionError("websocket closed")
        with self._lock:
            self._write(data)

    def _write(self, data: bytes) -> None:
        # One send() usually takes it all. gevent's sendall() asks the kernel
        # for the socket's buffer size (a getsockopt) on every call first.
        sent = self.sock.send(data)
        if sent < len(data):
            self.sock.sendall(memoryview(data)[sent:])

    def close(self, code: int = CloseReason.NORMAL_CLOSURE) -> None:
        """Send a close frame (best effort) and shut the socket down."""
        if self.closed:
            return
        try:
            with self._lock:
                self.sock.sendall(bytes(self._proto.close(code)))
        except OSError:
            pass
        self._shutdown()

    def _shutdown(self) -> None:
        # The WSGI server owns the socket and closes it; shutting it down here
        # makes its attempt to write an HTTP response fail quietly (EPIPE).
        self.closed = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        if self._owned:
            self.sock.close()


__all__ = ["MessageTooBig", "WebSocket", "frame_message", "is_upgrade_request"]
