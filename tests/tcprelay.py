"""A TCP relay on 127.0.0.1 for tests: a load balancer or a network that fails.

New connections go to `backend` (a port on 127.0.0.1; `route` changes it,
None closes them at once); `down()` cuts every open connection and closes new
ones until `up()`. One thread per direction per connection.

>>> with TCPRelay(6379, "redis://127.0.0.1:{port}/0") as relay:  # doctest: +SKIP
...     relay.down()  # the broker is unreachable through relay.url
...     relay.up()
"""

from __future__ import annotations

import contextlib
import socket
import threading


class TCPRelay:
    def __init__(self, backend: int | None, url_template: str = "http://127.0.0.1:{port}") -> None:
        self.backend = backend
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        self.url = url_template.format(port=self.port)
        self._lock = threading.Lock()
        self._open: list[socket.socket] = []
        self._down = False
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def route(self, backend: int | None) -> None:
        """Send new connections to `backend` (None: close them at once)."""
        self.backend = backend

    def down(self) -> None:
        """Cut every open connection; close new ones until `up`."""
        with self._lock:
            self._down = True
            for sock in self._open:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            self._open = []

    def up(self) -> None:
        with self._lock:
            self._down = False

    def close(self) -> None:
        self._closed = True
        self.down()
        self._listener.close()

    def __enter__(self) -> TCPRelay:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                backend = self.backend
                if self._down or backend is None:
                    client.close()
                    continue
                try:
                    upstream = socket.create_connection(("127.0.0.1", backend), timeout=5)
                except OSError:
                    client.close()
                    continue
                upstream.settimeout(None)
                self._open += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        for sock in (source, sink):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
