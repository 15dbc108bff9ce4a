"""Our servers and python-socketio's (the real package, >= 5.14: JSON pub/sub)
on one channel, on Redis and RabbitMQ.

- its write-only emitter (``socketio.RedisManager(url, write_only=True)`` /
  ``KombuManager``: a Celery worker of a Flask-SocketIO 5.x deployment)
  reaches our clients: to everyone, rooms, skip_sid, bytes, close_room;
- a python-socketio server beside ours (``relay_format="python-socketio"``)
  exchanges emits both ways, acks both ways, room changes and disconnects;
- pickled messages (python-socketio < 5.14) are dropped with one warning.
"""

from __future__ import annotations

import json
import pickle
import queue
import time
import uuid

import pytest
import socketio

from tests.cluster.test_cluster import client, port_open, wait_for_peers
from tests.cluster.wire import QUEUES, publish_raw
from tests.conftest import require


@pytest.fixture(params=list(QUEUES))
def broker(request) -> str:
    url, port = QUEUES[request.param]
    require(port_open(port), f"{request.param} on 127.0.0.1:{port}")
    return url


def python_socketio_manager(url: str, channel: str, **options):
    if url.startswith("redis"):
        return socketio.RedisManager(url, channel=channel, **options)
    return socketio.KombuManager(url, channel=channel, **options)


def polling_client(server, *events):
    sio = socketio.Client(reconnection=False)
    inbox: dict[str, queue.Queue] = {e: queue.Queue() for e in events}
    for event, q in inbox.items():
        sio.on(event, lambda *args, q=q: q.put(args))
    sio.connect(server.url, transports=["polling"], wait_timeout=5)
    return sio, inbox


def test_the_python_socketio_emitter_reaches_our_clients(broker, server_factory) -> None:
    env = {"MESSAGE_QUEUE": broker, "CHANNEL": f"test-interop-{uuid.uuid4().hex[:8]}"}
    servers = [server_factory("tests.cluster.cluster_app:app", **env) for _ in range(2)]
    wait_for_peers(servers)
    a, inbox_a = client(servers[0], "notice")
    b, inbox_b = client(servers[1], "notice")
    emitter = python_socketio_manager(broker, env["CHANNEL"], write_only=True)
    try:
        room = f"room-{uuid.uuid4().hex[:6]}"
        assert a.call("join", room, timeout=5) == "joined"
        emitter.emit("notice", "to all")
        assert inbox_a["notice"].get(timeout=5) == ("to all",)
        assert inbox_b["notice"].get(timeout=5) == ("to all",)
        emitter.emit("notice", ("two", {"args": [1, None]}), room=room)
        emitter.emit("notice", "skipping a", skip_sid=a.get_sid())
        emitter.emit("notice", {"raw": b"\x00\xffbytes", "list": [b"x"]})
        assert inbox_a["notice"].get(timeout=5) == ("two", {"args": [1, None]})
        assert inbox_b["notice"].get(timeout=5) == ("skipping a",)
        binary = {"raw": b"\x00\xffbytes", "list": [b"x"]}
        assert inbox_a["notice"].get(timeout=5) == (binary,)
        assert inbox_b["notice"].get(timeout=5) == (binary,)
        emitter.close_room(room)
        emitter.emit("notice", "after close", room=room)
        emitter.emit("notice", "marker")
        assert inbox_a["notice"].get(timeout=5) == ("marker",)
        assert inbox_b["notice"].get(timeout=5) == ("marker",)
    finally:
        a.disconnect()
        b.disconnect()


def test_a_python_socketio_server_on_the_same_channel(broker, server_factory) -> None:
    env = {"MESSAGE_QUEUE": broker, "CHANNEL": f"test-interop-{uuid.uuid4().hex[:8]}"}
    ours = server_factory("tests.cluster.cluster_app:app",
                          MQ_OPTIONS=json.dumps({"relay_format": "python-socketio"}), **env)
    theirs = server_factory("tests.cluster.pysio_app:app", **env)
    wait_for_peers([ours])
    a, inbox_a = client(ours, "news")
    b, inbox_b = polling_client(theirs, "news")
    gone_a, gone_b = queue.Queue(), queue.Queue()
    a.on("disconnect", lambda *args: gone_a.put(True))
    b.on("disconnect", lambda *args: gone_b.put(True))
    a.on("question", lambda data: f"a answers {data}")
    b.on("question", lambda data: f"b answers {data}")
    try:
        # python-socketio's listener has no readiness signal: probe until it hears
        deadline = time.monotonic() + 15
        while True:
            a.call("broadcast", "probe", timeout=5)
            try:
                inbox_b["news"].get(timeout=0.5)
                break
            except queue.Empty:
                assert time.monotonic() < deadline, "python-socketio never heard us"
        while not inbox_a["news"].empty():
            inbox_a["news"].get()

        # emits both ways
        assert a.call("broadcast", "from ours", timeout=5) == "sent"
        assert inbox_a["news"].get(timeout=5) == ("from ours",)
        assert inbox_b["news"].get(timeout=5) == ("from ours",)
        assert b.call("broadcast", "from theirs", timeout=5) == "sent"
        assert inbox_a["news"].get(timeout=5) == ("from theirs",)
        assert inbox_b["news"].get(timeout=5) == ("from theirs",)

        # acks both ways
        assert a.call("call_to", (b.get_sid(), 1), timeout=10) == "b answers 1"
        assert b.call("call_to", (a.get_sid(), 2), timeout=10) == "a answers 2"

        # room changes both ways: each server puts the other's client in a room
        red, blue = f"red-{uuid.uuid4().hex[:6]}", f"blue-{uuid.uuid4().hex[:6]}"
        assert a.call("join", (red, b.get_sid()), timeout=5) == "joined"
        assert b.call("join", (blue, a.get_sid()), timeout=5) == "joined"
        time.sleep(0.2)  # room changes are not acknowledged across processes
        assert a.call("to_room", (red, "red news"), timeout=5) == "sent"
        assert b.call("to_room", (blue, "blue news"), timeout=5) == "sent"
        assert inbox_b["news"].get(timeout=5) == ("red news",)
        assert inbox_a["news"].get(timeout=5) == ("blue news",)
        assert a.call("leave", (red, b.get_sid()), timeout=5) == "left"
        assert b.call("close_room", blue, timeout=5) == "closed"
        time.sleep(0.2)
        assert a.call("to_room", (red, "not for b"), timeout=5) == "sent"
        assert b.call("to_room", (blue, "not for a"), timeout=5) == "sent"
        assert a.call("broadcast", "marker", timeout=5) == "sent"
        assert inbox_a["news"].get(timeout=5) == ("marker",)
        assert inbox_b["news"].get(timeout=5) == ("marker",)

        # disconnects both ways
        assert a.call("kick", b.get_sid(), timeout=5) == "kicked"
        assert gone_b.get(timeout=5)
        b2, _ = polling_client(theirs)
        assert b2.call("kick", a.get_sid(), timeout=5) == "kicked"
        assert gone_a.get(timeout=5)
        b2.disconnect()
    finally:
        a.disconnect()
        b.disconnect()
    assert "Traceback" not in ours.log(), ours.log()[-3000:]


def test_pickled_and_undecodable_messages_are_dropped_with_one_warning(broker, server_factory):
    env = {"MESSAGE_QUEUE": broker, "CHANNEL": f"test-interop-{uuid.uuid4().hex[:8]}"}
    servers = [server_factory("tests.cluster.cluster_app:app", **env)]
    wait_for_peers(servers)
    a, inbox_a = client(servers[0], "notice")
    try:
        old = {"method": "emit", "event": "notice", "data": ["pickled"], "namespace": "/",
               "room": None, "skip_sid": None, "callback": None, "host_id": "old"}
        for _ in range(3):
            publish_raw(broker, env["CHANNEL"], pickle.dumps(old))
        # not UTF-8 although it says JSON: dropped, the listener stays
        publish_raw(broker, env["CHANNEL"], b"\xff\xfe{")
        publish_raw(broker, env["CHANNEL"], json.dumps({**old, "data": ["json"]}))
        assert inbox_a["notice"].get(timeout=5) == ("json",)
        assert inbox_a["notice"].empty()
    finally:
        a.disconnect()
    log = servers[0].log()
    assert log.count("pickled relay message") == 1, log
    assert log.count("malformed relay message") == 1, log
    assert " lost" not in log and "Traceback" not in log, log
