"""One Engine.IO session: its outgoing queue, its transports and its reader.

The protocol state (transport phase, heartbeat and connect deadlines) lives
in a `SessionState`; the session adds what needs locks, sockets and tasks.
It knows nothing of the server that made it: it gets its configuration as a
value, hands what the client sends to its `SessionHandler`, and reports its
end to the `on_close` callback.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, ClassVar, Protocol

from ..drivers import Driver, Event, Task
from ..wire import ProtocolError
from ..wire import engineio as eio
from .config import EngineConfig
from .observer import EngineObserver
from .state import (
    CLIENT_DISCONNECT,
    CLOSED,
    CONNECT_TIMEOUT,
    PING,
    PING_TIMEOUT,
    POLLING,
    SERVER_DISCONNECT,
    SLOW_CONSUMER,
    TRANSPORT_CLOSE,
    TRANSPORT_ERROR,
    UPGRADING,
    WEBSOCKET,
    SessionState,
)
from .websocket import MessageTooBig, WebSocket, frame_message

if TYPE_CHECKING:
    from .deadlines import Deadlines

log = logging.getLogger("flask_socketio.engine")


class SessionHandler(Protocol):
    """What a session tells the layer above (the Socket.IO connection)."""

    def message(self, data: str | bytes, inline: bool) -> None:
        """A message of the client; `inline`: called by the websocket's
        reader, which may run the handlers itself."""

    def closed(self, reason: str) -> None:
        """The session ended (once)."""


class _Unattached:
    """The handler of a session the layer above has not taken yet."""

    def message(self, data: str | bytes, inline: bool) -> None:
        pass

    def closed(self, reason: str) -> None:
        pass


_UNATTACHED = _Unattached()

#: The session whose websocket the current thread (or greenlet) reads, the
#: token it reads under, and the thread's ident (a context copied into another
#: thread must not make that one a reader too); see `Session.pump`.
_reading: ContextVar[tuple[Session, object, int] | None] = ContextVar("_reading", default=None)


def _size(packet: eio.Packet) -> int:
    """About the bytes a packet takes on the wire."""
    data = packet.data
    return 1 if data is None else len(data) + 1


#: Seconds after the probe that a GET which came during an upgrade is ended
#: with a noop (the reference server checks every 100 ms).
PROBE_CHECK = 0.1


class BusyError(Exception):
    """A second GET (or POST) arrived while one was in progress."""


class SwitchedError(Exception):
    """A GET of a session that moved to its websocket (the client gets 400)."""


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


class Session:
    """An Engine.IO session, shared by its polling requests and its websocket.

    Sending never blocks on a polling session (packets wait in the queue for
    the next GET). On a websocket the sending thread writes the frames itself;
    if another thread is already writing, it only queues, and that thread
    sends the batch: no writer thread per connection.
    """

    #: In-process sessions (the test client's) are not reachable over HTTP,
    #: and the layer above handles what they send before `receive` returns.
    in_process: ClassVar[bool] = False

    # Slots: every idle connection holds one session.
    __slots__ = (
        "sid",
        "version",
        "config",
        "driver",
        "_on_close",
        "state",
        "handler",
        "b64",
        "ws_b64",
        "ws",
        "queue",
        "lock",
        "wake",
        "flushing",
        "queued_bytes",
        "in_flight",
        "dropped",
        "writer_task",
        "polling",
        "posting",
        "reader",
        "busy_since",
        "reader_task",
        "address",
        "logger",
        "observer",
        "deadlines",
        "deadline_at",
        "upgrade_began",
        "probed_at",
        "last_get_owed",
        "__weakref__",
    )

    def __init__(
        self,
        sid: str,
        version: int,
        config: EngineConfig,
        driver: Driver,
        on_close: Callable[[Session, str], None],
        transport: str = POLLING,
        b64: bool = False,
    ) -> None:
        self.sid = sid
        self.version = version
        self.config = config
        self.driver = driver
        self._on_close = on_close
        self.state = SessionState(config, version, driver.monotonic(), transport)
        self.handler: SessionHandler = _UNATTACHED
        # v3 clients without binary support ask for base64 per transport:
        # `b64` for polling (from the handshake), `ws_b64` for the websocket.
        self.b64 = b64
        self.ws_b64 = b64
        self.ws: WebSocket | None = None
        self.queue: list[eio.Packet] = []
        self.lock = driver.Lock()
        # What a long-polling GET waits on: no websocket-only session needs one.
        self.wake: Event | None = driver.Event() if transport == POLLING else None
        self.flushing = False
        # Bytes queued (estimated from the packets), bytes handed to a writer
        # task and not yet written, packets dropped as volatile, and the
        # writer task of a client that did not take everything at once.
        self.queued_bytes = 0
        self.in_flight = 0
        self.dropped = 0
        self.writer_task: Task | None = None
        self.polling = False
        self.posting = False
        # The websocket reader: the token it reads under, since when it has been
        # busy with what it read (None while it waits for the client), and the
        # task that took reading over from the WSGI request, if one did.
        self.reader: object | None = None
        self.busy_since: float | None = None
        self.reader_task: Task | None = None
        #: The client's address, for the per-address limits (None in process).
        self.address: str | None = None
        #: Where packets are logged (``engineio_logger=True``), or None.
        self.logger: logging.Logger | None = None
        #: Told of packets in and out (the engine's observer), or None.
        self.observer: EngineObserver | None = None
        #: The engine's deadline task (None in process), and when it will
        #: next look at this session (see `Deadlines.schedule`).
        self.deadlines: Deadlines | None = None
        self.deadline_at = math.inf
        # When the upgrade in progress began, and when its probe was answered:
        # a GET waiting meanwhile ends with a noop (see `poll`).
        self.upgrade_began = math.inf
        self.probed_at: float | None = None
        #: The session closed over polling with no GET waiting: its next GET
        #: gets what it would have got waiting (see `Server.last_get`), once.
        self.last_get_owed = False

    def __repr__(self) -> str:
        return f"<Session {self.sid} EIO={self.version} {self.transport}>"

    @property
    def closed(self) -> bool:
        return self.state.closed

    @property
    def transport(self) -> str:
        return self.state.transport

    # -- sending ------------------------------------------------------------

    def send(self, packet: eio.Packet) -> None:
        self.send_many((packet,))

    def send_many(self, packets: Iterable[eio.Packet]) -> None:
        """Queue packets for the client; on a websocket, write them now.

        Never waits for the client: what its socket does not take at once is
        left to a writer task, and a client over its bounds (`max_queue_size`
        packets, `max_queue_bytes` bytes waiting) loses its volatile packets,
        then is disconnected as a slow consumer.
        """
        if self.logger is not None:
            packets = list(packets)
            for packet in packets:
                self._log_packet("Sending", packet)
        with self.lock:
            if self.state.phase is CLOSED:
                return
            ws = self.ws
            if ws is None or self.flushing:
                if self._enqueue(packets):
                    if self.wake is not None:
                        self.wake.set()
                    return
                ws = None  # over its bounds
            else:
                # The fast path: nothing queued and nobody writing, so this
                # thread writes, and drains whatever others queue meanwhile.
                self.flushing = True
        if ws is None:
            self._too_slow()
            return
        version, b64 = self.version, self.ws_b64
        frames = [ws_frame(p, version, b64) for p in packets]
        data = frames[0] if len(frames) == 1 else b"".join(frames)
        if self.observer is not None:
            self.observer.packets_sent(self, len(frames), len(data))
        self._write(ws, data)

    def _enqueue(self, packets: Iterable[eio.Packet]) -> bool:
        """Queue `packets` (the lock held); False when the client is over its
        bounds with no volatile packet left to drop."""
        queue = self.queue
        for packet in packets:
            queue.append(packet)
            self.queued_bytes += _size(packet)
        config = self.config
        limit = config.max_queue_bytes - self.in_flight
        while len(queue) > config.max_queue_size or self.queued_bytes > limit:
            if not self._drop_volatile(config.volatile_overflow == "drop_oldest"):
                return False
        return True

    def _drop_volatile(self, oldest: bool) -> bool:
        """Drop the packets of one volatile message (the lock held)."""
        queue = self.queue
        order = range(len(queue)) if oldest else range(len(queue) - 1, -1, -1)
        group = next((queue[i].volatile for i in order if queue[i].volatile), 0)
        if not group:
            return False
        kept = [packet for packet in queue if packet.volatile != group]
        dropped = len(queue) - len(kept)
        self.queued_bytes -= sum(_size(p) for p in queue if p.volatile == group)
        queue.clear()
        queue.extend(kept)
        self.dropped += dropped
        if self.observer is not None:
            self.observer.packets_dropped(self, dropped)
        return True

    def _too_slow(self) -> None:
        log.warning(
            "%s: over %d packets or %d bytes waiting to be sent, closing (slow consumer)",
            self.sid,
            self.config.max_queue_size,
            self.config.max_queue_bytes,
        )
        if self.observer is not None:
            self.observer.queue_overflow(self)
        self.close(SLOW_CONSUMER, notify=False)

    def _write(self, ws: WebSocket, data: bytes) -> None:
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

    def _write_out(self, ws: WebSocket, data: bytes) -> None:
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

    def _flush_websocket(self) -> None:
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

    def _writer_failed(self) -> None:
        with self.lock:
            self.flushing = False
            self.writer_task = None
        self.close(TRANSPORT_CLOSE, notify=False)

    # -- polling ------------------------------------------------------------

    def poll(self, timeout: float) -> list[eio.Packet]:
        """Wait for queued packets (a long-polling GET) and take them all.

        Protocol v4: the GET waits until something is queued or its session's
        next deadline, and sends the ping itself when that is due (so that an
        idle GET is answered with the ping, on time, not with a noop).
        Protocol v3 (the client pings): at most `timeout` seconds, then a noop.

        During an upgrade, a noop ends the GET (the client stops polling)
        when the websocket's probe is answered, if the GET was waiting
        before the upgrade began, else `PROBE_CHECK` seconds after the probe
        (the reference server's check interval), unless the switch comes
        first; nothing is queued for a GET that is not there. The switch is
        atomic: a GET waiting when it happens, or arriving after, raises
        `SwitchedError`, and what was queued goes to the websocket.
        """
        monotonic = self.driver.monotonic
        with self.lock:
            if self.state.phase == WEBSOCKET:
                raise SwitchedError("the session is on its websocket")
            if self.polling:
                raise BusyError("a GET is already pending")
            self.polling = True
            started = monotonic()
        give_up = started + timeout if self.version == 3 else math.inf
        try:
            wake = self.wake
            if wake is None:
                wake = self.wake = self.driver.Event()
            while True:
                overdue = False
                with self.lock:
                    state = self.state
                    now = monotonic()
                    if state.phase == WEBSOCKET:
                        raise SwitchedError("the session moved to its websocket")
                    if not self.queue and not state.closed:
                        due = state.due(now)
                        if due == PING:
                            # Under the lock: the deadline task cannot ping too.
                            state.ping_sent(now)
                            ping = eio.Packet(eio.PING)
                            if self.logger is not None:
                                self._log_packet("Sending", ping)
                            self._enqueue((ping,))
                        elif due is not None:
                            overdue = True
                    ends = give_up
                    if self.probed_at is not None and state.phase == UPGRADING:
                        early = started < self.upgrade_began
                        ends = min(ends, self.probed_at + (0 if early else PROBE_CHECK))
                    if self.queue or state.closed or now >= ends:
                        # This GET is the one a client's close owed a noop.
                        self.last_get_owed = False
                        packets = list(self.queue)
                        self.queue.clear()
                        self.queued_bytes = 0
                        wake.clear()
                        if state.pong_deadline is not None:
                            if any(packet.type == eio.PING for packet in packets):
                                state.ping_delivered(now)
                        break
                    wake.clear()
                    wait = min(state.next_deadline(), ends) - now
                if overdue:
                    self.apply_deadlines(now)
                else:
                    wake.wait(max(wait, 0.0))
        finally:
            self.polling = False
        return packets or [eio.Packet(eio.NOOP)]

    @contextmanager
    def posting_payload(self) -> Iterator[None]:
        """Mark the time a POST's payload is read and decoded; a second POST
        meanwhile raises BusyError."""
        with self.lock:
            if self.posting:
                raise BusyError("a POST is already in progress")
            self.posting = True
        try:
            yield
        finally:
            self.posting = False

    # -- receiving ----------------------------------------------------------

    def receive(self, packet: eio.Packet, inline: bool = False) -> None:
        """Handle one packet from the client (`inline`: on the websocket's reader,
        which may run the handlers itself)."""
        kind = packet.type
        if self.logger is not None:
            self._log_packet("Received", packet)
        if self.version == 3:
            # v3 clients ping the server; whatever they send shows they are alive.
            self.state.heard(self.driver.monotonic())
        if kind == eio.MESSAGE:
            data = packet.data
            # An empty message ("4") is a message, as the reference server
            # has it: the layer above gets "" (never None), which a bare
            # engine echoes and the Socket.IO decoder refuses as malformed.
            self.handler.message("" if data is None else data, inline)
        elif kind == eio.PING and self.version == 3:
            self.send(eio.Packet(eio.PONG, packet.data))
        elif kind == eio.PONG and self.version == 4:
            self.state.pong(self.driver.monotonic())
        elif kind == eio.CLOSE:
            self.close(CLIENT_DISCONNECT, notify=False)
        elif kind != eio.NOOP:
            log.info("%s: unexpected %s packet, closing", self.sid, eio.TYPE_NAMES[kind])
            self.close(TRANSPORT_ERROR, notify=False)

    def _log_packet(self, verb: str, packet: eio.Packet) -> None:
        logger = self.logger
        assert logger is not None
        level = logging.DEBUG if packet.type in (eio.PING, eio.PONG) else logging.INFO
        data = "<binary>" if isinstance(packet.data, bytes) else packet.data
        logger.log(
            level,
            "%s: %s packet %s data %s",
            self.sid,
            verb,
            eio.TYPE_NAMES[packet.type].upper(),
            data,
        )

    # -- reading the websocket ----------------------------------------------
    #
    # The task that reads a websocket also runs the handlers of what it reads
    # (no handoff to another thread per event). While it is busy with a long
    # handler the socket goes unread, so the reaper hands reading over to a new
    # task (`apply_deadlines`); and a handler waiting for an ack from its own
    # client reads the socket itself meanwhile (`pump`).

    def read_websocket(self, token: object | None = None) -> None:
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

    def _read_next(self, token: object, timeout: float | None) -> bool:
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

    def pump(self, done: Event, deadline: float) -> None:
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

    def _hand_over_reading(self) -> None:
        """Start a new reader: the current one has been busy for too long."""
        with self.lock:
            if self.busy_since is None or self.state.closed:
                return
            token = object()
            self.reader, self.busy_since = token, None
            self.reader_task = self.driver.spawn(self.read_websocket, token)
        log.debug("%s: reader busy in a handler, another task reads on", self.sid)

    # -- deadlines ------------------------------------------------------------

    def joined(self, connected: bool) -> None:
        """The client joined a namespace, or (False) is in none any more: the
        connect timeout stops, or applies again."""
        self.state.joined(connected)
        if not connected and self.deadlines is not None:
            self.deadlines.schedule(self, self.state.next_deadline())

    def next_deadline(self, reader_patience: float) -> float:
        """When `apply_deadlines` may next have something to do (monotonic);
        a busy reader is the deadline task's sweep's business."""
        return self.state.next_deadline()

    def apply_deadlines(self, now: float, reader_patience: float = math.inf) -> bool:
        """Act on what is due at `now`: send a ping, close a session whose
        client went silent or never joined a namespace, relieve a websocket
        reader busy for longer than `reader_patience`. False if the session
        is (now) closed.

        Deadlines follow a perfect clock: the pong is due `ping_timeout` after
        the ping was due, whenever this runs; a ping overdue by more than the
        timeout is a timeout. A client the ping reaches now (on its websocket,
        or a GET waiting) still gets the whole timeout from now.
        """
        busy_since = self.busy_since
        if busy_since is not None and now - busy_since >= reader_patience:
            self._hand_over_reading()
        with self.lock:
            state = self.state
            due = state.due(now)
            if due == PING:
                if self.ws is not None or self.polling:
                    state.ping_sent(now)
                elif now > state.next_ping + state.config.ping_timeout + state.config.ping_grace:
                    due = PING_TIMEOUT
                else:
                    state.ping_sent(state.next_ping)
        if due is None:
            return not self.state.closed
        if due == PING:
            self.send(eio.Packet(eio.PING))
            return True
        if due == CONNECT_TIMEOUT:
            log.info("%s: no namespace joined in time, closing", self.sid)
            self.close(TRANSPORT_CLOSE)
        else:
            self.close(PING_TIMEOUT, notify=False)
        return False

    # -- transport switch and close ----------------------------------------

    def begin_upgrade(self) -> bool:
        """A websocket asks to take this polling session over; True if it may."""
        with self.lock:
            if not self.state.begin_upgrade():
                return False
            self.upgrade_began = self.driver.monotonic()
            self.probed_at = None
            return True

    def probed(self) -> None:
        """The upgrading websocket's probe was answered: a GET waiting ends
        (now, or soon: see `poll`), so that the client stops polling."""
        with self.lock:
            self.probed_at = self.driver.monotonic()
            if self.polling and self.wake is not None:
                self.wake.set()

    def abort_upgrade(self) -> None:
        with self.lock:
            self.state.abort_upgrade()
            self.upgrade_began, self.probed_at = math.inf, None

    def attach_websocket(self, ws: WebSocket, b64: bool) -> bool:
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

    def close(self, reason: str = SERVER_DISCONNECT, notify: bool = True) -> None:
        """End the session once; tell the client when `notify`, then `on_close`."""
        with self.lock:
            if not self.state.close():
                return
            ws = self.ws
            # Closed over polling with no GET waiting: the next GET gets what
            # a waiting one would have (the close packet of a polite close, or
            # a noop when the client closed: its GET may be on the way on
            # another connection). A protocol error closes at once.
            polite = notify and reason != TRANSPORT_ERROR
            self.last_get_owed = (
                ws is None and not self.polling and (polite or reason == CLIENT_DISCONNECT)
            )
            if notify and ws is None:
                self.queue.append(eio.Packet(eio.CLOSE))
            if self.wake is not None:
                self.wake.set()
        if ws is not None:
            if notify:
                try:
                    # Best effort, without waiting for a client that may not read.
                    ws.try_write(frame_message(eio.Packet(eio.CLOSE).frame(self.version)))
                except OSError:
                    pass
            # A writer task stuck on a full socket holds its lock: do not wait for it.
            ws.close(wait=self.writer_task is None)
        log.debug("%s: closed (%s)", self.sid, reason)
        self._on_close(self, reason)
        self.handler.closed(reason)
