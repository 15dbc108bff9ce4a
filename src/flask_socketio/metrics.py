"""Prometheus metrics of a Socket.IO server (``pip install flask-socketio-native[metrics]``).

`Metrics` observes a server (and its engine and message queue) and keeps
prometheus_client metrics, all named ``socketio_*``:

==========================================  =========  ===========================================
name                                        type       labels: what
==========================================  =========  ===========================================
``socketio_connected_clients``              gauge      namespace, transport: clients connected now
``socketio_engine_sessions``                gauge      transport: Engine.IO sessions open now
``socketio_handshakes_total``               counter    transport: handshakes accepted (the first
                                                       transport)
``socketio_upgrades_total``                 counter    polling sessions moved to a websocket
``socketio_engine_disconnects_total``       counter    reason: Engine.IO sessions ended
``socketio_connects_total``                 counter    namespace: clients that joined a namespace
``socketio_disconnects_total``              counter    namespace, reason: clients that left one
``socketio_packets_received_total``         counter    transport: Engine.IO packets in
``socketio_packets_sent_total``             counter    transport: Engine.IO packets out
``socketio_received_bytes_total``           counter    transport: bytes in (websocket messages,
                                                       polling POST bodies)
``socketio_sent_bytes_total``               counter    transport: bytes out (websocket frames,
                                                       polling GET bodies)
``socketio_events_total``                   counter    namespace, event: events handled
``socketio_event_errors_total``             counter    namespace, event: handlers that raised
``socketio_event_duration_seconds``         histogram  namespace, event: handler run time
``socketio_emits_total``                    counter    namespace: emits of the server
``socketio_emit_recipients``                histogram  namespace: clients of this process an
                                                       emit reached (fan-out)
``socketio_outgoing_queue_packets``         gauge      packets waiting in outgoing queues now
``socketio_outgoing_queue_max_packets``     gauge      the longest outgoing queue now
``socketio_outgoing_queue_bytes``           gauge      bytes waiting to be sent now (queued, and
                                                       handed to writer tasks)
``socketio_dropped_packets_total``          counter    volatile packets dropped from queues over
                                                       their bounds
``socketio_slow_consumer_closes_total``     counter    sessions closed because their queue went
                                                       over its bounds with nothing to drop
``socketio_mq_published_total``             counter    method: messages sent to the message queue
``socketio_mq_received_total``              counter    method: messages from other processes
``socketio_mq_errors_total``                counter    direction (publish, receive): failures
``socketio_mq_connected``                   gauge      1 while the listener is subscribed
==========================================  =========  ===========================================

Event names and namespaces come from clients: each label keeps at most
`max_event_names` (`max_namespaces`) distinct values, the rest are counted
as ``"other"``.

The gauges are sampled: when the metrics are scraped, and, in prometheus_client's
multiprocess mode (``PROMETHEUS_MULTIPROC_DIR`` set before prometheus_client is
imported: gunicorn with several workers), every `sample_interval` seconds in
each worker, so that a scrape answered by one worker adds up all of them.

>>> from prometheus_client import CollectorRegistry
>>> from flask_socketio.server import Server
>>> sio = Server(async_mode="threading")
>>> metrics = Metrics(sio, registry=CollectorRegistry())
>>> b"socketio_connected_clients" in metrics.exposition()[0]
True
"""

from __future__ import annotations

import logging
import os
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

try:
    import prometheus_client
    from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
    from prometheus_client.registry import Collector
except ImportError as exc:  # pragma: no cover - depends on the installation
    raise ImportError(
        "flask_socketio.metrics needs prometheus_client: pip install flask-socketio-native[metrics]"
    ) from exc

from ._types import Environ, StartResponse
from .managers import PubSubManager, Target
from .server.observer import Observer

if TYPE_CHECKING:
    from prometheus_client.metrics_core import Metric

    from .engine import Session
    from .server import Connection, Server

log = logging.getLogger("flask_socketio.metrics")

OTHER = "other"
#: Buckets of ``socketio_emit_recipients``.
FANOUT_BUCKETS = (0, 1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, float("inf"))
TRANSPORTS = ("polling", "websocket")
#: Label children kept at hand for so many names (more are looked up each time).
CACHED_NAMES = 1024


def multiprocess_mode() -> bool:
    """Whether prometheus_client keeps its values in files shared by several
    processes (``PROMETHEUS_MULTIPROC_DIR``)."""
    return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))


class BoundedLabels:
    """Label values as they come, up to `limit` distinct ones; then ``"other"``.

    >>> labels = BoundedLabels(2)
    >>> [labels.get(name) for name in ("a", "b", "c", "a")]
    ['a', 'b', 'other', 'a']
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._seen: set[str] = set()
        self._lock = threading.Lock()

    def get(self, value: Any) -> str:
        text = value if isinstance(value, str) else str(value)
        if text in self._seen:
            return text
        with self._lock:
            if len(self._seen) < self.limit:
                self._seen.add(text)
                return text
        return OTHER


class _Sampler(Collector):
    """Registered before the gauges: a scrape samples them first."""

    def __init__(self, sample: Callable[[], None]) -> None:
        self._sample = sample

    def describe(self) -> Iterable[Metric]:
        return []

    def collect(self) -> Iterable[Metric]:
        try:
            self._sample()
        except Exception:
            log.exception("sampling the Socket.IO gauges failed")
        return []


class Families:
    """The metrics of one registry, shared by every `Metrics` that uses it
    (a process has each name once per registry)."""

    def __init__(self, registry: CollectorRegistry, max_event_names: int, max_namespaces: int):
        self.registry = registry
        self.servers: weakref.WeakSet[Server] = weakref.WeakSet()
        self.events = BoundedLabels(max_event_names)
        self.namespaces = BoundedLabels(max_namespaces)
        self.methods = BoundedLabels(32)
        self._sampled: dict[Gauge, set[tuple[str, ...]]] = {}
        if not multiprocess_mode():
            registry.register(_Sampler(self.sample))
        r = registry

        def counter(name: str, text: str, labels: Sequence[str] = ()) -> Counter:
            return Counter(name, text, labels, registry=r)

        def gauge(name: str, text: str, labels: Sequence[str] = (), mode: str = "livesum") -> Gauge:
            return Gauge(name, text, labels, registry=r, multiprocess_mode=mode)  # type: ignore[arg-type]

        self.connected_clients = gauge(
            "socketio_connected_clients", "Clients connected now", ("namespace", "transport")
        )
        self.engine_sessions = gauge(
            "socketio_engine_sessions", "Engine.IO sessions open now", ("transport",)
        )
        self.handshakes = counter(
            "socketio_handshakes", "Engine.IO handshakes accepted", ("transport",)
        )
        self.upgrades = counter("socketio_upgrades", "Polling sessions moved to a websocket")
        self.engine_disconnects = counter(
            "socketio_engine_disconnects", "Engine.IO sessions ended", ("reason",)
        )
        self.connects = counter(
            "socketio_connects", "Clients that joined a namespace", ("namespace",)
        )
        self.disconnects = counter(
            "socketio_disconnects", "Clients that left a namespace", ("namespace", "reason")
        )
        self.packets_in = counter(
            "socketio_packets_received", "Engine.IO packets received", ("transport",)
        )
        self.packets_out = counter(
            "socketio_packets_sent", "Engine.IO packets sent", ("transport",)
        )
        self.bytes_in = counter(
            "socketio_received_bytes", "Bytes received (messages, POST bodies)", ("transport",)
        )
        self.bytes_out = counter(
            "socketio_sent_bytes", "Bytes sent (websocket frames, GET bodies)", ("transport",)
        )
        self.events_handled = counter("socketio_events", "Events handled", ("namespace", "event"))
        self.event_errors = counter(
            "socketio_event_errors", "Event handlers that raised", ("namespace", "event")
        )
        self.event_duration = Histogram(
            "socketio_event_duration_seconds",
            "Run time of event handlers",
            ("namespace", "event"),
            registry=r,
        )
        self.emits = counter("socketio_emits", "Emits of the server", ("namespace",))
        self.emit_recipients = Histogram(
            "socketio_emit_recipients",
            "Clients of this process an emit reached",
            ("namespace",),
            registry=r,
            buckets=FANOUT_BUCKETS,
        )
        self.queue_packets = gauge(
            "socketio_outgoing_queue_packets", "Packets waiting in outgoing queues"
        )
        self.queue_max = gauge(
            "socketio_outgoing_queue_max_packets", "The longest outgoing queue", mode="livemax"
        )
        self.queue_bytes = gauge(
            "socketio_outgoing_queue_bytes", "Bytes waiting to be sent (queued and in flight)"
        )
        self.dropped = counter(
            "socketio_dropped_packets", "Volatile packets dropped from queues over their bounds"
        )
        self.slow_consumers = counter(
            "socketio_slow_consumer_closes",
            "Sessions closed because their outgoing queue went over its bounds",
        )
        self.mq_published = counter(
            "socketio_mq_published", "Messages published to the message queue", ("method",)
        )
        self.mq_received = counter(
            "socketio_mq_received", "Messages received from other processes", ("method",)
        )
        self.mq_errors = counter("socketio_mq_errors", "Message queue failures", ("direction",))
        self.mq_connected = gauge(
            "socketio_mq_connected",
            "1 while the message queue listener is subscribed",
            mode="livemin",
        )
        # Children of the labels known in advance, looked up once.
        self.packets_in_by = {t: self.packets_in.labels(t) for t in TRANSPORTS}
        self.packets_out_by = {t: self.packets_out.labels(t) for t in TRANSPORTS}
        self.bytes_in_by = {t: self.bytes_in.labels(t) for t in TRANSPORTS}
        self.bytes_out_by = {t: self.bytes_out.labels(t) for t in TRANSPORTS}
        # And those of the hot paths, found once per namespace and event
        # (`labels()` takes a lock and checks its arguments each time).
        self._events: dict[tuple[str, str], tuple[Counter, Counter, Histogram]] = {}
        self._emits: dict[str, tuple[Counter, Histogram]] = {}

    def event_children(self, namespace: str, event: str) -> tuple[Counter, Counter, Histogram]:
        """The handled, errors and duration metrics of an event."""
        key = (namespace, event)
        found = self._events.get(key)
        if found is None:
            labels = (self.namespaces.get(namespace), self.events.get(event))
            found = (
                self.events_handled.labels(*labels),
                self.event_errors.labels(*labels),
                self.event_duration.labels(*labels),
            )
            if len(self._events) < CACHED_NAMES:  # names come from clients
                self._events[key] = found
        return found

    def emit_children(self, namespace: str) -> tuple[Counter, Histogram]:
        """The emits and recipients metrics of a namespace."""
        found = self._emits.get(namespace)
        if found is None:
            label = self.namespaces.get(namespace)
            found = (self.emits.labels(label), self.emit_recipients.labels(label))
            if len(self._emits) < CACHED_NAMES:
                self._emits[namespace] = found
        return found

    def sample(self) -> None:
        """Set the gauges from the servers' state now."""
        clients: dict[tuple[str, ...], float] = {}
        sessions: dict[tuple[str, ...], float] = {(t,): 0 for t in TRANSPORTS}
        queued, longest, waiting = 0, 0, 0
        connected: list[bool] = []
        for server in list(self.servers):
            for namespace, rooms in list(server.manager.rooms.items()):
                label = self.namespaces.get(namespace)
                for conn in list(rooms.get(None, {}).values()):
                    key = (label, conn.session.transport)
                    clients[key] = clients.get(key, 0) + 1
            for session in list(server.eio.sessions.values()):
                sessions[(session.transport,)] = sessions.get((session.transport,), 0) + 1
                length = len(session.queue)
                queued += length
                longest = max(longest, length)
                waiting += session.queued_bytes + session.in_flight
            manager = server.manager
            if isinstance(manager, PubSubManager) and not manager.write_only:
                connected.append(manager.connected)
        self._set(self.connected_clients, clients)
        self._set(self.engine_sessions, sessions)
        self.queue_packets.set(queued)
        self.queue_max.set(longest)
        self.queue_bytes.set(waiting)
        if connected:
            self.mq_connected.set(1 if all(connected) else 0)

    def _set(self, gauge: Gauge, values: dict[tuple[str, ...], float]) -> None:
        """Set a labelled gauge to `values`; label sets gone since the last
        sample go to 0 (in multiprocess mode their files keep them)."""
        previous = self._sampled.get(gauge, set())
        for labels in previous - values.keys():
            gauge.labels(*labels).set(0)
        for labels, value in values.items():
            gauge.labels(*labels).set(value)
        self._sampled[gauge] = previous | values.keys()


_families: weakref.WeakKeyDictionary[CollectorRegistry, Families] = weakref.WeakKeyDictionary()
_families_lock = threading.Lock()


def families_of(
    registry: CollectorRegistry, max_event_names: int = 50, max_namespaces: int = 20
) -> Families:
    """The metrics registered in `registry` (made on first use)."""
    with _families_lock:
        found = _families.get(registry)
        if found is None:
            found = _families[registry] = Families(registry, max_event_names, max_namespaces)
        return found


class Metrics(Observer):
    """Prometheus metrics of `server` (see the module's table).

    :param registry: where the metrics are registered (prometheus_client's
        default registry; several servers of one process share it).
    :param max_event_names: distinct event names counted apart (then "other").
    :param max_namespaces: distinct namespaces counted apart (then "other").
    :param sample_interval: seconds between two samples of the gauges in
        multiprocess mode.

    Serve them with `wsgi_app` (``SocketIO(app, metrics=True)`` mounts it on
    ``/metrics``) or on a port of their own with `serve`.
    """

    def __init__(
        self,
        server: Server,
        registry: CollectorRegistry | None = None,
        max_event_names: int = 50,
        max_namespaces: int = 20,
        sample_interval: float = 5,
    ) -> None:
        self.server = server
        self.registry = registry if registry is not None else prometheus_client.REGISTRY
        self.families = f = families_of(self.registry, max_event_names, max_namespaces)
        f.servers.add(server)
        self.sample_interval = sample_interval
        self._sampler_started = False
        self._http: Any = None
        #: The port `serve` listens on, once it does.
        self.port: int | None = None
        server.observe(self)
        manager = server.manager
        if isinstance(manager, PubSubManager):
            manager.observer = self
            f.mq_connected.set(1 if manager.connected else 0)

    # -- exposition ------------------------------------------------------------------

    def exposition_registry(self) -> CollectorRegistry:
        """The registry a scrape reads: in multiprocess mode, one that adds up
        every process's files."""
        if not multiprocess_mode():
            return self.registry
        from prometheus_client import multiprocess

        self.families.sample()  # this process's part, up to date
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return registry

    def exposition(self, accept: str | None = None) -> tuple[bytes, str]:
        """The metrics in the text format (or the format `accept` asks for),
        and its content type.

        >>> body, content_type = metrics.exposition()  # doctest: +SKIP
        """
        from prometheus_client.exposition import choose_encoder

        encoder, content_type = choose_encoder(accept or "")
        return encoder(self.exposition_registry()), content_type

    def wsgi_app(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        """A WSGI application that answers a scrape (mount it on ``/metrics``).

        >>> from flask_socketio.server import WSGIApp
        >>> app = WSGIApp(sio, routes={"/metrics": metrics.wsgi_app})  # doctest: +SKIP
        """
        app = prometheus_client.make_wsgi_app(self.exposition_registry())
        body: Iterable[bytes] = app(environ, start_response)
        return body

    def serve(self, port: int, host: str = "127.0.0.1") -> int:
        """Answer scrapes on `host`:`port`, in a thread of their own (one port
        per process: with several workers, mount `wsgi_app` instead). Returns
        the port (useful with 0).

        >>> metrics.serve(9100)  # doctest: +SKIP
        9100
        """
        server, _ = prometheus_client.start_http_server(
            port, addr=host, registry=self.exposition_registry()
        )
        self._http = server
        self.port = int(server.server_port)
        return self.port

    def close(self) -> None:
        """Stop the port `serve` opened, if any."""
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()
            self._http = self.port = None

    def _start_sampler(self) -> None:
        if self._sampler_started or not multiprocess_mode():
            return
        self._sampler_started = True

        def sample_forever() -> None:
            while True:
                try:
                    self.families.sample()
                except Exception:
                    log.exception("sampling the Socket.IO gauges failed")
                self.server.driver.sleep(self.sample_interval)

        self.server.driver.spawn(sample_forever)

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
