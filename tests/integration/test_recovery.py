"""Connection state recovery and broadcast acks, with real clients in every
async mode: socket.io-client 4.x (which recovers by itself), python-socketio
5.x (which does not, and still connects normally), and a crowd of 1,000
socket.io-client sockets answering an ``emit_with_ack``."""

from __future__ import annotations

import json
import queue
import subprocess
import threading

import pytest
import socketio

from tests.conftest import require
from tests.jsclient import JS_DIR, NodeClient, node_available, node_modules_installed

APP = "tests.integration.apps.features_app:app"
#: Reconnect quickly, as a client on a flaky network would.
RECONNECT = {"reconnection": True, "reconnectionDelay": 200, "reconnectionDelayMax": 200}


def require_node() -> None:
    require(node_available() and node_modules_installed(), "node and tests/js/node_modules")


@pytest.fixture(scope="module")
def server(module_server_factory, async_mode):
    return module_server_factory(APP, async_mode, RECOVERY_SECONDS="30")


@pytest.fixture(scope="module")
def short_window(module_server_factory, async_mode):
    return module_server_factory(APP, async_mode, RECOVERY_SECONDS="0.5")


def numbered(sock, count: int) -> list[int]:
    """The next `count` 'numbered' events (each carries its offset last)."""
    events = [sock.wait_event("numbered", timeout=10) for _ in range(count)]
    assert all(isinstance(args[-1], str) for args in events)  # the offset
    return [args[0] for args in events]


def test_a_client_that_drops_out_gets_back_its_sid_rooms_session_and_what_it_missed(server):
    require_node()
    with NodeClient() as node:
        sock = node.connect(server.url, transports=["websocket"], **RECONNECT)
        other = node.connect(server.url, transports=["websocket"])
        sid = sock.sid
        assert sock.call("join", "room1") == ["room1"]
        assert other.call("send", sid, 0, 3) == [3]
        assert numbered(sock, 3) == [0, 1, 2]

        sock.cut()
        # While it is away: events to its sid and to its room.
        assert other.call("send", sid, 3, 5) == [5]
        assert other.call("send", "room1", 8, 5) == [5]

        assert sock.wait_reconnect(timeout=10) == {"sid": sid, "recovered": True}
        assert numbered(sock, 10) == list(range(3, 13))  # all of them, in order
        # Still in its room, with its session; nothing arrived twice.
        assert other.call("send", "room1", 13, 1) == [1]
        assert numbered(sock, 1) == [13]
        assert sock.received("numbered") == []
        assert sock.call("whoami") == [{"sid": sid, "visits": 2}]
        # Its connect handler knew; no disconnect handler ran for the blip.
        assert other.call("notes", sid) == [["connect recovered=False", "connect recovered=True"]]


def test_a_client_back_too_late_connects_afresh_and_its_disconnect_is_final(short_window):
    require_node()
    with NodeClient() as node:
        options = {**RECONNECT, "reconnectionDelay": 1500, "reconnectionDelayMax": 1500}
        sock = node.connect(short_window.url, transports=["websocket"], **options)
        other = node.connect(short_window.url, transports=["websocket"])
        sid = sock.sid
        assert other.call("send", sid, 0, 1) == [1]
        assert numbered(sock, 1) == [0]
        sock.cut()
        back = sock.wait_reconnect(timeout=10)
        assert back["recovered"] is False and back["sid"] != sid
        final = ["connect recovered=False", "disconnect transport close"]
        assert other.call("notes", sid) == [final]


def test_python_socketio_connects_normally_and_sees_the_offset_as_one_more_argument(server):
    client = socketio.Client(reconnection=False)
    received: queue.Queue = queue.Queue()
    client.on("numbered", lambda *args: received.put(args))
    client.connect(server.url, transports=["websocket"], wait_timeout=10)
    try:
        assert client.call("send", (client.get_sid(), 7, 1), timeout=10) == 1
        number, offset = received.get(timeout=10)
        assert number == 7 and isinstance(offset, str)
        assert client.call("whoami", timeout=10)["visits"] == 1
    finally:
        client.disconnect()


# -- broadcast acks -----------------------------------------------------------------

CROWD = 1000


@pytest.fixture(scope="module")
def crowd(server):
    """1,000 socket.io-client sockets in room 'crowd': a tenth never answer a
    vote, a tenth answer 300 ms late, the rest at once."""
    require_node()
    proc = subprocess.Popen(
        ["node", "crowd.js", server.url, str(CROWD), "crowd", "300"],
        cwd=JS_DIR, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    assert proc.stdout is not None
    line: queue.Queue = queue.Queue()
    threading.Thread(target=lambda: line.put(proc.stdout.readline()), daemon=True).start()
    try:
        groups = json.loads(line.get(timeout=120))
    except (queue.Empty, ValueError):
        proc.kill()
        raise
    yield groups
    proc.stdin.close()
    proc.wait(10)


def test_emit_with_ack_collects_every_answer_and_names_who_did_not_answer(server, crowd):
    client = socketio.Client(reconnection=False)
    client.connect(server.url, transports=["websocket"], wait_timeout=10)
    try:
        # 6 s for 900 answers: a full CI run once saw a threading server on a
        # loaded machine get only ~300 of them within 3 s.
        result = client.call("ask", ("crowd", 6), timeout=30)
        assert sorted(result["missing"]) == sorted(crowd["never"])
        answered = set(crowd["late"]) | set(crowd["prompt"])
        assert set(result["responses"]) == answered
        assert all(result["responses"][sid] == [crowd["index"][sid]] for sid in answered)

        # The callback form: the late ones miss a short timeout.
        tallies: queue.Queue = queue.Queue()
        client.on("tally", tallies.put)
        assert client.call("ask_later", ("crowd", 0.15), timeout=10) == "asked"
        tally = tallies.get(timeout=30)
        assert set(tally["missing"]) >= set(crowd["never"])
        assert set(tally["responses"]) <= answered
        assert len(tally["responses"]) + len(tally["missing"]) == CROWD
    finally:
        client.disconnect()
