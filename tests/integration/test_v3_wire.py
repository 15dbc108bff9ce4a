"""The Engine.IO v3 / Socket.IO v4 wire, byte for byte, over raw HTTP and websocket.

The expected bytes are those of the captures in PROTOCOL.md (the Node reference
server talking to real old clients). Malformed v3 input gets a 400 and a log
line, and nothing else happens: neither its valid first packets, nor any harm
to the server or to a bystander client. Each async mode in turn (the
`async_mode` fixture of tests/conftest.py).
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from typing import Any
from urllib.parse import quote, urlencode

import pytest
import requests
import socketio
import websocket

from tests.wire import v3_binary_payload, v3_packets, v3_payload, wait_for_log

APP = "tests.integration.apps.old_clients_app:app"
ENV = {"PING_INTERVAL": "1", "PING_TIMEOUT": "1", "CONNECT_TIMEOUT": "1.5", "MAX_BUFFER": "2000"}
OPEN_KEYS = {"sid", "upgrades", "pingInterval", "pingTimeout", "maxPayload"}
TEXT = "text/plain; charset=UTF-8"
BINARY = "application/octet-stream"
PLACEHOLDER = '{"_placeholder":true,"num":0}'


@pytest.fixture(scope="module")
def server(module_server_factory, async_mode):
    return module_server_factory(APP, async_mode, **ENV)


@pytest.fixture(scope="module")
def bystander(server):
    """A python-socketio 5 client connected throughout, recording broadcasts."""
    client = socketio.Client(reconnection=False)
    client.news = []
    client.on("news", lambda data: client.news.append(data))
    client.connect(server.url, transports=["websocket"], wait_timeout=5)
    yield client
    client.disconnect()


def norm(packet: str) -> tuple:
    """An Engine.IO message holding a Socket.IO packet, with its JSON parsed."""
    match = re.fullmatch(r"4(\d)(\d+-)?(/[^,]*,)?(\d*)(.*)", packet, re.S)
    if match is None:
        return (packet,)
    *head, data = match.groups()
    return (*head, json.loads(data) if data else None)


class V3:
    """A raw EIO=3 polling session."""

    def __init__(self, server: Any, **query: str) -> None:
        self.server = server
        self.query = {k: v for k, v in query.items() if k in ("b64", "j")}
        response = requests.get(self.url(**query), timeout=5)
        assert response.status_code == 200, response.text
        self.handshake = response
        body = response.text
        if "j" in query:
            match = re.fullmatch(r'___eio\[\d+\]\((".*")\);', body)
            assert match, body
            body = json.loads(match.group(1))
        length, _, packet = body.partition(":")
        assert int(length) == len(packet) and packet.startswith("0"), body
        self.open = json.loads(packet[1:])
        self.sid = self.open["sid"]

    def url(self, transport: str = "polling", **query: str) -> str:
        params = {"EIO": "3", "transport": transport, **query}
        return f"{self.server.url}/socket.io/?{urlencode(params)}"

    def get(self, **query: str) -> requests.Response:
        return requests.get(self.url(sid=self.sid, **{**self.query, **query}), timeout=5)

    def post(self, body: str | bytes, **query: str) -> requests.Response:
        content_type = BINARY if isinstance(body, bytes) else TEXT
        if "j" in {**self.query, **query}:
            content_type = "application/x-www-form-urlencoded"
        data = body.encode() if isinstance(body, str) else body
        return requests.post(self.url(sid=self.sid, **{**self.query, **query}), data=data,
                             headers={"Content-Type": content_type}, timeout=5)

    def receive(self, *expected: str) -> list[str]:
        """GET until the packets of the `expected` text payloads came (noops skipped).

        Packets are compared with their JSON parsed: whether the server
        escapes non-ASCII characters is its own business.
        """
        want = [norm(p) for payload in expected for p in v3_packets(payload)]
        got: list[str] = []
        deadline = time.monotonic() + 5
        while len(got) < len(want) and time.monotonic() < deadline:
            response = self.get()
            assert response.status_code == 200, response.text
            assert response.headers["Content-Type"] == TEXT
            got += [p for p in v3_packets(response.text) if p != "6"]
        assert [norm(p) for p in got] == want, got
        return got

    def connected(self) -> None:
        """The implicit CONNECT of "/", then what the app's connect handler emits."""
        self.receive("2:40", v3_payload(f'42["welcome",{{"sid":"{self.sid}","auth":null}}]'))

    def ws(self, **query: str) -> websocket.WebSocket:
        url = self.url("websocket", sid=self.sid, **query).replace("http://", "ws://")
        return websocket.create_connection(url, timeout=5)


def assert_closed(ws: websocket.WebSocket) -> None:
    """The server closes: a close frame (websocket-client gives "") or a dropped socket."""
    with pytest.raises((websocket.WebSocketConnectionClosedException, ConnectionError)):
        for _ in range(3):
            if ws.recv() == "":
                raise ConnectionError("closed")


def assert_alive(server, bystander) -> None:
    assert bystander.call("echo", "alive", timeout=5) == "alive"
    fresh = V3(server)
    fresh.connected()
    assert fresh.post(v3_payload('421["echo","new"]')).text == "ok"
    fresh.receive(v3_payload('431["new"]'))


def disconnect_reason(bystander, sid: str) -> str | None:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        reasons = {s: r for s, r, *_ in bystander.call("disconnects", timeout=5)}
        if sid in reasons:
            return reasons[sid]
        time.sleep(0.05)
    return None


# -- the captures ----------------------------------------------------------------


@pytest.mark.parametrize("query", [{}, {"b64": "1"}, {"t": "abc", "b64": "1"}])
def test_handshake_holds_only_the_open_packet(server, query):
    session = V3(server, **query)
    assert session.handshake.headers["Content-Type"] == TEXT
    assert set(session.open) == OPEN_KEYS
    assert session.open["upgrades"] == ["websocket"]
    # The capture's form, `118:0{...}` with the reference's settings; ours differ.
    assert re.fullmatch(r'113:0\{"sid":"[\w-]{20}","upgrades":\["websocket"\],'
                        r'"pingInterval":1000,"pingTimeout":1000,"maxPayload":2000\}',
                        session.handshake.text), session.handshake.text
    # The implicit CONNECT of "/" comes in the next poll, before anything the
    # connect handler emits.
    session.connected()


def test_events_and_namespaces_over_polling(server):
    session = V3(server, b64="1")
    session.connected()
    # "40": old clients never CONNECT to "/" (joined at the handshake): ignored.
    response = session.post(v3_payload("40", '420["echo","€"]', "40/chat,", "40/private?key=nope,",
                                  "40/private?key=open%20sesame,", "40/nowhere,"))
    assert (response.status_code, response.text) == (200, "ok")
    assert response.headers["Content-Type"].startswith("text/html")
    session.receive(v3_payload('430["€"]', "40/chat,", '42/chat,["welcome","chat"]',
                          '44/private,"Forbidden namespace"', "40/private,",
                          '44/nowhere,"Invalid namespace"'))
    # python-socketio 4 sends the CONNECT of a namespace without the comma.
    assert session.post(v3_payload("41/chat,", "40/chat")).text == "ok"
    session.receive(v3_payload("40/chat,", '42/chat,["welcome","chat"]'))
    assert session.post(v3_payload('42/chat,7["echo","x"]')).text == "ok"
    session.receive(v3_payload('43/chat,7["chat:x"]'))


def test_lengths_count_utf16_units(server):
    session = V3(server)
    session.connected()
    packet = '420["echo","😀 € x"]'
    assert session.post(v3_payload(packet)).text == "ok"
    assert len(packet) == 19 and v3_payload(packet).startswith("20:")  # the emoji counts 2
    session.receive(v3_payload('430["😀 € x"]'))


def test_client_ping_over_polling_gets_pong(server):
    session = V3(server)
    session.connected()
    assert session.post("1:2").text == "ok"
    assert session.get().text == "1:3"
    assert session.post("6:2probe").text == "ok"
    assert session.get().text == "6:3probe"


def test_xhr2_binary_payloads(server):
    """The capture's bytes: a binary echo and a server-sent binary event."""
    session = V3(server)
    session.connected()
    body = bytes.fromhex(
        "000403ff3435312d305b226563686f222c7b225f706c616365686f6c646572223a747275652c226e756d2"
        "23a307d5d0104ff04deadbe")
    assert body == v3_binary_payload(f'451-0["echo",{PLACEHOLDER}]', b"\x04\xde\xad\xbe")
    response = session.post(body)
    assert (response.status_code, response.text) == (200, "ok")
    response = session.get()
    assert response.headers["Content-Type"] == BINARY
    assert response.content == bytes.fromhex(
        "000306ff3436312d305b7b225f706c616365686f6c646572223a747275652c226e756d223a307d5d0104"
        "ff04deadbe")
    # A text batch from a binary-capable client may carry base64 packets.
    assert session.post(v3_payload(f'451-["emit_back",{PLACEHOLDER}]', "b4AQIDBA==")).text == "ok"
    response = session.get()
    assert response.headers["Content-Type"] == BINARY
    assert response.content == v3_binary_payload(f'451-1["server_event",{PLACEHOLDER}]',
                                            b"\x04\x01\x02\x03\x04")
    assert session.post(v3_binary_payload(f"461-1[{PLACEHOLDER}]", b"\x04\xff")).text == "ok"
    assert session.post(v3_payload('421["get_ack"]')).text == "ok"
    response = session.get()
    assert response.content == v3_binary_payload(f"461-1[[{PLACEHOLDER}]]", b"\x04\xff")


def test_b64_binary_payloads(server):
    session = V3(server, b64="1")
    session.connected()
    assert session.post(v3_payload(f'451-0["echo","€",{PLACEHOLDER}]', "b4AQIDBA==")).text == "ok"
    got = session.receive(v3_payload(f'461-0["€",{PLACEHOLDER}]', "b4AQIDBA=="))
    assert got[1] == "b4AQIDBA=="  # the whole `b4...` string is counted


def test_jsonp_polling(server):
    session = V3(server, j="0")
    assert session.handshake.headers["Content-Type"] == "text/javascript; charset=UTF-8"
    assert session.handshake.text.startswith('___eio[0]("113:0{\\"sid\\":')
    response = session.get()
    assert response.text.startswith('___eio[0]("2:40')
    assert response.headers["Content-Type"] == "text/javascript; charset=UTF-8"
    welcome = v3_payload(f'42["welcome",{{"sid":"{session.sid}","auth":null}}]')
    assert response.text == f"___eio[0]({json.dumps('2:40' + welcome)});"
    response = session.post(b"d=15%3A420%5B%22echo%22%2C%22a%22%5D")
    assert (response.status_code, response.text) == (200, "ok")
    assert session.get().text == '___eio[0]("8:430[\\"a\\"]");'
    # The client's escaping of newlines (engine.io-client 3, polling-jsonp):
    # an escaped "\n" in the payload is sent as "\\n", a raw newline as "\n".
    payload = v3_payload('421["echo","a\\nb\u2028"]')
    escaped = payload.replace("\\n", "\\\n").replace("\n", "\\n")
    assert session.post(("d=" + quote(escaped)).encode()).text == "ok"
    answer = session.get().text
    assert "\u2028" not in answer and "\n" not in answer  # both end a line of JavaScript
    literal = re.fullmatch(r'___eio\[0\]\((".*")\);', answer).group(1)
    (packet,) = v3_packets(json.loads(literal))
    assert norm(packet) == norm('431["a\\nb\u2028"]')


def test_upgrade_to_websocket(server):
    session = V3(server)
    session.connected()
    parked: dict[str, requests.Response] = {}
    poller = threading.Thread(target=lambda: parked.update(r=session.get()))
    poller.start()
    time.sleep(0.1)
    ws = session.ws()
    ws.send("2probe")
    assert ws.recv() == "3probe"
    poller.join(5)
    assert parked["r"].text == "1:6"
    ws.send("5")
    ws.send('420["echo","x"]')
    assert ws.recv() == '430["x"]'
    ws.send(f'451-1["echo",{PLACEHOLDER}]')
    ws.send_binary(b"\x04\x09\x08")
    assert ws.recv() == f"461-1[{PLACEHOLDER}]"
    assert ws.recv() == b"\x04\x09\x08"
    ws.send("2")
    assert ws.recv() == "3"
    response = session.get()
    assert response.status_code == 400 and response.json()["code"] == 3
    ws.send("1")
    assert_closed(ws)


def test_websocket_b64_is_its_own(server):
    """b64 belongs to each transport: a polling session without it upgrades to a
    websocket that asks for it, and gets binary as base64 text there."""
    session = V3(server)
    session.connected()
    ws = session.ws(b64="1")
    ws.send("2probe")
    assert ws.recv() == "3probe"
    ws.send("5")
    ws.send(f'451-1["echo",{PLACEHOLDER}]')
    ws.send("b4CQg=")
    # With no GET parked, the probe's noop waited in the queue and comes here.
    got: list[str | bytes] = []
    while len(got) < 2:
        message = ws.recv()
        if message != "6":
            got.append(message)
    assert got == [f"461-1[{PLACEHOLDER}]", "b4CQg="]
    ws.close()


def test_websocket_only_session_and_server_disconnect(server, bystander):
    ws = websocket.create_connection(
        f"ws://127.0.0.1:{server.port}/socket.io/?EIO=3&transport=websocket", timeout=5)
    opened = ws.recv()
    assert opened.startswith("0{")
    info = json.loads(opened[1:])
    assert set(info) == OPEN_KEYS and info["upgrades"] == []
    assert ws.recv() == "40"
    assert ws.recv() == f'42["welcome",{{"sid":"{info["sid"]}","auth":null}}]'
    ws.send("2")
    assert ws.recv() == "3"
    ws.send('42["kick"]')
    assert ws.recv() == "41"
    assert ws.recv() == "1"
    assert_closed(ws)
    assert disconnect_reason(bystander, info["sid"]) == "server disconnect"


def test_client_close_over_polling(server, bystander):
    session = V3(server)
    session.connected()
    parked: dict[str, requests.Response] = {}
    poller = threading.Thread(target=lambda: parked.update(r=session.get()))
    poller.start()
    time.sleep(0.1)
    assert session.post("1:1").text == "ok"
    poller.join(5)
    assert parked["r"].text == "1:6"
    assert session.get().json()["code"] == 1
    assert disconnect_reason(bystander, session.sid) == "client disconnect"


# -- heartbeat and deadlines ---------------------------------------------------


def test_silent_client_is_reaped(server, bystander):
    session = V3(server)
    session.connected()
    assert disconnect_reason(bystander, session.sid) == "ping timeout"
    assert session.get().json()["code"] == 1


def test_pinging_client_outlives_the_connect_timeout(server):
    """v3 clients join "/" at the handshake: the connect timeout is not theirs."""
    session = V3(server)
    session.connected()
    deadline = time.monotonic() + float(ENV["CONNECT_TIMEOUT"]) + 1
    while time.monotonic() < deadline:
        assert session.post("1:2").text == "ok"
        assert session.get().text == "1:3"
        time.sleep(0.3)
    assert session.post(v3_payload('421["echo","late"]')).text == "ok"
    session.receive(v3_payload('431["late"]'))


def test_refused_client_meets_the_connect_timeout(server):
    session = V3(server, token="bad")
    session.receive(v3_payload('44{"reason":"bad token"}'))
    deadline = time.monotonic() + float(ENV["CONNECT_TIMEOUT"]) + 2
    status = 200
    while status == 200 and time.monotonic() < deadline:
        session.post("1:2")
        response = session.get()
        status = response.status_code
        time.sleep(0.2)
    assert status == 400


def test_pong_from_a_v3_client_is_a_transport_error(server, bystander):
    session = V3(server)
    session.connected()
    assert session.post("1:3").text == "ok"
    assert session.get().status_code in (200, 400)
    assert disconnect_reason(bystander, session.sid) == "transport error"
    assert session.get().json()["code"] == 1


# -- malformed input -----------------------------------------------------------

MALFORMED_TEXT = [
    "abc:40",  # not a length
    "99:42[]",  # longer than the body
    "0:",  # empty packet
    "4",  # no colon
    "5:42[\"x\"]",  # cuts the packet, leaving a stray tail
    "15:420[\"echo\",\"😀\"]",  # counted in code points: cuts the surrogate pair
    "1:9",  # unknown packet type
    "-1:4",
    "123456789:4",  # too many digits
    "2:bX",  # base64 packet with a bad type
    "6:b4!!!!",  # bad base64
]
MALFORMED_BINARY = [
    b"\x00\x05\xff4hel",  # truncated string packet
    b"\x01\x04\xff\x04\x01",  # truncated binary packet
    b"\x00\xff4",  # no length digits
    b"\x00\x0a\xff" + b"4" * 10,  # a length digit over 9
    b"\x00" + b"\x01" * 9 + b"\xff4",  # too many digits
    b"\x00\x01",  # no 0xFF
    b"\x01\x01\xff\x09",  # unknown binary packet type
    b"\x00\x02\xff\xc3\x28",  # string packet not UTF-8
]


def broadcast_prefix(token: str) -> str:
    return f'42["broadcast","{token}"]'


@pytest.mark.parametrize("bad", MALFORMED_TEXT + MALFORMED_BINARY, ids=repr)
def test_malformed_payload_is_refused_whole(server, bystander, bad):
    session = V3(server)
    session.connected()
    token = f"leak-{uuid.uuid4()}"
    if isinstance(bad, bytes):
        body: str | bytes = v3_binary_payload(broadcast_prefix(token)) + bad
    else:
        body = v3_payload(broadcast_prefix(token)) + bad
    response = session.post(body)
    assert response.status_code == 400
    assert response.headers["Content-Type"] == "application/json"
    assert response.json()["code"] == 3
    wait_for_log(server, f"{session.sid}: malformed payload")
    assert session.get().json()["code"] == 1  # the session is closed
    assert_alive(server, bystander)
    # The valid packet ahead of the error was never dispatched.
    assert token not in bystander.news


@pytest.mark.parametrize("body", [b"x=1", b"d=1:4&d=1:4", b"d=9:4", b"%zz"])
def test_malformed_jsonp_post(server, bystander, body):
    session = V3(server, j="3")
    response = session.post(body)
    assert response.status_code == 400 and response.json()["code"] == 3
    wait_for_log(server, f"{session.sid}: malformed payload")
    assert_alive(server, bystander)


@pytest.mark.parametrize("index", ["alert(1)", "0;alert(1)", "-1", "1e3", "", "123456789"])
def test_bad_jsonp_index(server, bystander, index):
    response = requests.get(f"{server.url}/socket.io/?EIO=3&transport=polling&j={quote(index)}",
                            timeout=5)
    assert response.status_code == 400 and response.json()["code"] == 3
    assert "___eio" not in response.text
    session = V3(server, j="0")
    for method in ("GET", "POST"):
        response = requests.request(method, session.url(sid=session.sid, j=index),
                                    data=b"d=1:2", timeout=5)
        assert response.status_code == 400 and response.json()["code"] == 3
    wait_for_log(server, "refused JSONP index")
    # JSONP is a v3 transport only.
    response = requests.get(f"{server.url}/socket.io/?EIO=4&transport=polling&j=0", timeout=5)
    assert response.status_code == 400
    assert_alive(server, bystander)


def test_other_versions_requests_do_not_reach_a_v3_session(server, bystander):
    session = V3(server)
    response = requests.get(
        f"{server.url}/socket.io/?EIO=4&transport=polling&sid={session.sid}", timeout=5)
    assert response.status_code == 400 and response.json()["code"] == 1
    session.connected()


def test_oversized_v3_post(server, bystander):
    session = V3(server)
    response = session.post(v3_payload('42["echo","' + "x" * 3000 + '"]'))
    assert response.status_code == 413
    wait_for_log(server, f"{session.sid}: POST of")
    assert_alive(server, bystander)


def test_malformed_socketio_packet_from_v3_client(server, bystander):
    session = V3(server)
    session.connected()
    assert session.post(v3_payload("42{}")).text == "ok"
    wait_for_log(server, f"{session.sid}: malformed Socket.IO packet")
    assert session.get().status_code in (200, 400)
    assert session.get().json()["code"] == 1
    assert_alive(server, bystander)
