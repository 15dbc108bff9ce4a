"""A tiny HTTP reverse proxy that sends each request to the next backend in
turn (no sticky sessions at all, not even per connection), for polling tests.

    with RoundRobinProxy([8001, 8002]) as proxy:
        requests.get(proxy.url + "/socket.io/?EIO=4&transport=polling")

It counts, for each backend, the requests that carried a session id, so that a
test can tell that a session's requests did land on several processes.
"""

from __future__ import annotations

import http.client
import itertools
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "upgrade"}


class RoundRobinProxy:
    def __init__(self, ports: list[int]) -> None:
        self.ports = ports
        self._next = itertools.cycle(range(len(ports)))
        self._lock = threading.Lock()
        #: (backend index, sid) -> requests with that sid sent to that backend.
        self.with_sid: Counter[tuple[int, str]] = Counter()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                with proxy._lock:
                    index = next(proxy._next)
                    sid = parse_qs(urlsplit(self.path).query).get("sid", [None])[0]
                    if sid:
                        proxy.with_sid[index, sid] += 1
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
                upstream = http.client.HTTPConnection("127.0.0.1", proxy.ports[index], timeout=90)
                try:
                    upstream.request(self.command, self.path, body, headers)
                    answer = upstream.getresponse()
                    data = answer.read()
                    self.send_response(answer.status, answer.reason)
                    for key, value in answer.getheaders():
                        if key.lower() not in HOP_BY_HOP:
                            self.send_header(key, value)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    self.send_error(502)
                finally:
                    upstream.close()

            do_GET = do_POST = do_OPTIONS = _forward  # noqa: N815

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> RoundRobinProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def backends_of(self, sid: str) -> set[int]:
        """The backends that got requests of session `sid`."""
        with self._lock:
            return {index for (index, s), n in self.with_sid.items() if s == sid and n}
