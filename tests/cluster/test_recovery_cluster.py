"""Connection state recovery across processes: a socket.io-client 4.x that
drops out of one server process comes back through another (a load balancer
sends it there), with Redis as the message queue and the recovery store (every
async mode), and with RabbitMQ (the process it comes back to asks the one it
left)."""

from __future__ import annotations

import time
import uuid

import pytest

from tests.cluster.proxy import Proxy
from tests.cluster.test_cluster import QUEUES, port_open
from tests.conftest import require
from tests.jsclient import NodeClient, node_available, node_modules_installed

APP = "tests.cluster.features_app:app"
RECONNECT = {"reconnection": True, "reconnectionDelay": 200, "reconnectionDelayMax": 200}


def require_services(queue_name: str) -> None:
    require(port_open(QUEUES[queue_name][1]), f"{queue_name} on 127.0.0.1")
    require(node_available() and node_modules_installed(), "node and tests/js/node_modules")


def wait_for_peers(one, two) -> None:
    """Until each process knows of the other (RabbitMQ: they announce themselves)."""
    with NodeClient() as node:
        for server in (one, two):
            sock = node.connect(server.url, transports=["websocket"])
            deadline = time.monotonic() + 10
            while sock.call("peers") != [1]:
                assert time.monotonic() < deadline, "the processes never heard of each other"
                time.sleep(0.1)


PAIRS = [("redis", "threading"), ("redis", "gevent"), ("redis", "eventlet"),
         ("rabbitmq", "threading")]


@pytest.fixture(scope="module", params=PAIRS, ids=lambda p: "-".join(p))
def pair(request, module_server_factory):
    """Two processes of one app on one channel."""
    queue_name, mode = request.param
    require_services(queue_name)
    env = {"MESSAGE_QUEUE": QUEUES[queue_name][0], "CHANNEL": f"test-{uuid.uuid4().hex[:8]}"}
    servers = [module_server_factory(APP, mode, **env) for _ in range(2)]
    wait_for_peers(*servers)
    return servers


@pytest.fixture(scope="module", params=["redis", "rabbitmq"])
def short_pair(request, module_server_factory):
    require_services(request.param)
    env = {"MESSAGE_QUEUE": QUEUES[request.param][0],
           "CHANNEL": f"test-{uuid.uuid4().hex[:8]}", "RECOVERY_SECONDS": "0.5"}
    servers = [module_server_factory(APP, "threading", **env) for _ in range(2)]
    wait_for_peers(*servers)
    return servers


def numbered(sock, count: int) -> list[int]:
    events = [sock.wait_event("numbered", timeout=10) for _ in range(count)]
    assert all(isinstance(args[-1], str) for args in events)  # the offset
    return [args[0] for args in events]


def once_each_in_order(got: list[int], *emitters: list[int]) -> bool:
    """Every event once, and those of each emitting process in the order it
    emitted them (events of different processes reach a process in the
    order the message queue brings them)."""
    return sorted(got) == sorted(n for e in emitters for n in e) and all(
        [n for n in got if n in emitter] == emitter for emitter in emitters
    )


def test_a_client_comes_back_through_another_process_with_all_it_missed(pair):
    one, two = pair
    with NodeClient() as node, Proxy(one.port) as proxy:
        sock = node.connect(proxy.url, transports=["websocket"], **RECONNECT)
        on_one = node.connect(one.url, transports=["websocket"])
        on_two = node.connect(two.url, transports=["websocket"])
        sid = sock.sid
        assert sock.call("join", "room1") == ["room1"]
        assert on_one.call("join", "room1") == ["room1"]
        assert on_one.call("send", sid, 0, 3) == [3]
        assert numbered(sock, 3) == [0, 1, 2]

        proxy.route(None)  # the network is down: no way back for now
        sock.cut()
        # While it is away, both processes emit to its sid and to its room.
        assert on_one.call("send", sid, 3, 3) == [3]
        assert on_two.call("send", "room1", 6, 3) == [3]
        assert on_one.call("send", "room1", 9, 3) == [3]
        assert on_two.call("send", sid, 12, 3) == [3]
        assert on_two.call("send", "room1", 15, 1) == [1]
        # (its first process has seen them all once on_one got the last one)
        assert once_each_in_order(numbered(on_one, 7), [9, 10, 11], [6, 7, 8, 15])

        proxy.route(two.port)  # it comes back, through the other process
        assert sock.wait_reconnect(timeout=10) == {"sid": sid, "recovered": True}
        # All of them, once, in order.
        assert once_each_in_order(
            numbered(sock, 13), [3, 4, 5, 9, 10, 11], [6, 7, 8, 12, 13, 14, 15]
        )
        # Its rooms, Flask session and session data came along.
        assert sock.call("whoami") == [{"sid": sid, "visits": 2, "joined": ["room1"]}]

        # Another blip at once, before the second process sent it anything of
        # its own: back to the first process, with what it missed meanwhile.
        proxy.route(None)
        sock.cut()
        assert on_two.call("send", "room1", 16, 1) == [1]
        assert on_one.call("send", sid, 17, 1) == [1]
        assert on_two.call("send", "room1", 18, 1) == [1]
        assert numbered(on_one, 2) == [16, 18]
        proxy.route(one.port)
        assert sock.wait_reconnect(timeout=10) == {"sid": sid, "recovered": True}
        assert once_each_in_order(numbered(sock, 3), [16, 18], [17])
        assert sock.call("whoami") == [{"sid": sid, "visits": 3, "joined": ["room1"]}]

        assert on_two.call("send", "room1", 19, 1) == [1]
        assert numbered(on_one, 1) == [19]  # (through the queue: then the next one)
        assert on_one.call("send", "room1", 20, 1) == [1]
        assert numbered(sock, 2) == [19, 20]
        assert sock.received("numbered") == []  # nothing twice
        # Each process knew it came back, and ran no disconnect handler for it.
        assert on_two.call("notes", sid) == [["connect recovered=True"]]
        assert on_one.call("notes", sid) == [["connect recovered=False",
                                              "connect recovered=True"]]


def test_a_client_back_too_late_through_another_process_connects_afresh(short_pair):
    one, two = short_pair
    with NodeClient() as node, Proxy(one.port) as proxy:
        options = {**RECONNECT, "reconnectionDelay": 1500, "reconnectionDelayMax": 1500}
        sock = node.connect(proxy.url, transports=["websocket"], **options)
        on_one = node.connect(one.url, transports=["websocket"])
        sid = sock.sid
        assert on_one.call("send", sid, 0, 1) == [1]
        assert numbered(sock, 1) == [0]
        proxy.route(two.port)
        sock.cut()
        back = sock.wait_reconnect(timeout=10)
        assert back["recovered"] is False and back["sid"] != sid
        # Its disconnection was final: the process it left ran its handler.
        assert on_one.call("notes", sid) == [["connect recovered=False",
                                              "disconnect transport close"]]
