"""Broker outages, in every async mode: the processes say once that the broker
is lost and once that it is back (no traceback), emitting handlers keep
returning, local clients get everything at once, and remote clients get what
was emitted during the outage once the broker is back, once and in order.

Redis outages kill and restart a redis-server of the test's own; RabbitMQ
outages cut every connection through a TCP relay run by the test (the shared
broker is never stopped). A real RabbitMQ restart (``rabbitmqctl stop_app``)
runs only with FLASK_SOCKETIO_RESTART_BROKERS=1.
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import time
import uuid
from collections.abc import Iterator

import pytest

from tests.cluster.brokers import private_redis, rabbitmq_relay
from tests.cluster.test_cluster import client, port_open, wait_for_peers
from tests.conftest import IN_CI, require

MODES = ("threading", "eventlet", "gevent")
DURING = 140
LOST = re.compile(r"message queue \w+ on channel \S+ lost")
BACK = re.compile(r"message queue \w+ on channel \S+ back")


class RealRabbitMQ:
    """The shared RabbitMQ itself, restarted: only when asked."""

    url = "amqp://guest:guest@127.0.0.1:5672//"

    def down(self) -> None:
        subprocess.run(["rabbitmqctl", "stop_app"], check=True, capture_output=True, timeout=60)

    def up(self) -> None:
        subprocess.run(["rabbitmqctl", "start_app"], check=True, capture_output=True, timeout=120)


@contextlib.contextmanager
def breakable(kind: str, tmp_path) -> Iterator:
    if kind == "redis":
        require(bool(subprocess.run(["which", "redis-server"], capture_output=True).stdout),
                "redis-server")
        with private_redis(tmp_path) as broker:
            yield broker
    elif kind == "rabbitmq":
        require(port_open(5672), "rabbitmq on 127.0.0.1:5672")
        with rabbitmq_relay() as relay:
            yield relay
    else:
        yield RealRabbitMQ()


def wait_for_log(server, pattern: re.Pattern[str], timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while not pattern.search(server.log()):
        if time.monotonic() > deadline:
            raise AssertionError(f"no {pattern.pattern!r} in the log:\n{server.log()[-3000:]}")
        time.sleep(0.05)


def take(inbox, count: int, timeout: float = 10) -> list:
    return [inbox.get(timeout=timeout)[0] for _ in range(count)]


def outage(kind: str, mode: str, server_factory, tmp_path) -> None:
    with breakable(kind, tmp_path) as broker:
        env = {"MESSAGE_QUEUE": broker.url, "CHANNEL": f"test-faults-{uuid.uuid4().hex[:8]}"}
        servers = [server_factory("tests.cluster.cluster_app:app", mode, **env)
                   for _ in range(2)]
        one, two = servers
        wait_for_peers(servers)
        a, inbox_a = client(one, "news")
        b, inbox_b = client(two, "news")
        try:
            assert a.call("burst", (None, "before", 1), timeout=5) == 1
            assert take(inbox_a["news"], 1) == take(inbox_b["news"], 1) == ["before-0"]

            broker.down()
            outage_started = time.monotonic()
            for server in servers:
                wait_for_log(server, LOST)
            # the handler returns at once, and a's own clients miss nothing
            assert a.call("burst", (None, "during", DURING), timeout=10) == DURING
            expected = [f"during-{n}" for n in range(DURING)]
            assert take(inbox_a["news"], DURING, timeout=5) == expected
            assert inbox_b["news"].empty()
            # a 2 s outage: the listeners' backoff (0.1 s doubling) drifts
            # apart from the publisher's, which must wait for them when it is back
            time.sleep(max(0.0, outage_started + 2 - time.monotonic()))

            broker.up()
            # b's clients get the buffered messages, in order, once
            assert take(inbox_b["news"], DURING, timeout=30) == expected
            for server in servers:
                wait_for_log(server, BACK)
            assert a.call("burst", (None, "after", 1), timeout=5) == 1
            assert take(inbox_a["news"], 1) == take(inbox_b["news"], 1) == ["after-0"]
            assert b.call("burst", (None, "from-b", 1), timeout=5) == 1
            assert take(inbox_a["news"], 1) == take(inbox_b["news"], 1) == ["from-b-0"]
        finally:
            a.disconnect()
            b.disconnect()
        for server in servers:
            log = server.log()
            assert len(LOST.findall(log)) == 1, log[-3000:]
            assert len(BACK.findall(log)) == 1, log[-3000:]
            assert "Traceback" not in log, log[-3000:]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("kind", ["redis", "rabbitmq"])
def test_broker_outage(kind: str, mode: str, server_factory, tmp_path) -> None:
    outage(kind, mode, server_factory, tmp_path)


@pytest.mark.skipif(os.environ.get("FLASK_SOCKETIO_RESTART_BROKERS") != "1" or IN_CI,
                    reason="restarts the shared RabbitMQ: FLASK_SOCKETIO_RESTART_BROKERS=1")
@pytest.mark.parametrize("mode", MODES)
def test_real_rabbitmq_restart(mode: str, server_factory, tmp_path) -> None:
    outage("real-rabbitmq", mode, server_factory, tmp_path)


def test_a_process_gone_for_good_is_forgotten_after_an_outage(tmp_path) -> None:
    """A hello from a process that never comes back: the first outage waits
    for it (5 s at most), then forgets it; the live process stays known."""
    require(bool(subprocess.run(["which", "redis-server"], capture_output=True).stdout),
            "redis-server")
    from flask_socketio.drivers import load_driver
    from flask_socketio.managers import Target, from_url
    from tests.cluster.wire import publish_raw

    class Recorder:
        def __init__(self) -> None:
            self.emits: list = []

        def emit_to(self, target, event, args, callback=None) -> None:
            self.emits.append(args)

        def disconnect(self, sid, namespace=None, ignore_queue=False) -> None:
            pass

    with private_redis(tmp_path) as broker:
        channel = f"test-gone-{uuid.uuid4().hex[:8]}"
        driver = load_driver("threading")
        a, b = from_url(broker.url, channel=channel), from_url(broker.url, channel=channel)
        b_peer = Recorder()
        a.attach(Recorder(), driver)
        b.attach(b_peer, driver)
        # The ghost's hello only counts once `a` listens.
        assert a.wait_subscribed(10) and b.wait_subscribed(10)
        publish_raw(broker.url, channel, b'{"method":"hello","host_id":"ghost","reply":true}')
        deadline = time.monotonic() + 10
        while a.peers != {b.host_id, "ghost"} and time.monotonic() < deadline:
            time.sleep(0.05)
        assert a.peers == {b.host_id, "ghost"}

        broker.down()
        while a.subscribed and time.monotonic() < deadline:
            time.sleep(0.05)
        a.relay_emit(Target.of("/"), "during", [1])
        broker.up()
        assert a.flush(20)
        deadline = time.monotonic() + 10
        while not b_peer.emits and time.monotonic() < deadline:
            time.sleep(0.05)
        assert b_peer.emits == [[1]]
        assert a.peers == {b.host_id}
