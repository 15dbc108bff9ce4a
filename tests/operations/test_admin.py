"""The Socket.IO Admin UI's server side: its protocol as the UI (npm
@socket.io/admin-ui 0.5) speaks it, checked with python-socketio clients
standing in for the UI; tests/browser/test_admin_ui_browser.py drives the
real UI in Chromium.

In process (the test client): authentication, login tokens, features.
Live (a real server per async mode): sockets, rooms and events reported as
they happen, and the UI's operations. In a cluster (two processes and
Redis): every server appears, with its sockets, and the operations reach
the sockets of the other process.
"""

from __future__ import annotations

import json

import flask
import pytest
import requests
import socketio as socketio_client
import websocket
from werkzeug.security import generate_password_hash

from flask_socketio import SocketIO
from tests.operations.helpers import APP, CREDENTIALS, AdminClient, client, wait_until

EDIT = ["EMIT", "JOIN", "LEAVE", "DISCONNECT", "MJOIN", "MLEAVE", "MDISCONNECT"]


# -- in process -------------------------------------------------------------------


def admin_app(**admin_ui):
    app = flask.Flask(__name__)
    socketio = SocketIO(app, async_mode="threading", admin_ui=admin_ui)
    return app, socketio


def received(client, name):
    return [item["args"] for item in client.get_received("/admin") if item["name"] == name]


@pytest.mark.parametrize(
    "auth, login",
    [
        ({"username": "admin", "password": "changeit"}, CREDENTIALS),
        ({"username": "admin", "password": generate_password_hash("changeit")}, CREDENTIALS),
        ([{"username": "ops", "password": "x"}, {"username": "admin", "password": "changeit"}],
         CREDENTIALS),
        (lambda given: given == CREDENTIALS, CREDENTIALS),
        (False, None),
    ],
    ids=["plain", "werkzeug-hash", "list", "callable", "off"],
)
def test_logins_and_refusals(auth, login) -> None:
    app, socketio = admin_app(auth=auth, server_stats_interval=60)
    try:
        admin = socketio.test_client(app, namespace="/admin", auth=login)
        assert admin.is_connected("/admin")
        (features,) = received(admin, "config")[0]
        assert features == {"supportedFeatures": [*EDIT, "AGGREGATED_EVENTS", "ALL_EVENTS"]}
        if auth is not False:
            intruder = socketio.test_client(
                app, namespace="/admin", auth={"username": "admin", "password": "guess"}
            )
            assert not intruder.is_connected("/admin")
    finally:
        socketio.admin.shutdown()


def test_a_login_token_stands_for_the_password() -> None:
    app, socketio = admin_app(auth={"username": "admin", "password": "changeit"})
    try:
        admin = socketio.test_client(app, namespace="/admin", auth=CREDENTIALS)
        (token,) = received(admin, "session")[0]
        again = socketio.test_client(app, namespace="/admin", auth={"sessionId": token})
        assert again.is_connected("/admin") and received(again, "session") == []
        forged = socketio.test_client(app, namespace="/admin", auth={"sessionId": token + "0"})
        assert not forged.is_connected("/admin")
    finally:
        socketio.admin.shutdown()


def test_read_only_and_production_announce_fewer_features() -> None:
    app, socketio = admin_app(auth=False, read_only=True, mode="production")
    try:
        admin = socketio.test_client(app, namespace="/admin")
        assert received(admin, "config")[0] == [{"supportedFeatures": ["AGGREGATED_EVENTS"]}]
        assert received(admin, "all_sockets") == []  # production: no socket list
        assert "join" not in socketio.server.handlers["/admin"]  # read only: no operations
    finally:
        socketio.admin.shutdown()


def test_auth_is_required() -> None:
    with pytest.raises(ValueError, match="needs auth"):
        admin_app()
    with pytest.raises(ValueError, match="non-empty password"):
        admin_app(auth={"username": "admin", "password": ""})


def test_python_socketios_instrument_call_works() -> None:
    app = flask.Flask(__name__)
    socketio = SocketIO(app, async_mode="threading")
    admin = socketio.server.instrument(auth={"username": "admin", "password": "changeit"},
                                       mode="production", read_only=False, server_id="me",
                                       namespace="/ops", server_stats_interval=5)
    try:
        assert (admin.namespace, admin.server_id, admin.mode) == ("/ops", "me", "production")
        client = socketio.test_client(app, namespace="/ops", auth=CREDENTIALS)
        assert client.is_connected("/ops")
    finally:
        admin.shutdown()


# -- live, in each async mode ---------------------------------------------------------------


@pytest.fixture(scope="module", params=["threading", "eventlet", "gevent"])
def live(request, module_server_factory):
    from tests.conftest import _MODE_PACKAGES

    package = _MODE_PACKAGES.get(request.param)
    if package:
        pytest.importorskip(package)
    return module_server_factory(APP, request.param)


def mine(sid):
    return lambda serialized, *rest: serialized["id"] == sid


def test_the_admin_sees_sockets_rooms_and_events_as_they_happen(live) -> None:
    admin = AdminClient(live.url)
    user = client(live.url)
    try:
        sid = user.get_sid()
        args = admin.wait_for("socket_connected", mine(sid))
        serialized, when = args
        assert serialized["nsp"] == "/" and serialized["transport"] == "websocket"
        assert serialized["handshake"]["address"] == "127.0.0.1"
        assert serialized["rooms"] == [sid] and when.endswith("Z")
        assert user.call("join", "lobby", timeout=5) == sorted([sid, "lobby"])
        admin.wait_for("event_received", lambda nsp, who, args, when: args == ["join", "lobby"])
        admin.wait_for("room_joined", lambda nsp, room, who, when: (room, who) == ("lobby", sid))
        assert user.call("shout", {"room": "lobby", "text": "hi"}, timeout=5) == "sent"
        admin.wait_for(
            "event_sent", lambda nsp, who, args, when: (who, args) == (sid, ["news", "hi"])
        )
        stats = admin.wait_for("server_stats", lambda s: s["clientsCount"] == 2)[0]
        assert {"name": "/", "socketsCount": 1} in stats["namespaces"]
        assert {"name": "/admin", "socketsCount": 1} in stats["namespaces"]
        kinds = set()
        for _ in range(20):
            stats = admin.wait_for("server_stats", lambda s: s["aggregatedEvents"], timeout=5)[0]
            kinds |= {event["type"] for event in stats["aggregatedEvents"]}
            admin.seen.clear()
            if {"packetsIn", "packetsOut", "bytesIn", "bytesOut", "rawConnection"} <= kinds:
                break
        assert {"packetsIn", "packetsOut", "bytesIn", "bytesOut", "rawConnection"} <= kinds
        user.disconnect()
        admin.wait_for("socket_disconnected", lambda nsp, who, reason, when: who == sid)
    finally:
        user.disconnect()
        admin.close()


def test_a_polling_client_shows_its_upgrade(live) -> None:
    """As socket.io-client does: join "/" over polling, then upgrade (on the
    wire by hand: python-socketio upgrades before it joins)."""
    admin = AdminClient(live.url)
    polling = f"{live.url}/socket.io/?EIO=4&transport=polling"
    http = requests.Session()
    eio_sid = json.loads(http.get(polling, timeout=5).text[1:])["sid"]
    polling += f"&sid={eio_sid}"
    assert http.post(polling, data="40", timeout=5).text == "ok"
    sid = json.loads(http.get(polling, timeout=5).text[2:])["sid"]
    ws = None
    try:
        admin.wait_for("socket_connected", lambda s, when: (s["id"], s["transport"]) == (
            sid, "polling"))
        ws = websocket.create_connection(
            polling.replace("http", "ws", 1).replace("polling", "websocket"), timeout=5)
        ws.send("2probe")
        assert ws.recv() == "3probe"
        ws.send("5")
        admin.wait_for("socket_updated", lambda update: update == {
            "id": sid, "nsp": "/", "transport": "websocket"})
    finally:
        if ws is not None:
            ws.close()
        admin.close()


def move_then_disconnect(admin: AdminClient, user, room: str) -> None:
    """What the UI's socket page does: join a room, leave it, disconnect."""
    gone = []
    user.on("disconnect", lambda *args: gone.append(True))
    sid = user.get_sid()
    for op, reported in (("join", "room_joined"), ("leave", "room_left")):
        admin.emit(op, "/", room, sid)
        admin.wait_for(reported, lambda nsp, name, who, when: (name, who) == (room, sid))
    admin.emit("_disconnect", "/", False, sid)
    admin.wait_for("socket_disconnected", lambda nsp, who, reason, when: who == sid)
    wait_until(lambda: bool(gone), what=f"{sid} disconnected")


def test_the_admin_moves_and_disconnects_sockets(live) -> None:
    admin = AdminClient(live.url)
    user = client(live.url)
    try:
        admin.wait_for("socket_connected", mine(user.get_sid()))
        move_then_disconnect(admin, user, "team")
    finally:
        user.disconnect()
        admin.close()


def test_a_wrong_password_is_refused(live) -> None:
    with pytest.raises(socketio_client.exceptions.ConnectionError):
        AdminClient(live.url, auth={"username": "admin", "password": "guess"})


# -- a cluster (tests/operations/conftest.py) ----------------------------------------------


def test_every_server_of_a_cluster_appears_with_its_sockets(cluster) -> None:
    one, two = cluster
    here, there = client(one.url), client(two.url)  # before the admin: all_sockets + fetch
    admin = AdminClient(one.url)
    try:
        far = there.get_sid()
        (sockets,) = admin.wait_for("all_sockets")
        assert here.get_sid() in {s["id"] for s in sockets}
        admin.wait_for("socket_connected", mine(far))  # server-2's, fetched through Redis
        for name in ("server-1", "server-2"):
            admin.wait_for("server_stats", lambda s, name=name: s["serverId"] == name)
        later = client(two.url)  # live events of the other process
        try:
            admin.wait_for("socket_connected", mine(later.get_sid()))
        finally:
            later.disconnect()
        # the UI's operations reach the sockets of the other process
        move_then_disconnect(admin, there, "far-room")
    finally:
        here.disconnect()
        there.disconnect()
        admin.close()
