"""Several server processes joined by Redis or RabbitMQ, plus an external emitter.

Clients of different processes reach each other through rooms, broadcasts,
acks, disconnects and room changes relayed by the message queue.
"""

from __future__ import annotations

import os
import queue
import socket
import subprocess
import sys
import time
import uuid

import pytest
import socketio

from tests.conftest import ROOT, require

QUEUES = {
    "redis": ("redis://127.0.0.1:6379/0", 6379),
    "rabbitmq": ("amqp://guest:guest@127.0.0.1:5672//", 5672),
}


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture(params=list(QUEUES), scope="module")
def cluster(request, module_server_factory):
    url, port = QUEUES[request.param]
    require(port_open(port), f"{request.param} on 127.0.0.1:{port}")
    env = {"MESSAGE_QUEUE": url, "CHANNEL": f"test-{uuid.uuid4().hex[:8]}"}
    servers = [module_server_factory("tests.cluster.cluster_app:app", **env) for _ in range(2)]
    wait_for_peers(servers)
    return servers, env


def wait_for_peers(servers, timeout: float = 15) -> None:
    """Wait until every process listens and knows all the others (each says
    hello when it subscribes): no operation is lost to a startup race."""
    deadline = time.monotonic() + timeout
    for server in servers:
        sio = socketio.Client(reconnection=False)
        sio.connect(server.url, transports=["websocket"], wait_timeout=5)
        try:
            while True:
                state = sio.call("peers", timeout=5)
                if state["subscribed"] and state["peers"] >= len(servers) - 1:
                    break
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{server.url} knows {state} after {timeout} s")
                time.sleep(0.05)
        finally:
            sio.disconnect()


def client(server, *events):
    sio = socketio.Client(reconnection=False)
    inbox: dict[str, queue.Queue] = {e: queue.Queue() for e in events}
    for event, q in inbox.items():
        sio.on(event, lambda *args, q=q: q.put(args))
    sio.connect(server.url, transports=["websocket"], wait_timeout=5)
    return sio, inbox


def drain_until(q: queue.Queue, expected, timeout: float = 5):
    while True:
        item = q.get(timeout=timeout)
        if item == expected:
            return


def test_broadcast_across_processes(cluster):
    (one, two), _ = cluster
    a, inbox_a = client(one, "news")
    b, inbox_b = client(two, "news")
    try:
        for text in ("hello all", "second"):
            assert a.call("broadcast", text, timeout=5) == "sent"
            # exactly once each, in order, on both processes
            assert inbox_a["news"].get(timeout=5) == (text,)
            assert inbox_b["news"].get(timeout=5) == (text,)
    finally:
        a.disconnect()
        b.disconnect()


def test_rooms_acks_and_disconnect_across_processes(cluster):
    (one, two), _ = cluster
    a, _ = client(one)
    b, inbox_b = client(two, "news")
    gone = queue.Queue()
    b.on("disconnect", lambda *args: gone.put(True))
    b.on("question", lambda data: f"answer to {data}")
    try:
        room = f"room-{uuid.uuid4().hex[:6]}"
        # a's server puts b (a client of the other process) in a room
        assert a.call("join", (room, b.get_sid()), timeout=5) == "joined"
        assert a.call("to_room", (room, "in the room"), timeout=5) == "sent"
        drain_until(inbox_b["news"], ("in the room",))
        # an ack from a client of the other process comes back
        assert a.call("call_to", (b.get_sid(), "life"), timeout=10) == "answer to life"
        # closing the room on one process empties it on the other
        assert a.call("close_room", room, timeout=5) == "closed"
        assert a.call("to_room", (room, "after close"), timeout=5) == "sent"
        assert a.call("broadcast", "marker", timeout=5) == "sent"
        assert inbox_b["news"].get(timeout=5) == ("marker",)
        # and a disconnect reaches the other process
        assert a.call("kick", b.get_sid(), timeout=5) == "kicked"
        assert gone.get(timeout=5)
    finally:
        a.disconnect()
        b.disconnect()


def test_external_emitter(cluster):
    (one, two), env = cluster
    a, inbox_a = client(one, "notice")
    b, inbox_b = client(two, "notice")
    try:
        subprocess.run(
            [sys.executable, "-m", "tests.cluster.emitter", "notice", "from outside"],
            cwd=ROOT, env={**os.environ, **env, "PYTHONPATH": f"{ROOT}:{ROOT / 'src'}"},
            check=True, timeout=30, capture_output=True,
        )
        assert inbox_a["notice"].get(timeout=5) == ("from outside",)
        assert inbox_b["notice"].get(timeout=5) == ("from outside",)
    finally:
        a.disconnect()
        b.disconnect()
