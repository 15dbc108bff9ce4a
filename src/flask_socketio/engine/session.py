"""One Engine.IO session: its outgoing queue, its transports and its reader.

The protocol state (transport phase, heartbeat and connect deadlines) lives
in a `SessionState`; the session adds what needs locks, sockets and tasks.
It knows nothing of the server that made it: it gets its configuration as a
value, hands what the client sends to its `SessionHandler`, and reports its
end to the `on_close` callback.

This module is the session's core: its state and its one lock, sending,
receiving, deadlines and closing. Its other methods are written apart and
attached to the class here: session_queue.py (the outgoing queue's bounds),
session_polling.py (a long-polling GET, a POST, the GET during an upgrade)
and session_websocket.py (the writer, the reader, the switch to a websocket).

>>> from flask_socketio.drivers import load_driver
>>> from flask_socketio.engine import EngineConfig
>>> session = Session("sid", 4, EngineConfig.build(), load_driver("threading"), print)
>>> session.send(eio.Packet(eio.MESSAGE, "hi"))
>>> session.queue
[Packet(type=4, data='hi')]
>>> session.close()
<Session sid EIO=4 polling> server disconnect
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, ClassVar, Protocol

from ..drivers import Driver, Event, Task
from ..wire import engineio as eio
from . import session_polling, session_queue, session_websocket
from .config import EngineConfig
from .observer import EngineObserver
from .session_polling import PROBE_CHECK, BusyError, SwitchedError
from .session_websocket import ws_frame
from .state import (
    CLIENT_DISCONNECT,
    CLOSED,
    CONNECT_TIMEOUT,
    PING,
    PING_TIMEOUT,
    POLLING,
    SERVER_DISCONNECT,
    TRANSPORT_CLOSE,
    TRANSPORT_ERROR,
    SessionState,
)
from .websocket import WebSocket, frame_message

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

    # -- the queue's bounds (session_queue.py) ------------------------------

    _enqueue = session_queue._enqueue
    _drop_volatile = session_queue._drop_volatile
    _too_slow = session_queue._too_slow

    # -- the polling half (session_polling.py) ------------------------------

    poll = session_polling.poll
    posting_payload = session_polling.posting_payload
    begin_upgrade = session_polling.begin_upgrade
    probed = session_polling.probed
    abort_upgrade = session_polling.abort_upgrade

    # -- the websocket half (session_websocket.py) --------------------------

    attach_websocket = session_websocket.attach_websocket
    _write = session_websocket._write
    _write_out = session_websocket._write_out
    _flush_websocket = session_websocket._flush_websocket
    _writer_failed = session_websocket._writer_failed
    read_websocket = session_websocket.read_websocket
    _read_next = session_websocket._read_next
    pump = session_websocket.pump
    _hand_over_reading = session_websocket._hand_over_reading

    # -- close --------------------------------------------------------------

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


__all__ = ["PROBE_CHECK", "BusyError", "Session", "SessionHandler", "SwitchedError", "ws_frame"]
