"""Handlers that run long, in every async mode and over every transport.

A websocket client's handlers run on the task that reads its socket; while one
runs long, another task must read on, or the client's pongs and acks would go
unread. Pings here are far shorter than the handlers, so a server that stopped
reading would drop the client with "ping timeout".
"""

from __future__ import annotations

import queue

import pytest

from tests.integration.test_python_client import TRANSPORTS, connect, wait_for_upgrade


@pytest.fixture(scope="module")
def server(module_server_factory, async_mode):
    server = module_server_factory(
        "tests.integration.apps.protocol_app:app", async_mode, PING_INTERVAL="0.3",
        PING_TIMEOUT="0.3",
    )
    yield server
    server.stop()


@pytest.fixture(params=list(TRANSPORTS))
def transports(request):
    return TRANSPORTS[request.param]


def _disconnect_reason(server, sid):
    observer, _ = connect(server.url, ["websocket"])
    try:
        return {s: r for s, r, *_ in observer.call("disconnects", timeout=5)}.get(sid)
    finally:
        observer.disconnect()


def test_long_handler_keeps_heartbeat_and_order(server, transports):
    client, _ = connect(server.url, transports)
    try:
        wait_for_upgrade(client, transports)
        sid = client.get_sid()
        results: queue.Queue = queue.Queue()
        client.emit("slow", 1.5, callback=lambda value: results.put(("slow", value)))
        client.emit("echo", "next", callback=lambda value: results.put(("echo", value)))
        assert results.get(timeout=10) == ("slow", 1.5)
        assert results.get(timeout=5) == ("echo", "next")
        assert client.connected
        assert client.call("echo", "still here", timeout=5) == "still here"
    finally:
        client.disconnect()
    assert _disconnect_reason(server, sid) != "ping timeout"


def test_call_to_own_client_after_a_long_wait(server, transports):
    client, _ = connect(server.url, transports)
    client.on("server_event", lambda *args: ["got", *args])
    try:
        wait_for_upgrade(client, transports)
        assert client.call("slow_call", 1.0, timeout=10) == ["got", "after", 1.0]
        assert client.call("call_back", "quick", timeout=5) == ["got", "quick"]
    finally:
        client.disconnect()


def test_other_clients_go_on_while_one_handler_runs_long(server, transports):
    busy, _ = connect(server.url, transports)
    other, _ = connect(server.url, transports)
    try:
        wait_for_upgrade(busy, transports)
        done: queue.Queue = queue.Queue()
        busy.emit("slow", 1.0, callback=done.put)
        for n in range(20):
            assert other.call("echo", n, timeout=5) == n
        assert done.get(timeout=10) == 1.0
    finally:
        busy.disconnect()
        other.disconnect()
