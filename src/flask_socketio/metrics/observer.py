"""`Metrics`: the observer of a server, its engine and its message queue
that keeps the metrics up to date (the counters and histograms on each
hook; the gauges are sampled, see `Families.sample`).

>>> from prometheus_client import CollectorRegistry
>>> from flask_socketio.server import Server
>>> metrics = Metrics(Server(async_mode="threading"), registry=CollectorRegistry())
>>> len(metrics.families.servers), metrics.port
(1, None)
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import prometheus_client
from prometheus_client import CollectorRegistry

from .._types import Environ
from ..managers import PubSubManager, Target
from ..server.observer import Observer
from .exposition import Exposition
from .families import families_of

if TYPE_CHECKING:
    from ..engine import Session
    from ..server import Connection, Server


class Metrics(Exposition, Observer):
    """Prometheus metrics of `server` (see the package's table).

    :param registry: where the metrics are registered (prometheus_client's
        default registry; several servers of one process share it).
    :param max_event_names: distinct event names counted apart (then "other").
    :param max_namespaces: distinct namespaces counted apart (then "other").
    :param sample_interval: seconds between two samples of the gauges in
        multiprocess mode.

    Serve them with `wsgi_app` (``SocketIO(app, metrics=True)`` mounts it on
    ``/metrics``) or on a port of their own with `serve` (see `Exposition`).
    """

    def __init__(
        self,
        server: Server,
        registry: CollectorRegistry | None = None,
        max_event_names: int = 50,
        max_namespaces: int = 20,
        sample_interval: float = 5,
    ) -> None:
        registry = registry if registry is not None else prometheus_client.REGISTRY
        families = families_of(registry, max_event_names, max_namespaces)
        super().__init__(server, registry, families, sample_interval)
        families.servers.add(server)
        server.observe(self)
        manager = server.manager
        if isinstance(manager, PubSubManager):
            manager.observer = self
            families.mq_connected.set(1 if manager.connected else 0)

    # -- the engine's hooks --------------------------------------------------------------

    def session_opened(self, session: Session, environ: Environ) -> None:
        self.families.handshakes.labels(session.transport).inc()
        if not self._sampler_started:
            self._start_sampler()

    def session_upgraded(self, session: Session) -> None:
        self.families.upgrades.inc()

    def session_closed(self, session: Session, reason: str) -> None:
        self.families.engine_disconnects.labels(reason).inc()

    def packets_received(self, session: Session, count: int, size: int) -> None:
        transport = session.transport
        self.families.packets_in_by[transport].inc(count)
        self.families.bytes_in_by[transport].inc(size)

    def packets_sent(self, session: Session, count: int, size: int) -> None:
        transport = session.transport
        self.families.packets_out_by[transport].inc(count)
        self.families.bytes_out_by[transport].inc(size)

    def packets_dropped(self, session: Session, count: int) -> None:
        self.families.dropped.inc(count)

    def queue_overflow(self, session: Session) -> None:
        self.families.slow_consumers.inc()

    # -- the server's hooks --------------------------------------------------------------

    def connected(self, conn: Connection, namespace: str, sid: str) -> None:
        f = self.families
        f.connects.labels(f.namespaces.get(namespace)).inc()

    def disconnected(self, conn: Connection, namespace: str, sid: str, reason: str) -> None:
        f = self.families
        f.disconnects.labels(f.namespaces.get(namespace), reason).inc()

    def handle_event(
        self,
        conn: Connection,
        namespace: str,
        sid: str,
        event: str,
        args: Sequence[Any],
        call: Callable[[], Any],
    ) -> Any:
        handled, errors, duration = self.families.event_children(namespace, event)
        start = time.perf_counter()
        try:
            return call()
        except BaseException:
            errors.inc()
            raise
        finally:
            duration.observe(time.perf_counter() - start)
            handled.inc()

    def emitted(self, target: Target, event: str, args: Sequence[Any], members: list[Any]) -> None:
        emits, recipients = self.families.emit_children(target.namespace)
        emits.inc()
        recipients.observe(len(members))

    # -- the message queue's hooks ----------------------------------------------------------

    def relay_published(self, method: str, size: int) -> None:
        f = self.families
        f.mq_published.labels(f.methods.get(method)).inc()

    def relay_received(self, method: str, size: int) -> None:
        f = self.families
        f.mq_received.labels(f.methods.get(method)).inc()

    def relay_failed(self, direction: str) -> None:
        self.families.mq_errors.labels(direction).inc()

    def relay_connection(self, connected: bool) -> None:
        self.families.mq_connected.set(1 if connected else 0)
