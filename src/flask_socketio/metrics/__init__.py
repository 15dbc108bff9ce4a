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

The modules: `families` (the definitions, shared per registry, and the
sampling of the gauges), `observer` (`Metrics`: the hooks that update
them), `exposition` (serving them: WSGI, a port, gunicorn's multiprocess
mode).

>>> from prometheus_client import CollectorRegistry
>>> from flask_socketio.server import Server
>>> sio = Server(async_mode="threading")
>>> metrics = Metrics(sio, registry=CollectorRegistry())
>>> b"socketio_connected_clients" in metrics.exposition()[0]
True
"""

from __future__ import annotations

try:
    import prometheus_client  # noqa: F401 - checked before the modules import it
except ImportError as exc:  # pragma: no cover - depends on the installation
    raise ImportError(
        "flask_socketio.metrics needs prometheus_client: pip install flask-socketio-native[metrics]"
    ) from exc

from .exposition import Exposition
from .families import (
    CACHED_NAMES,
    FANOUT_BUCKETS,
    OTHER,
    TRANSPORTS,
    BoundedLabels,
    Families,
    families_of,
    multiprocess_mode,
)
from .observer import Metrics

__all__ = [
    "CACHED_NAMES",
    "FANOUT_BUCKETS",
    "OTHER",
    "TRANSPORTS",
    "BoundedLabels",
    "Exposition",
    "Families",
    "Metrics",
    "families_of",
    "multiprocess_mode",
]
