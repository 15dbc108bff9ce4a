"""Polling without sticky sessions: each request of a polling client goes to
the next of two processes in turn (a round-robin proxy), and the process that
does not hold the session forwards it to the one that does, through the
message queue. Real clients: python-socketio and the Node socket.io-client.
"""

from __future__ import annotations

import queue
import uuid

import pytest
import socketio

from tests.cluster.roundrobin import RoundRobinProxy
from tests.cluster.test_cluster import QUEUES, port_open
from tests.conftest import require
from tests.jsclient import NodeClient, node_available, node_modules_installed

#: (broker, async mode): threading on both brokers, the green modes on Redis.
SETUPS = [("redis", "threading"), ("rabbitmq", "threading"), ("redis", "gevent"),
          ("redis", "eventlet")]


@pytest.fixture(params=SETUPS, ids=["-".join(s) for s in SETUPS], scope="module")
def cluster(request, module_server_factory):
    broker, mode = request.param
    url, port = QUEUES[broker]
    require(port_open(port), f"{broker} on 127.0.0.1:{port}")
    env = {"MESSAGE_QUEUE": url, "CHANNEL": f"test-{uuid.uuid4().hex[:8]}"}
    servers = [module_server_factory("tests.cluster.cluster_app:app", mode, **env)
               for _ in range(2)]
    with RoundRobinProxy([s.port for s in servers]) as proxy:
        yield servers, proxy


def polling_client(url: str, *events: str):
    sio = socketio.Client(reconnection=False)
    inbox: dict[str, queue.Queue] = {e: queue.Queue() for e in events}
    for event, q in inbox.items():
        sio.on(event, lambda *args, q=q: q.put(args))
    sio.connect(url, transports=["polling"], wait_timeout=10)
    return sio, inbox


def test_python_client_polling_through_round_robin(cluster):
    (one, two), proxy = cluster
    spread, inbox = polling_client(proxy.url, "news")
    # a websocket client of one process, to see what crosses the relay
    other = socketio.Client(reconnection=False)
    other_news: queue.Queue = queue.Queue()
    other.on("news", lambda *args: other_news.put(args))
    other.connect(two.url, transports=["websocket"], wait_timeout=10)
    try:
        room = f"room-{uuid.uuid4().hex[:6]}"
        for n in range(5):
            assert spread.call("broadcast", f"hello {n}", timeout=10) == "sent"
            assert inbox["news"].get(timeout=10) == (f"hello {n}",)
            assert other_news.get(timeout=10) == (f"hello {n}",)
        assert spread.call("join", room, timeout=10) == "joined"
        assert other.call("to_room", (room, "to the room"), timeout=10) == "sent"
        assert inbox["news"].get(timeout=10) == ("to the room",)
        # the session's requests did go to both processes
        assert proxy.backends_of(spread.eio.sid) == {0, 1}
    finally:
        spread.disconnect()
        other.disconnect()
    assert not spread.connected


def test_node_client_polling_through_round_robin(cluster):
    require(node_available() and node_modules_installed(), "node and tests/js/node_modules")
    (one, _), proxy = cluster
    watcher, news = polling_client(one.url, "news")
    try:
        with NodeClient() as node:
            sock = node.connect(proxy.url, transports=["polling"])
            room = f"room-{uuid.uuid4().hex[:6]}"
            for n in range(5):
                assert sock.call("broadcast", f"js {n}", timeout=10) == ["sent"]
                assert sock.wait_event("news", timeout=10) == [f"js {n}"]
                assert news["news"].get(timeout=10) == (f"js {n}",)
            assert sock.call("join", room, timeout=10) == ["joined"]
            assert watcher.call("to_room", (room, "js room"), timeout=10) == "sent"
            assert sock.wait_event("news", timeout=10) == ["js room"]
            sid = sock.state()["sid"]
            sock.disconnect()
        assert sid
    finally:
        watcher.disconnect()
    touched = {index for (index, _), n in proxy.with_sid.items() if n}
    assert touched == {0, 1}
