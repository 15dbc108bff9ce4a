"""Hostile and broken input over real sockets: each gets the documented error,
a log line, and the server and its other clients go on."""

from __future__ import annotations

import json
import threading
import time

import pytest
import requests
import socketio
import websocket

from tests.wire import engine_url, next_frame, open_websocket, wait_for_log, ws_frame

APP = "tests.integration.apps.protocol_app:app"


@pytest.fixture(scope="module")
def server(module_server_factory, async_mode):
    server = module_server_factory(APP, async_mode, CORS="http://good.example", MAX_BUFFER="2000",
                                   PING_INTERVAL="0.5", PING_TIMEOUT="0.5", CONNECT_TIMEOUT="1.5")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def bystander(server):
    """A client connected throughout: every test checks it is unharmed."""
    client = socketio.Client(reconnection=False)
    client.connect(server.url, transports=["websocket"], wait_timeout=5)
    yield client
    client.disconnect()


def assert_alive(server, bystander):
    assert bystander.call("echo", "alive", timeout=5) == "alive"
    fresh = socketio.Client(reconnection=False)
    fresh.connect(server.url, transports=["polling"], wait_timeout=5)
    assert fresh.call("echo", "new", timeout=5) == "new"
    fresh.disconnect()


def handshake(server, **query):
    response = requests.get(engine_url(server, **query), timeout=5)
    assert response.status_code == 200
    text = response.text
    if query.get("EIO") == "3":
        text = text.split(":", 1)[1]
    return json.loads(text[1:])["sid"]


@pytest.mark.parametrize(
    "query,method,code",
    [
        ({"sid": "nope"}, "GET", 1),
        ({"EIO": "5"}, "GET", 5),
        ({"EIO": "abc"}, "GET", 5),
        ({"transport": "carrier-pigeon"}, "GET", 0),
        ({}, "POST", 2),
        ({"transport": "websocket"}, "GET", 3),
        ({"EIO": "3", "j": "alert(1)"}, "GET", 3),
    ],
)
def test_engine_errors(server, bystander, query, method, code):
    response = requests.request(method, engine_url(server, **query), timeout=5)
    assert response.status_code == 400
    assert response.headers["Content-Type"] == "application/json"
    body = response.json()
    assert body["code"] == code and body["message"]
    assert_alive(server, bystander)


def test_missing_eio_names_supported_versions(server):
    response = requests.get(f"{server.url}/socket.io/?transport=polling", timeout=5)
    body = response.json()
    assert body["code"] == 5 and body["message"] == "Unsupported protocol version"
    assert "socket.io-client" in body["details"] and "EIO=3" in body["details"]
    wait_for_log(server, "unsupported protocol version")


def test_malformed_engine_packet_closes_only_that_session(server, bystander):
    sid = handshake(server)
    response = requests.post(engine_url(server, sid=sid), data="9garbage", timeout=5)
    assert response.status_code == 400 and response.json()["code"] == 3
    assert requests.get(engine_url(server, sid=sid), timeout=5).json()["code"] == 1
    wait_for_log(server, "malformed payload")
    assert_alive(server, bystander)


@pytest.mark.parametrize("bad", ['4abc', '42{}', '42abc["x"]', '48', '451-["x"]', '42["connect"]'])
def test_malformed_socketio_packet_over_websocket(server, bystander, bad):
    ws = open_websocket(server)
    ws.send("40")
    assert ws.recv().startswith("40{")
    ws.send(bad)
    if bad == '451-["x"]':
        ws.send("42[\"text while binary expected\"]")
    with pytest.raises((websocket.WebSocketConnectionClosedException, ConnectionError)):
        for _ in range(5):
            if ws.recv() in ("", None):
                raise ConnectionError
    wait_for_log(server, "malformed Socket.IO packet")
    assert_alive(server, bystander)


def test_oversized_polling_post(server, bystander):
    sid = handshake(server)
    response = requests.post(engine_url(server, sid=sid), data="4" + "x" * 3000, timeout=5)
    assert response.status_code == 413
    wait_for_log(server, "max_http_buffer_size")
    assert_alive(server, bystander)


def test_oversized_websocket_message(server, bystander):
    ws = open_websocket(server)
    ws.send("40")
    ws.recv()
    ws.send('42["echo","' + "x" * 3000 + '"]')
    opcode, data = ws.recv_data(control_frame=True)
    while opcode != websocket.ABNF.OPCODE_CLOSE:  # skip the welcome event and pings
        opcode, data = ws.recv_data(control_frame=True)
    assert int.from_bytes(data[:2], "big") == 1009
    assert_alive(server, bystander)


@pytest.mark.parametrize(
    "frame,code",
    [
        (ws_frame(0x81, b"40", masked=False), 1002),  # client frames must be masked
        (ws_frame(0x83, b"40"), 1002),  # reserved opcode
        (ws_frame(0xC1, b"40"), 1002),  # RSV1 set, no extension agreed
        (ws_frame(0x80, b"40"), 1002),  # continuation of nothing
        (ws_frame(0x89, b"x" * 126), 1002),  # control frame over 125 bytes
        (ws_frame(0x81, b"4\xff\xfe"), 1007),  # text that is not UTF-8
    ],
    ids=["unmasked", "opcode", "rsv1", "continuation", "long-ping", "utf8"],
)
def test_websocket_protocol_violation(server, bystander, frame, code):
    ws = open_websocket(server)
    ws.sock.sendall(frame)
    data = next_frame(ws, websocket.ABNF.OPCODE_CLOSE)
    assert int.from_bytes(data[:2], "big") == code
    wait_for_log(server, "websocket protocol error")
    assert_alive(server, bystander)


def test_websocket_ping_fragments_and_close(server, bystander):
    ws = open_websocket(server)
    ws.send("40")
    ws.ping(b"are you there")
    assert next_frame(ws, websocket.ABNF.OPCODE_PONG) == b"are you there"
    ws.send_frame(websocket.ABNF.create_frame('421["ec', websocket.ABNF.OPCODE_TEXT, fin=0))
    ws.send_frame(websocket.ABNF.create_frame('ho","fr', websocket.ABNF.OPCODE_CONT, fin=0))
    ws.send_frame(websocket.ABNF.create_frame('agment"]', websocket.ABNF.OPCODE_CONT, fin=1))
    while not (text := next_frame(ws, websocket.ABNF.OPCODE_TEXT).decode()).startswith("43"):
        pass  # the connect reply and the welcome event
    assert text == '431["fragment"]'
    ws.send_close(4001)
    assert int.from_bytes(next_frame(ws, websocket.ABNF.OPCODE_CLOSE)[:2], "big") == 4001
    assert_alive(server, bystander)


def test_disallowed_origin(server, bystander, async_mode):
    bad = {"Origin": "http://evil.example"}
    response = requests.get(engine_url(server), headers=bad, timeout=5)
    assert response.status_code == 400 and response.json()["code"] == 3
    ws_url = f"ws://127.0.0.1:{server.port}/socket.io/?EIO=4&transport=websocket"
    if async_mode == "gevent-websocket":
        # gevent-websocket answers every upgrade before the application sees
        # it: the refusal can only be a close.
        ws = websocket.create_connection(ws_url, header=[f"Origin: {bad['Origin']}"], timeout=5)
        opcode, _ = ws.recv_data(control_frame=True)
        assert opcode == websocket.ABNF.OPCODE_CLOSE
    else:
        with pytest.raises(websocket.WebSocketBadStatusException):
            websocket.create_connection(ws_url, header=[f"Origin: {bad['Origin']}"], timeout=5)
    wait_for_log(server, "refused origin 'http://evil.example'")
    good = requests.get(engine_url(server), headers={"Origin": "http://good.example"}, timeout=5)
    assert good.status_code == 200
    assert good.headers["Access-Control-Allow-Origin"] == "http://good.example"
    assert_alive(server, bystander)


def test_ping_timeout_reaps_silent_client(server, bystander):
    ws = open_websocket(server)
    ws.send("40")
    sid = json.loads(ws.recv()[2:])["sid"]
    assert ws.recv().startswith('42["welcome"')
    assert ws.recv() == "2"  # the server pings; we never answer
    deadline = time.monotonic() + 5
    reasons = {}
    while sid not in reasons and time.monotonic() < deadline:
        reasons = {s: r for s, r, *_ in bystander.call("disconnects", timeout=5)}
        time.sleep(0.1)
    assert reasons.get(sid) == "ping timeout"
    assert_alive(server, bystander)


def test_connect_timeout_closes_idle_session(server, bystander):
    sid = handshake(server)
    deadline = time.monotonic() + 6
    status = None
    while time.monotonic() < deadline:
        response = requests.get(engine_url(server, sid=sid), timeout=5)
        if response.status_code == 400:
            status = response.json()["code"]
            break
        # answer the server's pings so only the connect timeout can end the session
        if "2" in response.text.split("\x1e"):
            requests.post(engine_url(server, sid=sid), data="3", timeout=5)
    assert status == 1
    assert_alive(server, bystander)


def test_second_concurrent_get_is_refused(server, bystander):
    sid = handshake(server)
    first: dict = {}
    thread = threading.Thread(
        target=lambda: first.update(r=requests.get(engine_url(server, sid=sid), timeout=5)))
    thread.start()
    time.sleep(0.2)
    second = requests.get(engine_url(server, sid=sid), timeout=5)
    thread.join()
    assert second.status_code == 400
    assert first["r"].status_code == 200 and "1" in first["r"].text.split("\x1e")
    assert_alive(server, bystander)
