"""`emit_with_ack` across the processes of a message queue.

The calling process asks its own clients, and publishes the request
(``acks:ask``); every other process asks its clients of the target,
reports whom it asked (``acks:asked``, their sids, before any of their
answers) and relays their answers (``acks:answer``, in batches) to the
caller. The caller
knows how many processes listen, so it knows when every answer is in:
Redis counts the channel's subscribers; with a message queue that cannot
(RabbitMQ), every process announces itself every few seconds
(``acks:hello``) and the caller counts those it heard from lately.
Clients that did not answer in time are reported missing by sid, whatever
their process.

The messages ride on the manager's component messages (`on_relay`,
`relay`), as JSON.

>>> from flask_socketio.server import Server
>>> from flask_socketio.managers import PubSubManager
>>> sio = Server(client_manager=PubSubManager(write_only=True), async_mode="threading")
>>> sio.cluster_acks is not None
True
"""

from __future__ import annotations

import logging
import threading
import uuid
from typing import TYPE_CHECKING, Any

from ..managers import PubSubManager, Target
from ..managers.codec import Message
from ..wire import socketio as sio
from .acks import InlineAck

if TYPE_CHECKING:
    from .acks import AckCollector
    from .connection import Connection
    from .server import Server

log = logging.getLogger("flask_socketio.server")

ASK, ASKED, ANSWER, HELLO = "acks:ask", "acks:asked", "acks:answer", "acks:hello"
#: Seconds between two announcements of a process (where the queue cannot
#: count its listeners); a process not heard from for 3 of them is gone.
HELLO_INTERVAL = 5.0


class ClusterAcks:
    """Broadcast acks of a server whose manager relays through a message queue."""

    def __init__(self, server: Server, manager: PubSubManager[Any]) -> None:
        self.server = server
        self.manager = manager
        self._lock = threading.Lock()
        #: The requests this process made that are still collecting, by id.
        self._requests: dict[str, AckCollector] = {}
        manager.on_relay(ASK, self._on_ask)
        manager.on_relay(ASKED, self._on_asked)
        manager.on_relay(ANSWER, self._on_answer)
        #: When each other process last announced itself, by host id (only
        #: where the message queue cannot count its listeners).
        self._peers: dict[str, float] = {}
        if not manager.counts_peers and not manager.write_only:
            manager.on_relay(HELLO, self._on_hello)
            server.driver.spawn(self._announce)

    # -- who listens --------------------------------------------------------

    def peer_count(self) -> int | None:
        """The other processes that will answer a request, if known."""
        if self.manager.counts_peers:
            return self.manager.peer_count()
        if self.manager.write_only:
            return None
        limit = self.server.driver.monotonic() - 3 * HELLO_INTERVAL
        with self._lock:
            return sum(1 for seen in self._peers.values() if seen >= limit)

    def _announce(self) -> None:
        # The others answer a newcomer's hello at once: its first goes out
        # once it listens, or (RabbitMQ) their answers reach no queue of its
        # own and it learns of them only at their next announcement.
        if not self.manager.wait_subscribed(2 * HELLO_INTERVAL):
            log.warning("announcing this process before it listens to the message queue")
        while True:
            try:
                self.manager.relay(HELLO, host=self.manager.host_id)
            except Exception:
                log.warning("could not announce this process on the message queue", exc_info=True)
            self.server.driver.sleep(HELLO_INTERVAL)

    def _on_hello(self, message: Message) -> None:
        host = str(message.get("host"))
        with self._lock:
            new = host not in self._peers
            self._peers[host] = self.server.driver.monotonic()
        if new:
            # A newcomer learns of this process now, not in a few seconds.
            self.manager.relay(HELLO, host=self.manager.host_id)

    # -- the calling process ------------------------------------------------

    def ask(
        self, target: Target, event: str, args: list[Any], timeout: float, collector: AckCollector
    ) -> str:
        """Ask the clients of `target` in the other processes; their
        answers go to `collector`. Returns the request's id (for `done`)."""
        if self.manager.write_only:
            raise RuntimeError("a write-only message queue client cannot collect acks")
        request = uuid.uuid4().hex
        with self._lock:
            self._requests[request] = collector
        others = self.peer_count()
        # Unknown: wait for the timeout (a count no report brings to zero).
        collector.await_reports(others if others is not None else 1 << 30)
        self.manager.relay(
            ASK,
            request=request,
            origin=self.manager.host_id,
            namespace=target.namespace,
            rooms=None if target.rooms is None else list(target.rooms),
            skip=sorted(target.skip),
            event=event,
            args=args,
            timeout=timeout,
        )
        return request

    def done(self, request: str) -> None:
        """The caller stopped collecting: later messages of `request` are dropped."""
        with self._lock:
            self._requests.pop(request, None)

    def _collector(self, message: Message) -> AckCollector | None:
        if message.get("to") != self.manager.host_id:
            return None
        with self._lock:
            return self._requests.get(str(message.get("request")))

    def _on_asked(self, message: Message) -> None:
        collector = self._collector(message)
        if collector is not None:
            collector.reported([str(sid) for sid in message.get("sids") or ()])

    def _on_answer(self, message: Message) -> None:
        collector = self._collector(message)
        if collector is not None:
            for sid, args in message.get("answers") or ():
                collector.answer(str(sid), list(args), True)

    # -- the other processes -------------------------------------------------

    def _on_ask(self, message: Message) -> None:
        server = self.server
        request, origin = message["request"], message["origin"]
        namespace = str(message.get("namespace") or "/")
        target = Target.of(namespace, message.get("rooms"), message.get("skip"), local=True)
        members = [
            (conn, sid)
            for conn in server.manager.members(target)
            if (sid := conn.sids.get(namespace)) is not None
        ]
        # Whom we ask, before any of their answers can be relayed.
        self.manager.relay(ASKED, request=request, to=origin, sids=[sid for _, sid in members])
        event, args = str(message["event"]), list(message.get("args") or ())
        outbox = _Outbox(self, request, origin)
        for conn, sid in members:
            ack_id = conn.register_ack(_Answer(outbox, sid))
            conn.send(server._encode(sio.Packet(sio.EVENT, namespace, [event, *args], ack_id)))
        if server.observer is not None:
            server.observer.emitted(target, event, args, [conn for conn, _ in members])
        if members:
            # Acks that never come are forgotten once the caller gave up.
            timeout = float(message.get("timeout") or 60)
            server.driver.spawn(self._forget, [conn for conn, _ in members], outbox, timeout)

    def _forget(self, conns: list[Connection], outbox: _Outbox, timeout: float) -> None:
        self.server.driver.sleep(timeout + 1)
        with outbox.lock:
            outbox.closed = True
        for conn in conns:
            with conn.lock:
                for ack_id in [
                    i
                    for i, pending in conn.acks.items()
                    if isinstance(pending, _Answer) and pending.outbox is outbox
                ]:
                    del conn.acks[ack_id]


class _Outbox:
    """The answers of one request in this process, on their way to the
    caller: published in batches by one task at a time (a thousand clients
    answering at once make a few messages, not a thousand publishers)."""

    __slots__ = ("acks", "request", "origin", "lock", "answers", "sending", "closed")

    def __init__(self, acks: ClusterAcks, request: str, origin: str) -> None:
        self.acks = acks
        self.request = request
        self.origin = origin
        self.lock = threading.Lock()
        self.answers: list[list[Any]] = []
        self.sending = False
        self.closed = False

    def add(self, sid: str, args: list[Any]) -> None:
        with self.lock:
            if self.closed:
                return
            self.answers.append([sid, args])
            if self.sending:
                return
            self.sending = True
        self.acks.server.driver.spawn(self._send)

    def _send(self) -> None:
        while True:
            with self.lock:
                answers, self.answers = self.answers, []
                if not answers:
                    self.sending = False
                    return
            try:
                self.acks.manager.relay(
                    ANSWER, request=self.request, to=self.origin, answers=answers
                )
            except Exception:
                log.exception("%d acks could not be relayed to their caller", len(answers))


class _Answer(InlineAck):
    """The ack of one client of this process, for a caller elsewhere."""

    __slots__ = ("outbox", "sid")

    def __init__(self, outbox: _Outbox, sid: str) -> None:
        self.outbox = outbox
        self.sid = sid

    def __call__(self, *args: Any) -> None:
        self.outbox.add(self.sid, list(args))
