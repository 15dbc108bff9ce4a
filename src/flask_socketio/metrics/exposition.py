"""Serving the metrics to Prometheus: a WSGI application to mount beside the
app (``SocketIO(app, metrics=True)`` mounts it on ``/metrics``), or a port
of their own; and, in prometheus_client's multiprocess mode (gunicorn with
several workers), a scrape that adds up every worker's files, whose gauges
each worker samples every `sample_interval` seconds.

`Exposition` is the half of `Metrics` that does it.

>>> from prometheus_client import CollectorRegistry
>>> from flask_socketio.server import Server
>>> from flask_socketio.metrics.families import families_of
>>> registry = CollectorRegistry()
>>> exposition = Exposition(Server(async_mode="threading"), registry, families_of(registry), 5)
>>> body, content_type = exposition.exposition()
>>> b"socketio_engine_sessions" in body, content_type.split(";")[0]
(True, 'text/plain')
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import prometheus_client
from prometheus_client import CollectorRegistry

from .._types import Environ, StartResponse
from .families import multiprocess_mode

if TYPE_CHECKING:
    from ..server import Server
    from .families import Families

log = logging.getLogger("flask_socketio.metrics")


class Exposition:
    """Serves the metrics `families` of `server`, registered in `registry`."""

    def __init__(
        self,
        server: Server,
        registry: CollectorRegistry,
        families: Families,
        sample_interval: float,
    ) -> None:
        self.server = server
        self.registry = registry
        self.families = families
        self.sample_interval = sample_interval
        self._sampler_started = False
        self._http: Any = None
        #: The port `serve` listens on, once it does.
        self.port: int | None = None

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
        """In multiprocess mode, sample the gauges every `sample_interval`
        seconds from now on (the first client's handshake), so that a scrape
        answered by another worker has this one's."""
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
