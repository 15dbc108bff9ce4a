"""`emit_with_ack` across processes: 1,000 socket.io-client 4.x sockets spread
over three server processes (a tenth never answer, a tenth answer late), one
caller collecting every answer through the message queue, in the async modes
of the cluster and with RabbitMQ once."""

from __future__ import annotations

import json
import queue
import subprocess
import threading
import time
import uuid

import pytest
import socketio

from tests.cluster.test_cluster import QUEUES, port_open
from tests.conftest import require
from tests.jsclient import JS_DIR, node_available, node_modules_installed

APP = "tests.cluster.features_app:app"
CROWD = 1000
LATE_MS = 300


@pytest.fixture(
    scope="module",
    params=[("redis", "threading"), ("redis", "gevent"), ("redis", "eventlet"),
            ("rabbitmq", "threading")],
    ids=lambda p: "-".join(p),
)
def trio(request, module_server_factory):
    """Three processes of one app on one channel, and 1,000 sockets spread
    over them in room 'crowd'; and a fourth process with none of them."""
    queue_name, mode = request.param
    url, port = QUEUES[queue_name]
    require(port_open(port), f"{queue_name} on 127.0.0.1:{port}")
    require(node_available() and node_modules_installed(), "node and tests/js/node_modules")
    env = {"MESSAGE_QUEUE": url, "CHANNEL": f"test-{uuid.uuid4().hex[:8]}"}
    servers = [module_server_factory(APP, mode, **env) for _ in range(4)]
    proc = subprocess.Popen(
        ["node", "crowd.js", ",".join(s.url for s in servers[:3]), str(CROWD), "crowd",
         str(LATE_MS)],
        cwd=JS_DIR, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    assert proc.stdout is not None
    line: queue.Queue = queue.Queue()
    threading.Thread(target=lambda: line.put(proc.stdout.readline()), daemon=True).start()
    try:
        crowd = json.loads(line.get(timeout=120))
    except (queue.Empty, ValueError):
        proc.kill()
        raise
    yield servers, crowd, queue_name
    proc.stdin.close()
    proc.wait(10)


def caller(server) -> socketio.Client:
    client = socketio.Client(reconnection=False)
    client.connect(server.url, transports=["websocket"], wait_timeout=10)
    return client


def test_one_process_collects_the_answers_of_every_process(trio):
    servers, crowd, _ = trio
    client = caller(servers[0])
    try:
        result = client.call("ask", ("crowd", 3), timeout=30)
        assert sorted(result["missing"]) == sorted(crowd["never"])
        answered = set(crowd["late"]) | set(crowd["prompt"])
        assert set(result["responses"]) == answered
        assert all(result["responses"][sid] == [crowd["index"][sid]] for sid in answered)
    finally:
        client.disconnect()


def test_the_caller_knows_when_every_answer_is_in(trio):
    servers, crowd, _ = trio
    client = caller(servers[3])  # none of the crowd is here: all answers come from afar
    try:
        start = time.monotonic()
        result = client.call("ask", ("crowd-answering", 20), timeout=60)
        took = time.monotonic() - start
        assert result["missing"] == []
        assert len(result["responses"]) == len(crowd["late"]) + len(crowd["prompt"])
        # Every process reported whom it asked: no waiting for the timeout
        # (Redis counts the processes, the others announce themselves).
        assert took < 15, took
    finally:
        client.disconnect()


def test_the_callback_form_reports_those_too_late_for_a_short_timeout(trio):
    servers, crowd, _ = trio
    client = caller(servers[2])
    tallies: queue.Queue = queue.Queue()
    client.on("tally", tallies.put)
    try:
        assert client.call("ask_later", ("crowd", 0.15), timeout=10) == "asked"
        tally = tallies.get(timeout=30)
        assert set(tally["missing"]) >= set(crowd["never"])
        assert set(tally["responses"]) <= set(crowd["late"]) | set(crowd["prompt"])
        assert len(tally["responses"]) + len(tally["missing"]) == CROWD
    finally:
        client.disconnect()
