"""Old clients (Engine.IO 3 / Socket.IO v4) against the same server as new ones.

Real clients only: python-socketio 4.x (with python-engineio 3.x, in its own
venv, see `py4client`) and the Node socket.io-client 2.x (and a 1.7 smoke
test), over polling, websocket and polling upgraded to websocket, against a
server in each async mode (the `async_mode` fixture of tests/conftest.py); and
a room shared by old and new clients receiving one broadcast, encoded once per
form.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import socketio

from tests.conftest import require
from tests.integration.py4client import Py4Client, Py4Error, ensure_venv
from tests.jsclient import ConnectError, NodeClient, node_available, node_modules_installed

# The first test that needs the 4.x client may have to build its venv.
pytestmark = pytest.mark.timeout(300)

APP = "tests.integration.apps.old_clients_app:app"
TRANSPORTS = {"polling": ["polling"], "websocket": ["websocket"], "upgrade": None}
# Short heartbeats (old clients ping every second) and a connect timeout that
# the tests outlast: old clients are connected to "/" at the handshake.
SERVER_ENV = {"PING_INTERVAL": "1", "PING_TIMEOUT": "2", "CONNECT_TIMEOUT": "2"}


@pytest.fixture(scope="module")
def server(module_server_factory, async_mode):
    return module_server_factory(APP, async_mode, **SERVER_ENV)


@pytest.fixture(scope="session")
def py4_python():
    try:
        return ensure_venv()
    except (RuntimeError, OSError, TimeoutError) as exc:  # no registry, no venv module...
        require(False, f"python-socketio 4.x venv could not be made: {exc}")


def require_node() -> None:
    require(node_available(), "node is not installed")
    require(node_modules_installed(), "tests/js/node_modules missing (cd tests/js && npm ci)")


@pytest.fixture(params=list(TRANSPORTS))
def transports(request):
    return request.param


class OldClients:
    """Opens connections of one kind of old client: ``py4`` or ``node2`` (or ``node1``).

    `open` returns the sockets of the namespaces joined and the payloads of
    the refusals, so one test body serves both kinds.
    """

    def __init__(self, kind: str, py4_python: Any = None) -> None:
        self.kind = kind
        self._processes: list[Any] = []
        self._py4_python = py4_python

    def open(
        self,
        url: str,
        transport: str,
        namespaces: tuple[str, ...] = ("/",),
        query: dict[str, str] | None = None,
        **opts: Any,
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        transports = TRANSPORTS[transport]
        sockets: dict[str, Any] = {}
        errors: dict[str, Any] = {}
        if self.kind == "py4":
            client = Py4Client(self._py4_python)
            self._processes.append(client)
            sockets = client.connect(url, list(namespaces), transports, query)
            for namespace, args in client.errors.items():
                errors[namespace] = args[0] if len(args) == 1 else args
        else:
            node = NodeClient(version=int(self.kind[-1]))
            self._processes.append(node)
            for namespace in namespaces:
                try:
                    sockets[namespace] = node.connect(
                        url, namespace, transports=transports, query=query, **opts)
                except ConnectError as exc:
                    errors[namespace] = exc.data
        if transport == "upgrade":
            for sock in sockets.values():
                sock.wait_transport("websocket")
        return sockets, errors

    def one(self, url: str, transport: str, **query: str) -> Any:
        sockets, errors = self.open(url, transport, query=query or None)
        assert not errors, errors
        return sockets["/"]

    def close(self) -> None:
        for process in self._processes:
            process.close()


@pytest.fixture(params=["py4", "node2"])
def old(request) -> Iterator[OldClients]:
    if request.param == "py4":
        clients = OldClients("py4", request.getfixturevalue("py4_python"))
    else:
        require_node()
        clients = OldClients(request.param)
    yield clients
    clients.close()


def server_disconnects(url: str) -> dict[str, list[str]]:
    """{sid: [reasons]} as the server's disconnect handlers saw them."""
    client = socketio.Client(reconnection=False)
    client.connect(url, transports=["websocket"], wait_timeout=5)
    try:
        seen: dict[str, list[str]] = {}
        for sid, reason, *_ in client.call("disconnects", timeout=5):
            seen.setdefault(sid, []).append(reason)
        return seen
    finally:
        client.disconnect()


def wait_for_disconnect_reason(url: str, sid: str) -> list[str]:
    deadline = time.monotonic() + 10  # a silent client goes at its ping timeout
    while time.monotonic() < deadline:
        reasons = server_disconnects(url).get(sid)
        if reasons:
            return reasons
        time.sleep(0.1)
    raise AssertionError(f"the server saw no disconnect of {sid}")


# -- one kind of old client at a time ------------------------------------------------


def test_connect_events_and_acks(server, old, transports):
    sock = old.one(server.url, transports, token="abc")
    # Old clients send credentials in the handshake query: that is `auth` for "/".
    assert sock.wait_event("welcome") == [{"sid": sock.sid, "auth": {"token": "abc"}}]
    assert sock.call("echo", "hello") == ["hello"]
    assert sock.call("echo", "a", 1, None, {"k": [1, 2.5]}) == ["a", 1, None, {"k": [1, 2.5]}]
    # v3 polling lengths count UTF-16 units: the emoji is 2, the others 1.
    text = "€ 😀 ünïcødé \u2028 \"quoted\" \\ line\nbreak"
    assert sock.call("echo", text) == [text]
    assert sock.call("echo") == []


def test_binary_both_ways(server, old, transports):
    sock = old.one(server.url, transports)
    payload = {"a": b"\x00\x01\x02", "list": [b"x" * 1000, {"deep": b"\xff"}], "n": 1}
    assert sock.call("echo", b"top", payload) == [b"top", payload]
    sock.emit("emit_back", "x", b"\x01\x02\x03\x04")
    assert sock.wait_event("server_event") == ["x", b"\x01\x02\x03\x04"]


def test_server_callbacks_answered_by_client(server, old, transports):
    sock = old.one(server.url, transports)
    sock.listen("server_event", ack_reply=["got", b"\x09\x08"])
    sock.emit("emit_back", "x")
    deadline = time.monotonic() + 5
    ack: list[Any] = []
    while ack in ([], [None]) and time.monotonic() < deadline:  # None: not acked yet
        ack = sock.call("get_ack")
    assert ack == [["got", b"\x09\x08"]]
    # sio.call() from a handler waits for the client's ack, which then acks us.
    assert sock.call("call_back", "y") == ["got", b"\x09\x08"]


def test_namespaces(server, old, transports):
    sockets, errors = old.open(
        server.url, transports, namespaces=("/", "/chat", "/nowhere", "/private"))
    chat = sockets["/chat"]
    assert chat.wait_event("welcome") == ["chat"]
    assert chat.call("echo", "x") == ["chat:x"]
    assert sockets["/"].call("echo", "root") == ["root"]
    if old.kind == "node2":
        # Old clients expect one id per connection: /ns#<engine sid> beyond "/".
        assert chat.sid == f"/chat#{sockets['/'].sid}"
    assert errors == {"/nowhere": "Invalid namespace", "/private": "Forbidden namespace"}


def test_namespace_query_is_its_auth(server, transports):
    """socket.io-client 2.x appends its query to a namespace's CONNECT
    (``40/private?key=open%20sesame,``); python-socketio 4 sends none."""
    require_node()
    for key, refused in (("open sesame", False), ("guess", True)):
        with NodeClient(version=2) as node:
            root = node.connect(server.url, transports=TRANSPORTS[transports], query={"key": key})
            if refused:
                with pytest.raises(ConnectError) as error:
                    node.connect(server.url, "/private", transports=TRANSPORTS[transports],
                                 query={"key": key})
                assert error.value.data == "Forbidden namespace"
            else:
                private = node.connect(server.url, "/private", transports=TRANSPORTS[transports],
                                       query={"key": key})
                assert private.sid == f"/private#{root.sid}"
            assert root.call("echo", "root") == ["root"]


def test_connect_refused(server, old, transports):
    _, errors = old.open(server.url, transports, query={"token": "bad"})
    assert errors == {"/": {"reason": "bad token"}}  # v4 ERROR: the data, else the message
    _, errors = old.open(server.url, transports, query={"token": "false"})
    assert errors == {"/": "Connection rejected by server"}
    sock = old.one(server.url, transports)
    assert sock.call("echo", "still fine") == ["still fine"]


def test_rooms(server, old, transports):
    a, b, c = (old.one(server.url, transports) for _ in range(3))
    room = f"room-{uuid.uuid4()}"
    assert room in a.call("join", room)[0]
    assert room in b.call("join", room)[0]
    assert a.call("to_room", room, "hi") == ["sent"]
    assert a.wait_event("room_msg") == ["hi"] and b.wait_event("room_msg") == ["hi"]
    assert a.call("to_room", room, "not me", True) == ["sent"]
    assert b.wait_event("room_msg") == ["not me"]
    assert room not in b.call("leave", room)[0]
    assert a.call("to_room", room, "after leave") == ["sent"]
    assert a.wait_event("room_msg") == ["after leave"]
    assert a.call("close_room", room) == ["closed"]
    assert a.call("to_room", room, "closed") == ["sent"]
    assert c.call("to_room", a.sid, "direct") == ["sent"]  # a client's sid is a room
    assert a.wait_event("room_msg") == ["direct"]
    assert a.received("room_msg") == b.received("room_msg") == c.received("room_msg") == []


def test_broadcast_reaches_each_client_once(server, old, transports):
    clients = [old.one(server.url, transports) for _ in range(4)]
    token = f"b-{uuid.uuid4()}"
    assert clients[0].call("broadcast", token) == ["sent"]
    for sock in clients:
        while sock.wait_event("news") != [token]:
            pass
    assert clients[0].call("echo", "flush") == ["flush"]
    for sock in clients:
        assert [token] not in sock.received("news"), "delivered twice"


def test_server_and_client_disconnect(server, old, transports):
    sock = old.one(server.url, transports)
    sid = sock.sid
    sock.emit("kick")
    reason = sock.wait_disconnect()
    if old.kind == "node2":
        assert reason == "io server disconnect"
    assert wait_for_disconnect_reason(server.url, sid) == ["server disconnect"]
    # The Engine.IO session went with "/": the sid is unknown now.
    response = requests.get(f"{server.url}/socket.io/?EIO=3&transport=polling&sid={sid}",
                            timeout=5)
    assert response.status_code == 400 and response.json()["code"] == 1

    sock = old.one(server.url, transports)
    sid = sock.sid
    sock.disconnect()
    reasons = wait_for_disconnect_reason(server.url, sid)
    if old.kind == "py4":
        # python-socketio 4 does not wait for the DISCONNECT and CLOSE packets
        # it queued: its writer may quit first (over polling nothing is sent,
        # and the server reaps the silent client) and its websocket may close
        # before they go out.
        assert reasons in (["client disconnect"], ["transport close"], ["ping timeout"])
    else:
        assert reasons == ["client disconnect"]


def test_outlasts_connect_timeout_and_handler_errors(server, old):
    # The rule (a v3 client joins "/" at the handshake, so the connect timeout
    # is not its) is the engine's, whatever the transport: the unit tests
    # check it (tests/unit/test_engine.py), and here a real client of each
    # generation in each mode, on the transport that does both (upgrade).
    sock = old.one(server.url, "upgrade")
    time.sleep(float(SERVER_ENV["CONNECT_TIMEOUT"]) + 1.5)  # several client pings, too
    sock.emit("boom")
    assert sock.call("echo", "still here") == ["still here"]


def test_forced_base64(server, transports):
    """socket.io-client 2.x with forceBase64: binary as `b4...` text, on every transport."""
    require_node()
    with NodeClient(version=2) as node:
        sock = node.connect(server.url, transports=TRANSPORTS[transports], forceBase64=True)
        if transports == "upgrade":
            sock.wait_transport("websocket")
        assert sock.call("echo", b"\x00\xff", {"k": b"\x01"}) == [b"\x00\xff", {"k": b"\x01"}]
        sock.emit("emit_back", b"\x05")
        assert sock.wait_event("server_event") == [b"\x05"]


# -- old and new clients together ----------------------------------------------------


def test_mixed_room_gets_one_broadcast_encoded_once_per_form(server, py4_python):
    require_node()
    room = f"mixed-{uuid.uuid4()}"
    new_py = socketio.Client(reconnection=False)
    received: list[Any] = []
    new_py.on("room_msg", lambda *args: received.append(list(args)))
    with NodeClient(version=4) as node4, NodeClient(version=2) as node2, \
            Py4Client(py4_python) as py4_ws, Py4Client(py4_python) as py4_poll:
        new_py.connect(server.url, transports=["polling"], wait_timeout=5)
        try:
            members = {
                "socket.io-client 4 websocket": node4.connect(server.url,
                                                              transports=["websocket"]),
                "socket.io-client 2 websocket": node2.connect(server.url,
                                                              transports=["websocket"]),
                "socket.io-client 2 polling": node2.connect(server.url, transports=["polling"],
                                                            forceNew=True),
                "python-socketio 4 websocket": py4_ws.connect(server.url,
                                                              transports=["websocket"])["/"],
                "python-socketio 4 polling": py4_poll.connect(server.url,
                                                              transports=["polling"])["/"],
            }
            for sock in members.values():
                assert room in sock.call("join", room)[0]
            assert room in new_py.call("join", room, timeout=5)
            marker = f"mark-{uuid.uuid4()}"
            sender = members["python-socketio 4 polling"]
            assert sender.call("watch_encodes", marker) == ["watching"]

            assert sender.call("to_room", room, f"{marker} €") == ["sent"]
            for name, sock in members.items():
                assert sock.wait_event("room_msg") == [f"{marker} €"], name
            deadline = time.monotonic() + 5
            while not received and time.monotonic() < deadline:
                time.sleep(0.02)
            assert received == [[f"{marker} €"]]
            counts = sender.call("encode_counts", marker)[0]
            # One Socket.IO encoding; one websocket frame for the three websocket
            # clients of both generations (a text message is the same frame);
            # one `<length>:<packet>` entry for both v3 polling clients.
            assert counts == {"socketio": 1, "ws_frames": 1, "v3_entries": 1}, counts

            assert sender.call("to_room_binary", room, marker) == ["sent"]
            for name, sock in members.items():
                assert sock.wait_event("room_msg") == [marker, b"\x00\x01\xfe\xff"], name
            deadline = time.monotonic() + 5
            while len(received) < 2 and time.monotonic() < deadline:
                time.sleep(0.02)
            assert received[1] == [marker, b"\x00\x01\xfe\xff"]
            assert sender.call("encode_counts", marker)[0]["socketio"] == 2
        finally:
            new_py.disconnect()


# -- socket.io-client 1.7 --------------------------------------------------------------


@pytest.mark.parametrize("transport", ["polling", "websocket"])
def test_socketio_client_1_smoke(server, transport):
    require_node()
    require(_has_v1(), "socket.io-client-v1 is not installed in tests/js")
    with NodeClient(version=1) as node:
        sock = node.connect(server.url, transports=TRANSPORTS[transport], query={"token": "t"})
        assert sock.wait_event("welcome")[0]["auth"] == {"token": "t"}
        # 1.x UTF-8-encodes polling text a second time (undone in 2.0): over
        # polling only ASCII survives, with any server of this generation.
        text = "€ ü" if transport == "websocket" else "ascii"
        assert sock.call("echo", text, b"\x01\x02") == [text, b"\x01\x02"]
        chat = node.connect(server.url, "/chat", transports=TRANSPORTS[transport])
        assert chat.call("echo", "x") == ["chat:x"]
        sock.emit("kick")
        assert sock.wait_disconnect() == "io server disconnect"


def _has_v1() -> bool:
    from tests.jsclient import JS_DIR

    return (JS_DIR / "node_modules" / "socket.io-client-v1").is_dir()


# -- allow_eio3=False ------------------------------------------------------------------


def test_allow_eio3_false_refuses_old_clients(module_server_factory, py4_python):
    server = module_server_factory(APP, ALLOW_EIO3="0")
    response = requests.get(f"{server.url}/socket.io/?EIO=3&transport=polling", timeout=5)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == 5 and body["message"] == "Unsupported protocol version"
    assert "allow_eio3=False" in body["details"] and "python-socketio 4.x" in body["details"]
    assert "unsupported protocol version EIO='3'" in server.log()
    with Py4Client(py4_python) as py4, pytest.raises(Py4Error, match="ConnectionError"):
        py4.connect(server.url, transports=["polling"])
    new = socketio.Client(reconnection=False)
    new.connect(server.url, transports=["polling"], wait_timeout=5)
    assert new.call("echo", "new ok", timeout=5) == "new ok"
    new.disconnect()
    if node_available() and node_modules_installed():
        with NodeClient(version=2) as node, pytest.raises(ConnectError) as refused:
            node.connect(server.url, transports=["polling"])
        assert refused.value.description == 400
