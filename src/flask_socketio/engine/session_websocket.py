"""The websocket half of a `Session`: its writer and its reader.

Writing: the thread that sends writes the frames itself, as far as the socket
takes them at once; a client that does not read fast enough gets a writer
task for the rest (`_write`, `_write_out`), and what others send meanwhile
waits in the queue for whoever holds the writer role (`flushing`). Reading:
the WSGI request that carries the websocket reads it and runs the handlers
of what it reads (`read_websocket`), a new task takes reading over from a
reader busy for too long (`_hand_over_reading`), and a handler that waits
for its own client's ack reads meanwhile (`pump`). `attach_websocket` makes a
websocket the session's transport.

Each function here is a method of `Session` (its `self`), attached to the
class in session.py: one class with its one lock, called as any method of it
(no extra call on the send and receive paths), and checked by mypy against
`Session`.

>>> from flask_socketio.wire import engineio as eio
>>> ws_frame(eio.Packet(eio.MESSAGE, "hi"), 4, False)
b'\\x81\\x034hi'
"""

from __future__ import annotations

import logging
import threading
from contextvars import ContextVar
from typing import TYPE_CHECKING

from ..drivers import Event
from ..wire import ProtocolError
from ..wire import engineio as eio
from .state import TRANSPORT_CLOSE, TRANSPORT_ERROR
from .websocket import MessageTooBig, WebSocket, frame_message

if TYPE_CHECKING:
    from .session import Session

log = logging.getLogger("flask_socketio.engine")

#: The session whose websocket the current thread (or greenlet) reads, the
#: token it reads under, and the thread's ident (a context copied into another
#: thread must not make that one a reader too); see `Session.pump`.
_reading: ContextVar[tuple[Session, object, int] | None] = ContextVar("_reading", default=None)


def ws_frame(packet: eio.Packet, version: int, b64: bool) -> bytes:
    """The complete websocket frame of a packet, built once per form and
    cached when the packet has a cache (a packet for many recipients)."""
    cache = packet.cache
    if cache is None:
        return frame_message(packet.frame(version, b64))
    binary = type(packet.data) is not str and packet.binary  # text: no isinstance
    key = ("ws", version, b64) if binary else "ws"
    frame = cache.get(key)
    if frame is None:
        frame = cache[key] = frame_message(packet.frame(version, b64))
    return frame  # type: ignore[return-value]


def attach_websocket(self: Session, ws: WebSocket, b64: bool) -> bool:
    """Make `ws` the transport and send it everything queued; False if
    the session closed meanwhile."""
    with self.lock:
        if self.state.closed:
            return False
        self.ws = ws
        self.ws_b64 = b64
        self.state.finish_upgrade(self.driver.monotonic())
        if self.wake is not None:
            self.wake.set()  # a GET pending returns
        if self.flushing:
            return True
        self.flushing = True
    self._flush_websocket()
    return True


# -- writing ----------------------------------------------------------------


def _write(self: Session, ws: WebSocket, data: bytes) -> None:
    """Write `data`, then whatever others queued meanwhile, as far as the
    socket takes it at once; the rest goes to a writer task. The caller
    holds the writer role (`flushing`)."""
    version, b64 = self.version, self.ws_b64
    while True:
        try:
            sent = ws.try_write(data)
        except OSError:
            self._writer_failed()
            return
        if sent is None or sent < len(data):
            rest = data if not sent else data[sent:]
            with self.lock:
                self.in_flight = len(rest)
            self.writer_task = self.driver.spawn(self._write_out, ws, rest)
            return
        with self.lock:
            if not self.queue or self.ws is not ws or self.state.closed:
                self.flushing = False
                return
            batch = list(self.queue)
            self.queue.clear()
            self.queued_bytes = 0
        data = b"".join([ws_frame(p, version, b64) for p in batch])
        if self.observer is not None:
            self.observer.packets_sent(self, len(batch), len(data))


def _write_out(self: Session, ws: WebSocket, data: bytes) -> None:
    """The writer task of a client that does not read fast enough: write,
    waiting for its socket, until nothing is left; then it ends."""
    version, b64 = self.version, self.ws_b64
    while True:
        try:
            ws.send_frames([data])
        except OSError:
            self._writer_failed()
            return
        with self.lock:
            self.in_flight = 0
            if not self.queue or self.ws is not ws or self.state.closed:
                self.flushing = False
                self.writer_task = None
                return
            batch = list(self.queue)
            self.queue.clear()
            self.queued_bytes = 0
            frames = [ws_frame(p, version, b64) for p in batch]
            data = b"".join(frames)
            self.in_flight = len(data)
        if self.observer is not None:
            self.observer.packets_sent(self, len(frames), len(data))


def _flush_websocket(self: Session) -> None:
    """Write everything queued; the caller holds the writer role (`flushing`)."""
    with self.lock:
        ws = self.ws
        if not self.queue or ws is None or self.state.closed:
            self.flushing = False
            return
        batch = list(self.queue)
        self.queue.clear()
        self.queued_bytes = 0
    version, b64 = self.version, self.ws_b64
    data = b"".join([ws_frame(p, version, b64) for p in batch])
    if self.observer is not None:
        self.observer.packets_sent(self, len(batch), len(data))
    self._write(ws, data)


def _writer_failed(self: Session) -> None:
    with self.lock:
        self.flushing = False
        self.writer_task = None
    self.close(TRANSPORT_CLOSE, notify=False)


# -- reading ----------------------------------------------------------------
#
# The task that reads a websocket also runs the handlers of what it reads
# (no handoff to another thread per event). While it is busy with a long
# handler the socket goes unread, so the reaper hands reading over to a new
# task (`apply_deadlines`); and a handler waiting for an ack from its own
# client reads the socket itself meanwhile (`pump`).


def read_websocket(self: Session, token: object | None = None) -> None:
    """Read the websocket and handle what comes until the session ends.

    Called by the WSGI request that carries the websocket; it returns once
    no task reads the socket any more (the request must not end before).
    A task that took reading over calls it with its `token`.
    """
    relieving = token is not None
    if token is None:
        token = object()
        with self.lock:
            self.reader = token
    # The loop is here rather than in a helper: every frame on an idle
    # reader's stack is resident memory, per connection.
    mark = _reading.set((self, token, threading.get_ident()))
    try:
        while self._read_next(token, None):
            pass
    finally:
        _reading.reset(mark)
    while not relieving:
        with self.lock:
            task = self.reader_task
        if task is None:
            return
        task.join()
        with self.lock:
            if self.reader_task is task:
                return


def _read_next(self: Session, token: object, timeout: float | None) -> bool:
    """Read one message and handle it. False once the session is closed or
    another task reads it; TimeoutError only with a `timeout`."""
    ws = self.ws
    with self.lock:
        if self.reader is not token or self.state.closed or ws is None:
            return False
        self.busy_since = None
    try:
        message = ws.receive(timeout)
    except MessageTooBig as exc:
        log.warning("%s: %s", self.sid, exc)
        self.close(TRANSPORT_ERROR, notify=False)
        return False
    except TimeoutError:
        if timeout is None:
            self.close(TRANSPORT_CLOSE, notify=False)
            return False
        raise
    except OSError:
        self.close(TRANSPORT_CLOSE, notify=False)
        return False
    if message is None:
        self.close(TRANSPORT_CLOSE, notify=False)
        return False
    try:
        packet = eio.decode_packet(message, self.version)
    except ProtocolError as exc:
        log.warning("%s: malformed packet (%s), closing", self.sid, exc)
        self.close(TRANSPORT_ERROR, notify=False)
        return False
    self.busy_since = self.driver.monotonic()
    if self.deadlines is not None:
        self.deadlines.reader_busy(self)
    if self.observer is not None:
        self.observer.packets_received(self, 1, len(message))
    self.receive(packet, inline=True)
    return True


def pump(self: Session, done: Event, deadline: float) -> None:
    """Read and handle this session's messages until `done` is set or
    `deadline` (monotonic) passes, if the calling task is the websocket's
    reader; else return at once.

    A handler running on the reader that waits for an ack of its own
    client (``call()``) would otherwise wait for ever: the ack is in the
    socket only it reads. Events read meanwhile wait for the handler.
    """
    current = _reading.get()
    if current is None or current[0] is not self or current[2] != threading.get_ident():
        return
    token = current[1]
    monotonic = self.driver.monotonic
    while not done.is_set():
        remaining = deadline - monotonic()
        if remaining <= 0:
            return
        try:
            if not self._read_next(token, remaining):
                return
        except TimeoutError:
            return


def _hand_over_reading(self: Session) -> None:
    """Start a new reader: the current one has been busy for too long."""
    with self.lock:
        if self.busy_since is None or self.state.closed:
            return
        token = object()
        self.reader, self.busy_since = token, None
        self.reader_task = self.driver.spawn(self.read_websocket, token)
    log.debug("%s: reader busy in a handler, another task reads on", self.sid)


__all__ = ["ws_frame"]
