"""The server's sending half: emits to a `Target`, acks, broadcast acks, batches.

`Emitting` is a base of `Server` (server.py): an emit names a `Target`, the
manager answers who (local connections, and a relay to other processes), and
the packet is encoded once and handed to each connection's session.

>>> from flask_socketio.server import Server
>>> server = Server(async_mode="threading")
>>> server.emit("news", {"headline": "hello"}, to="lobby")
"""

from __future__ import annotations

import contextlib
import itertools
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from ..managers import Target, to_args
from ..wire import engineio as eio
from ..wire import socketio as sio
from .acks import AckCollector, Acks, InlineAck, Waiter
from .dispatch import Dispatch

if TYPE_CHECKING:
    from .cluster_acks import ClusterAcks
    from .connection import Connection


class Emitting(Dispatch):
    """Emits from the server side, in a handler or outside one."""

    _batch: threading.local
    cluster_acks: ClusterAcks | None
    _volatile_groups: itertools.count[int]


    def emit(
        self,
        event: str,
        data: Any = None,
        to: Any = None,
        room: Any = None,
        skip_sid: str | Iterable[str] | None = None,
        namespace: str | None = None,
        callback: Callable[..., Any] | None = None,
        ignore_queue: bool = False,
    ) -> None:
        """Emit `event` to one client (its sid), a room, a list of rooms, or everyone.

        A tuple as `data` is sent as several arguments.
        """
        target = Target.of(namespace, to if to is not None else room, skip_sid, ignore_queue)
        self.emit_to(target, event, to_args(data), callback)

    def emit_to(
        self,
        target: Target,
        event: str,
        args: list[Any],
        callback: Callable[..., Any] | None = None,
        volatile: bool = False,
    ) -> None:
        """Emit `event` with `args` to the clients of `target`, here and, unless
        the target is local, in the other processes of a message queue.

        The packet is encoded once for every recipient (once per recipient
        with a `callback`, which gets each recipient's ack). A `volatile`
        event may be dropped for a client that does not keep up, rather than
        have it disconnected.
        """
        if self.event_log is not None:
            to = "all" if target.rooms is None else ", ".join(map(str, target.rooms))
            self.event_log.info('emitting event "%s" to %s [%s]', event, to, target.namespace)
        manager = self.manager
        members = manager.members(target)
        if not target.local:
            manager.relay_emit(target, event, args, callback)
        if self.observer is not None:
            self.observer.emitted(target, event, args, members)
        if self.recovery is not None and callback is None and not volatile:
            args = self.recovery.log(target, event, args)
        if not members:
            return
        namespace = target.namespace
        batch: dict[Any, list[eio.Packet]] | None = getattr(self._batch, "sends", None)
        if callback is not None:
            if batch:
                self._send_batch()  # what came before goes first
            for conn in members:
                ack_id = conn.register_ack(callback)
                conn.send(self._encode(sio.Packet(sio.EVENT, namespace, [event, *args], ack_id)))
            return
        packets = self._encode(sio.Packet(sio.EVENT, namespace, [event, *args]))
        group = next(self._volatile_groups) if volatile else 0
        if len(members) > 1 or group:
            for packet in packets:
                packet.cache = {}  # each wire form is framed once, for everyone
                packet.volatile = group
        if batch is not None:
            for conn in members:
                if conn.held is None:
                    pending = batch.get(conn.session)
                    if pending is None:
                        batch[conn.session] = list(packets)
                    else:
                        pending.extend(packets)
                else:
                    self._send_batch()
                    conn.send(packets)
            return
        for conn in members:
            if conn.held is None:
                conn.session.send_many(packets)
            else:
                conn.send(packets)

    @contextlib.contextmanager
    def batched_sends(self) -> Iterator[None]:
        """Within this block, emits of the current task are gathered and each
        client gets its share in one write when the block ends (or before
        anything that must not overtake them: an emit with an ack, a
        disconnect). The message-queue relay applies the emits it has at hand
        so: one socket write per client instead of one per emit.

        >>> with server.batched_sends():  # doctest: +SKIP
        ...     for n in range(64):
        ...         server.emit("tick", n)
        """
        if getattr(self._batch, "sends", None) is not None:
            yield  # nested: the outer block sends
            return
        self._batch.sends = {}
        try:
            yield
        finally:
            self._send_batch()
            self._batch.sends = None

    def _send_batch(self) -> None:
        batch = getattr(self._batch, "sends", None)
        if not batch:
            return
        self._batch.sends = {}
        for session, packets in batch.items():
            session.send_many(packets)

    def send(
        self,
        data: Any,
        to: Any = None,
        room: Any = None,
        skip_sid: str | Iterable[str] | None = None,
        namespace: str | None = None,
        callback: Callable[..., Any] | None = None,
        ignore_queue: bool = False,
    ) -> None:
        """Send a ``message`` event."""
        self.emit("message", data, to, room, skip_sid, namespace, callback, ignore_queue)

    def call(
        self,
        event: str,
        data: Any = None,
        to: str | None = None,
        sid: str | None = None,
        namespace: str | None = None,
        timeout: float = 60,
        ignore_queue: bool = False,
    ) -> Any:
        """Emit to one client and wait for its ack; raises TimeoutError.

        Returns the ack's single argument, or a tuple of several.
        """
        target = to or sid
        if target is None:
            raise ValueError("call() needs the sid of one client (to=...)")
        namespace = namespace or "/"
        waiter = Waiter(self.driver)
        deadline = self.driver.monotonic() + timeout
        self.emit_to(Target.of(namespace, target, None, ignore_queue), event, to_args(data), waiter)
        conn = self.manager.member(target, namespace)
        if conn is not None:
            # A handler of this very client may be running on its websocket's
            # reader: then the ack has to be read here.
            conn.session.pump(waiter.event, deadline)
        if not waiter.event.wait(max(0.0, deadline - self.driver.monotonic())):
            if conn is not None:
                conn.forget_ack(waiter)
            else:
                self.manager.forget_ack(waiter)  # a client of another process
            raise TimeoutError(f"no ack for {event!r} from {target} within {timeout}s")
        result = waiter.result or []
        return result[0] if len(result) == 1 else tuple(result) if result else None

    def emit_with_ack(
        self,
        event: str,
        data: Any = None,
        to: Any = None,
        room: Any = None,
        skip_sid: str | Iterable[str] | None = None,
        namespace: str | None = None,
        timeout: float = 60,
        callback: Callable[[Acks], Any] | None = None,
    ) -> Acks | None:
        """Emit to several clients (a room, a list, everyone) and collect each
        one's ack, until all are in or `timeout` seconds pass.

        Returns the `Acks` (responses by sid, and the sids `missing`); with a
        `callback`, returns at once and calls it with the `Acks` instead.

        >>> from flask_socketio.server import Server
        >>> server = Server(async_mode="threading")
        >>> server.emit_with_ack("ready?", to="lobby", timeout=0.1).missing
        set()
        """
        target = Target.of(namespace, to if to is not None else room, skip_sid)
        return self.collect_acks(target, event, to_args(data), timeout, callback)

    def collect_acks(
        self,
        target: Target,
        event: str,
        args: list[Any],
        timeout: float,
        callback: Callable[[Acks], Any] | None = None,
    ) -> Acks | None:
        """`emit_with_ack` to a `Target`: its clients here and, unless the
        target is local, in the other processes of a message queue."""
        collector = AckCollector(self.driver)
        deadline = self.driver.monotonic() + timeout
        namespace = target.namespace
        cluster, request = self.cluster_acks, None
        if cluster is not None and not target.local:
            request = cluster.ask(target, event, args, timeout, collector)
        asked: list[tuple[Connection, InlineAck]] = []
        for conn in self.manager.members(target):
            sid = conn.sids.get(namespace)
            if sid is None:
                continue
            answer = collector.expect(sid)
            ack_id = conn.register_ack(answer)
            conn.send(self._encode(sio.Packet(sio.EVENT, namespace, [event, *args], ack_id)))
            asked.append((conn, answer))
        collector.sealed()
        if self.observer is not None:
            self.observer.emitted(target, event, args, [conn for conn, _ in asked])

        def finish() -> Acks:
            acks = collector.result()
            if cluster is not None and request is not None:
                cluster.done(request)
            for conn, answer in asked:
                conn.forget_ack(answer)  # late answers go nowhere
            return acks

        if callback is not None:

            def wait_then_call() -> None:
                collector.done.wait(max(0.0, deadline - self.driver.monotonic()))
                callback(finish())

            self.driver.spawn(wait_then_call)
            return None
        for conn, _ in asked:
            # A handler running on the reader of one of them reads its ack.
            conn.session.pump(collector.done, deadline)
        collector.done.wait(max(0.0, deadline - self.driver.monotonic()))
        return finish()
