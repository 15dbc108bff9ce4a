"""WebSocket connections taken over from a WSGI server, framed by websockets.

The WSGI server has already parsed the upgrade request; we answer it with the
101 response on the raw socket and let the sans-I/O layer of the `websockets`
library (`websockets.protocol.Protocol`: masking, in C; lengths, checked
against the size limit at the header; fragments; control frames) do all
RFC 6455 framing from then on. One thread (or greenlet) reads; any thread may
send, serialised by a lock.
"""

from __future__ import annotations

import base64
import binascii
import logging
import socket
from collections.abc import Callable
from typing import Any

from websockets.exceptions import PayloadTooBig
from websockets.frames import Close, CloseCode, Frame, Opcode
from websockets.protocol import SERVER, State
from websockets.protocol import Protocol as FrameProtocol
from websockets.utils import accept_key

from .._types import Environ
from ..drivers import Lock, TakenSocket

log = logging.getLogger("flask_socketio.engine")

_READ_SIZE = 65536
#: Seconds `WebSocket.close` waits for a write in progress to end.
_CLOSE_WAIT = 0.5
_TEXT, _BINARY, _CONT, _CLOSE = Opcode.TEXT, Opcode.BINARY, Opcode.CONT, Opcode.CLOSE
_DATA = (_TEXT, _BINARY, _CONT)
# websockets logs what it does at DEBUG on this logger: a quiet one of our own.
_quiet = logging.getLogger("flask_socketio.engine.frames")


def frame_message(data: str | bytes) -> bytes:
    """One complete websocket frame for a text (str) or binary (bytes) message.

    Server frames are never masked and, without extensions, depend only on
    the payload: frame once, send the same bytes to every recipient.
    """
    if isinstance(data, str):
        return Frame(_TEXT, data.encode("utf-8")).serialize(mask=False)
    return Frame(_BINARY, bytes(data)).serialize(mask=False)


def _close_frame(code: int) -> bytes:
    return Frame(_CLOSE, Close(code, "").serialize()).serialize(mask=False)


def upgrade_problem(environ: Environ) -> str | None:
    """What makes this request not a websocket upgrade (RFC 6455, 4.2.1), or None.

    >>> upgrade_problem({"REQUEST_METHOD": "GET", "HTTP_CONNECTION": "Upgrade",
    ...     "HTTP_UPGRADE": "websocket", "HTTP_SEC_WEBSOCKET_VERSION": "13",
    ...     "HTTP_SEC_WEBSOCKET_KEY": "dGhlIHNhbXBsZSBub25jZQ=="}) is None
    True
    """
    if environ.get("REQUEST_METHOD") != "GET":
        return "not a GET"
    if "upgrade" not in environ.get("HTTP_CONNECTION", "").lower():
        return "no Connection: Upgrade"
    if environ.get("HTTP_UPGRADE", "").lower() != "websocket":
        return "no Upgrade: websocket"
    key = environ.get("HTTP_SEC_WEBSOCKET_KEY", "")
    try:
        nonce = base64.b64decode(key.encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error):
        nonce = b""
    if len(nonce) != 16:
        return "Sec-WebSocket-Key is not 16 bytes in base64"
    if environ.get("HTTP_SEC_WEBSOCKET_VERSION") != "13":
        return "Sec-WebSocket-Version is not 13"
    return None


class MessageTooBig(Exception):
    """A message exceeded the size limit; the connection was closed with 1009."""


class WebSocket:
    """A server-side websocket on a socket the web server handed over.

    `upgraded_by_server`: the web server answered the upgrade (101) itself
    (uWSGI, gevent-websocket) and takes no HTTP response afterwards.
    `owned`: the socket is ours to close (a duplicate of the server's).
    """

    # Slots: every idle websocket holds one.
    __slots__ = (
        "sock",
        "_send_now",
        "max_message_size",
        "upgraded_by_server",
        "_owned",
        "_proto",
        "_lock",
        "_frames",
        "_parts",
        "_text",
        "closed",
    )

    def __init__(
        self,
        sock: socket.socket,
        max_message_size: int,
        lock: Lock,
        upgraded_by_server: bool = False,
        owned: bool = False,
        send_now: Callable[[bytes], int] | None = None,
    ) -> None:
        self.sock = sock
        self._send_now = send_now
        try:
            # Frames go out whole; Nagle would only hold the next one back
            # until the peer's delayed ACK (up to 40 ms).
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass  # not TCP
        self.max_message_size = max_message_size
        self.upgraded_by_server = upgraded_by_server
        self._owned = owned
        self._proto = FrameProtocol(
            SERVER, state=State.OPEN, max_size=max_message_size, logger=_quiet
        )
        self._lock = lock
        # Received frames not yet handed over. The protocol's frames hold
        # bytes (its type says any bytes-like object, for extensions we do
        # not use): Any spares a copy per message to please the checker.
        self._frames: list[Any] = []
        self._parts: list[bytes] = []  # the fragments of a message so far
        self._text = False  # whether that message is text
        self.closed = False

    @classmethod
    def accept(
        cls,
        environ: Environ,
        taken: TakenSocket,
        max_message_size: int,
        lock: Lock,
        nonblocking_send: Callable[[Any], Callable[[bytes], int] | None] | None = None,
        greeting: str | None = None,
    ) -> WebSocket:
        """The websocket on a socket taken over for the upgrade request of
        `environ`, answering the request with 101 unless the server did, and
        sending `greeting` as its first message (in the same write as the 101).
        """
        first = frame_message(greeting) if greeting is not None else b""
        if not taken.upgraded:
            key = environ["HTTP_SEC_WEBSOCKET_KEY"]
            taken.sock.sendall(
                b"HTTP/1.1 101 Switching Protocols\r\n"
                b"Upgrade: websocket\r\nConnection: Upgrade\r\n"
                b"Sec-WebSocket-Accept: " + accept_key(key).encode() + b"\r\n\r\n" + first
            )
        elif first:
            taken.sock.sendall(first)
        send_now = nonblocking_send(taken.sock) if nonblocking_send is not None else None
        return cls(taken.sock, max_message_size, lock, taken.upgraded, taken.owned, send_now)

    def receive(self, timeout: float | None = None) -> str | bytes | None:
        """The next complete message, or None once the connection is closed.

        With a `timeout`, raises TimeoutError if no message came in time; the
        connection stays usable. Raises MessageTooBig (the connection closed
        with 1009) for a message over the size limit, refused at its header.
        """
        # One flat function (and no helper frames while it waits in recv):
        # every frame on an idle reader's stack is resident memory, per
        # connection.
        proto = self._proto
        frames = self._frames
        if timeout is not None:
            self.sock.settimeout(timeout)
        try:
            while True:
                while frames:
                    frame = frames.pop(0)  # a few at most: one read's worth
                    opcode = frame.opcode
                    if opcode in _DATA:
                        if opcode is not _CONT:
                            self._text = opcode is _TEXT
                        if not frame.fin:
                            self._parts.append(frame.data)
                            continue
                        data = frame.data
                        if self._parts:
                            self._parts.append(data)
                            data, self._parts = b"".join(self._parts), []
                        if not self._text:
                            return bytes(data)
                        try:
                            return str(data.decode("utf-8"))
                        except UnicodeDecodeError:
                            log.warning("websocket protocol error (text not UTF-8), closing")
                            self.close(CloseCode.INVALID_DATA)
                            return None
                    if opcode is _CLOSE:
                        self._answer()  # the close frame, echoed by the protocol
                        self._shutdown()
                        return None
                    # A ping: the protocol queued the pong.
                    self._answer()
                if proto.parser_exc is not None:
                    self._answer()  # the close frame the protocol chose
                    self._shutdown()
                    if isinstance(proto.parser_exc, PayloadTooBig):
                        raise MessageTooBig(f"websocket message over {self.max_message_size} bytes")
                    log.warning("websocket protocol error (%s), closing", proto.parser_exc)
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
                proto.receive_data(data)
                frames.extend(proto.events_received())
        finally:
            if timeout is not None and not self.closed:
                self.sock.settimeout(None)

    def _answer(self) -> None:
        """Send what the protocol wants sent (a pong, a close frame)."""
        out = self._proto.data_to_send()
        data = b"".join(out)
        if data and not self.closed:
            try:
                with self._lock:
                    self._write(data)
            except OSError:
                pass

    def send_frames(self, frames: list[bytes]) -> None:
        """Send already framed messages (see `frame_message`) in one write."""
        if self.closed:
            raise ConnectionError("websocket closed")
        with self._lock:
            self._write(frames[0] if len(frames) == 1 else b"".join(frames))

    def try_write(self, data: bytes) -> int | None:
        """Write what the socket takes now, without waiting: the count written
        (0 when its buffer is full), or None when it cannot be tried (another
        thread is writing, or the socket cannot say without waiting)."""
        if self.closed:
            raise ConnectionError("websocket closed")
        send_now = self._send_now
        if send_now is None or not self._lock.acquire(blocking=False):
            return None
        try:
            return send_now(data)
        except (BlockingIOError, InterruptedError):
            return 0
        finally:
            self._lock.release()

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

    def close(self, code: int = CloseCode.NORMAL_CLOSURE, wait: bool = True) -> None:
        """Send a close frame and shut the socket down, without waiting for
        the client: a write in progress may finish its frame (for a moment at
        most, and not at all without `wait`), and a frame the socket does not
        take at once is left out."""
        if self.closed:
            return
        frame = _close_frame(code)
        if self._lock.acquire(timeout=_CLOSE_WAIT if wait else 0):
            try:
                if self._send_now is not None:
                    self._send_now(frame)
                else:
                    self.sock.sendall(frame)
            except OSError:
                pass  # BlockingIOError among them: a client that does not read
            finally:
                self._lock.release()
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


__all__ = ["MessageTooBig", "WebSocket", "frame_message", "upgrade_problem"]
