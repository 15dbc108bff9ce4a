"""The metrics of a registry (`Families`): their definitions, the label
children of the hot paths, and the gauges sampled from the servers' state.

Each registry holds each name once: every `Metrics` of a process that uses
the same registry shares its `Families` (`families_of`).

>>> from prometheus_client import CollectorRegistry
>>> families = families_of(CollectorRegistry(), max_event_names=2)
>>> [families.events.get(name) for name in ("chat", "join", "typing")]
['chat', 'join', 'other']
"""

from __future__ import annotations

import logging
import os
import threading
import weakref
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.registry import Collector

from ..managers import PubSubManager

if TYPE_CHECKING:
    from prometheus_client.metrics_core import Metric

    from ..server import Server

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
