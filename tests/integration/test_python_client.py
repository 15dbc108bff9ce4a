"""The protocol core against the real python-socketio 5.x client.

Every test runs over polling only, websocket only, and polling upgraded to
websocket, in every async mode (the `async_mode` fixture of tests/conftest.py).
"""

from __future__ import annotations

import queue
import threading
import time

import pytest
import socketio

TRANSPORTS = {
    "polling": ["polling"],
    "websocket": ["websocket"],
    "upgrade": ["polling", "websocket"],
}


@pytest.fixture(scope="module")
def server(module_server_factory, async_mode):
    # python-engineio's client sometimes quits polling without sending its close
    # (when disconnect() comes while a POST is in flight, as after a refused
    # connect); its last GET then ends with the next ping: keep that short.
    server = module_server_factory("tests.integration.apps.protocol_app:app", async_mode,
                                   PING_INTERVAL="5")
    yield server
    server.stop()


@pytest.fixture(params=list(TRANSPORTS))
def transports(request):
    return TRANSPORTS[request.param]


class Recorder:
    """Collects the events a client receives, to wait on them without sleeping."""

    def __init__(self, client: socketio.Client, *events: str, namespace: str = "/") -> None:
        self.queues: dict[str, queue.Queue] = {}
        for event in events:
            q: queue.Queue = queue.Queue()
            self.queues[event] = q
            client.on(event, lambda *args, q=q: q.put(args), namespace=namespace)

    def get(self, event: str, timeout: float = 5) -> tuple:
        return self.queues[event].get(timeout=timeout)

    def empty(self, event: str) -> bool:
        return self.queues[event].empty()


def connect(url, transports, namespaces=None, auth=None, events=(), namespace="/"):
    client = socketio.Client(reconnection=False)
    recorder = Recorder(client, "welcome", *events, namespace=namespace)
    client.connect(url, transports=transports, namespaces=namespaces, auth=auth, wait_timeout=5)
    return client, recorder


def wait_for_upgrade(client, transports):
    if transports == TRANSPORTS["upgrade"]:
        deadline = time.monotonic() + 5
        while client.transport() != "websocket" and time.monotonic() < deadline:
            time.sleep(0.02)
        assert client.transport() == "websocket"


def test_connect_with_auth_and_echo_ack(server, transports):
    client, rec = connect(server.url, transports, auth={"token": "abc"})
    try:
        welcome = rec.get("welcome")[0]
        assert welcome["auth"] == {"token": "abc"} and welcome["sid"] == client.get_sid()
        wait_for_upgrade(client, transports)
        assert client.call("echo", "hello", timeout=5) == "hello"
        assert client.call("echo", ("a", 1, None, {"k": [1, 2]}), timeout=5) == (
            "a", 1, None, {"k": [1, 2]})
        assert client.call("echo", "€ 😀 ünïcødé", timeout=5) == "€ 😀 ünïcødé"
    finally:
        client.disconnect()


def test_rejected_connect_carries_data(server, transports):
    client = socketio.Client(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        client.connect(server.url, transports=transports, auth={"token": "bad"}, wait_timeout=5)
    client = socketio.Client(reconnection=False)
    errors = queue.Queue()
    client.on("connect_error", lambda data: errors.put(data))
    with pytest.raises(socketio.exceptions.ConnectionError):
        client.connect(server.url, transports=transports, auth={"token": "bad"}, wait_timeout=5)
    assert errors.get(timeout=5) == {"message": "Not authorized", "data": {"reason": "bad token"}}
    client = socketio.Client(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        client.connect(server.url, transports=transports, auth={"token": "false"}, wait_timeout=5)


def test_binary_payloads_nested(server, transports):
    client, _ = connect(server.url, transports)
    try:
        wait_for_upgrade(client, transports)
        payload = {"a": b"\x00\x01\x02", "list": [b"x" * 1000, {"deep": b"\xff"}], "n": 1}
        assert client.call("echo", (b"top", payload), timeout=5) == (b"top", payload)
    finally:
        client.disconnect()


def test_server_emit_with_client_ack(server, transports):
    client, rec = connect(server.url, transports)
    client.on("server_event", lambda *args: ["got", *args])
    try:
        wait_for_upgrade(client, transports)
        client.emit("emit_back", ("x", b"\x01"))
        deadline = time.monotonic() + 5
        ack = None
        while ack is None and time.monotonic() < deadline:
            ack = client.call("get_ack", timeout=5)
        assert ack == [["got", "x", b"\x01"]]
        assert client.call("call_back", "y", timeout=5) == ["got", "y"]
    finally:
        client.disconnect()


def test_broadcast_reaches_each_of_20_clients_once(server, transports):
    clients = [connect(server.url, transports, events=("news",)) for _ in range(20)]
    try:
        sender = clients[0][0]
        token = f"b-{time.monotonic()}"
        assert sender.call("broadcast", token, timeout=5) == "sent"
        for _, rec in clients:
            got = []
            while True:
                (data,) = rec.get("news")
                if data == token:
                    got.append(data)
                    break
            assert got == [token]
        time.sleep(0.2)
        for _, rec in clients:
            while not rec.empty("news"):
                assert rec.get("news")[0] != token, "delivered twice"
    finally:
        for client, _ in clients:
            client.disconnect()


def test_rooms_and_skip_sid(server, transports):
    a, rec_a = connect(server.url, transports, events=("room_msg",))
    b, rec_b = connect(server.url, transports, events=("room_msg",))
    c, rec_c = connect(server.url, transports, events=("room_msg",))
    try:
        room = f"room-{time.monotonic()}"
        assert room in a.call("join", room, timeout=5)
        assert room in b.call("join", room, timeout=5)
        assert a.call("to_room", (room, "hi"), timeout=5) == "sent"
        assert rec_a.get("room_msg") == ("hi",) and rec_b.get("room_msg") == ("hi",)
        assert a.call("to_room", (room, "not me", True), timeout=5) == "sent"
        assert rec_b.get("room_msg") == ("not me",)
        assert room not in b.call("leave", room, timeout=5)
        assert a.call("to_room", (room, "after leave"), timeout=5) == "sent"
        assert rec_a.get("room_msg") == ("after leave",)
        assert a.call("close_room", room, timeout=5) == "closed"
        assert a.call("to_room", (room, "closed"), timeout=5) == "sent"
        time.sleep(0.2)
        assert rec_a.empty("room_msg") and rec_b.empty("room_msg") and rec_c.empty("room_msg")
        # A client's own sid is a room.
        assert c.call("to_room", (a.get_sid(), "direct"), timeout=5) == "sent"
        assert rec_a.get("room_msg") == ("direct",)
    finally:
        for client in (a, b, c):
            client.disconnect()


def test_namespaces(server, transports):
    client = socketio.Client(reconnection=False)
    chat = Recorder(client, "welcome", namespace="/chat")
    client.connect(server.url, transports=transports, namespaces=["/", "/chat"], wait_timeout=5)
    try:
        assert chat.get("welcome") == ("chat",)
        assert client.call("echo", "x", namespace="/chat", timeout=5) == "chat:x"
        assert client.get_sid("/chat") != client.get_sid("/")
    finally:
        client.disconnect()
    client = socketio.Client(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        client.connect(server.url, transports=transports, namespaces=["/nowhere"],
                       wait_timeout=5)
    client = socketio.Client(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        client.connect(server.url, transports=transports, namespaces=["/private"],
                       wait_timeout=5)
    client = socketio.Client(reconnection=False)
    client.connect(server.url, transports=transports, namespaces=["/private"],
                   auth={"key": "open sesame"}, wait_timeout=5)
    client.disconnect()


def test_server_disconnect_and_client_disconnect_seen(server, transports):
    client, _ = connect(server.url, transports)
    gone = threading.Event()
    client.on("disconnect", lambda *a: gone.set())
    wait_for_upgrade(client, transports)
    sid = client.get_sid()
    client.emit("kick")
    assert gone.wait(5)
    observer, _ = connect(server.url, ["websocket"])
    try:
        reasons = {s: r for s, r, *_ in observer.call("disconnects", timeout=5)}
        assert reasons[sid] == "server disconnect"
        leaving, _ = connect(server.url, transports)
        wait_for_upgrade(leaving, transports)
        leaving_sid = leaving.get_sid()
        # python-engineio's polling writer quits without sending the close when
        # disconnect() comes while its previous POST is in flight: let it finish.
        leaving.eio.queue.join()
        leaving.disconnect()
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            reasons = {s: r for s, r, *_ in observer.call("disconnects", timeout=5)}
            if leaving_sid in reasons:
                break
            time.sleep(0.05)
        assert reasons[leaving_sid] in ("client disconnect", "transport close")
    finally:
        observer.disconnect()


def test_handler_error_leaves_connection_alive(server, transports):
    client, _ = connect(server.url, transports)
    try:
        client.emit("boom")
        assert client.call("echo", "still here", timeout=5) == "still here"
    finally:
        client.disconnect()
