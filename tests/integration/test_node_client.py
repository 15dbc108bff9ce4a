"""The protocol core against the real JavaScript socket.io-client 4.x (Node).

Each test runs over polling only, websocket only, and polling upgraded to
websocket, in every async mode, like the python-socketio suite.
"""

from __future__ import annotations

import time

import pytest

from tests.conftest import require
from tests.jsclient import ConnectError, NodeClient, node_available, node_modules_installed

TRANSPORTS = {
    "polling": ["polling"],
    "websocket": ["websocket"],
    "upgrade": ["polling", "websocket"],
}


@pytest.fixture(scope="module")
def server(module_server_factory, async_mode):
    return module_server_factory("tests.integration.apps.protocol_app:app", async_mode)


@pytest.fixture(scope="module")
def node():
    require(node_available() and node_modules_installed(),
            "node and tests/js/node_modules (make node)")
    with NodeClient(version=4) as client:
        yield client


@pytest.fixture(params=list(TRANSPORTS))
def mode(request):
    return request.param


def connect(node, server, mode, **kwargs):
    sock = node.connect(server.url, transports=TRANSPORTS[mode], **kwargs)
    if mode == "upgrade":
        sock.wait_transport("websocket", timeout=10)
    return sock


def test_auth_echo_unicode_binary(node, server, mode):
    sock = connect(node, server, mode, auth={"token": "abc"})
    try:
        welcome = sock.wait_event("welcome")[0]
        assert welcome == {"sid": sock.sid, "auth": {"token": "abc"}}
        assert sock.call("echo", "€ 😀 ünïcødé") == ["€ 😀 ünïcødé"]
        nested = {"a": b"\x00\x01", "b": [b"\xff" * 3, {"c": b"z"}], "n": None}
        assert sock.call("echo", b"top", nested, 3) == [b"top", nested, 3]
    finally:
        sock.disconnect()


def test_rejected_connect_carries_data(node, server, mode):
    with pytest.raises(ConnectError) as info:
        node.connect(server.url, transports=TRANSPORTS[mode], auth={"token": "bad"})
    assert info.value.message == "Not authorized"
    assert info.value.data == {"reason": "bad token"}


def test_server_emit_with_client_ack(node, server, mode):
    sock = connect(node, server, mode)
    try:
        sock.listen("server_event", ack_reply=["from node", b"\x07"])
        sock.emit("emit_back", "x")
        deadline = time.monotonic() + 5
        ack = None
        while ack is None and time.monotonic() < deadline:
            ack = (sock.call("get_ack") or [None])[0]
        assert ack == ["from node", b"\x07"]
        assert sock.call("call_back", "y") == ["from node", b"\x07"]
    finally:
        sock.disconnect()


def test_broadcast_to_20_clients_each_once(node, server, mode):
    socks = [connect(node, server, mode) for _ in range(20)]
    try:
        token = f"news-{time.monotonic()}"
        assert socks[0].call("broadcast", token) == ["sent"]
        marker = f"marker-{time.monotonic()}"
        assert socks[0].call("broadcast", marker) == ["sent"]
        for sock in socks:
            seen = []
            while marker not in seen:
                seen.append(sock.wait_event("news")[0])
            assert seen.count(token) == 1 and seen.index(token) < seen.index(marker)
    finally:
        for sock in socks:
            sock.disconnect()


def test_rooms_and_skip_sid(node, server, mode):
    a, b = connect(node, server, mode), connect(node, server, mode)
    try:
        room = f"r-{time.monotonic()}"
        a.call("join", room)
        b.call("join", room)
        assert a.call("to_room", room, "all") == ["sent"]
        assert a.wait_event("room_msg") == ["all"] and b.wait_event("room_msg") == ["all"]
        assert a.call("to_room", room, "others", True) == ["sent"]
        assert b.wait_event("room_msg") == ["others"]
        assert a.call("to_room", room, "last") == ["sent"]
        assert a.wait_event("room_msg") == ["last"]  # "others" never reached a
    finally:
        a.disconnect()
        b.disconnect()


def test_namespaces(node, server, mode):
    root = connect(node, server, mode)
    chat = node.connect(server.url, namespace="/chat", transports=TRANSPORTS[mode])
    try:
        assert chat.wait_event("welcome") == ["chat"]
        assert chat.call("echo", "x") == ["chat:x"]
        assert chat.sid != root.sid
        with pytest.raises(ConnectError) as info:
            node.connect(server.url, namespace="/nowhere", transports=TRANSPORTS[mode])
        assert info.value.message == "Invalid namespace"
    finally:
        chat.disconnect()
        root.disconnect()


def test_server_and_client_disconnect(node, server, mode):
    kicked = connect(node, server, mode)
    kicked.emit("kick")
    assert kicked.wait_disconnect() == "io server disconnect"
    leaving = connect(node, server, mode)
    sid = leaving.sid
    leaving.disconnect()
    observer = connect(node, server, "websocket")
    try:
        deadline = time.monotonic() + 5
        reasons = {}
        while sid not in reasons and time.monotonic() < deadline:
            reasons = {s: r for s, r, *_ in observer.call("disconnects")[0]}
        assert reasons[kicked.sid] == "server disconnect"
        assert reasons[sid] == "client disconnect"
    finally:
        observer.disconnect()
