"""A client that asks for ``Connection: close`` gets it said back, in every
async mode: a keep-alive client (Node's agent) that is not told reuses the
dead socket ("socket hang up", ECONNRESET). pywsgi honours the header
without answering it; our handler does (issue 11, cause 4)."""

from __future__ import annotations

import socket

import pytest

APP = "tests.integration.apps.protocol_app:app"


@pytest.fixture(scope="module")
def server(module_server_factory, async_mode):
    return module_server_factory(APP, async_mode)


def exchange(port: int, request: bytes) -> tuple[bytes, bool]:
    """The response head, and whether the server closed the connection after it."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(request)
        data = b""
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                return data.split(b"\r\n\r\n", 1)[0], True
            data += chunk
            head, _, body = data.partition(b"\r\n\r\n")
            length = next(
                (int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                 if line.lower().startswith(b"content-length:")), None)
            if length is not None and len(body) >= length:
                sock.settimeout(2)
                try:
                    closed = sock.recv(1) == b""
                except TimeoutError:
                    closed = False
                return head, closed


def request(connection: str) -> bytes:
    return (f"GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Connection: {connection}\r\n\r\n").encode()


@pytest.mark.parametrize("connection", ["close", "keep-alive"])
def test_a_connection_the_server_closes_is_said_to_close(server, connection) -> None:
    head, closed = exchange(server.port, request(connection))
    assert head.startswith(b"HTTP/1.1 200")
    said = b"connection: close" in [line.lower() for line in head.split(b"\r\n")[1:]]
    if connection == "close":
        assert closed
    # Werkzeug closes every connection; the green servers keep them alive.
    assert said == closed, head
