"""The observer seam: what the engine, the server and the relay tell an
observer (the admin UI and the metrics build on it), with no network: the
engine through polling requests in process, the server through the test
client, the relay on the bus in memory of test_managers."""

from __future__ import annotations

import json
import queue
from typing import Any

import flask
import pytest
from werkzeug.test import Client

from flask_socketio import SocketIO, join_room, leave_room
from flask_socketio.drivers import load_driver
from flask_socketio.managers import Target
from flask_socketio.server import Server, WSGIApp
from flask_socketio.server.observer import Observer, Observers, combine
from flask_socketio.wire import engineio as eio
from tests.unit.test_managers import Bus, BusManager, Peer


class Recorder(Observer):
    """Records every hook as (name, details)."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []

    def session_opened(self, session, environ):
        self.calls.append(("session_opened", session.transport))

    def session_upgraded(self, session):
        self.calls.append(("session_upgraded",))

    def session_closed(self, session, reason):
        self.calls.append(("session_closed", reason))

    def packets_received(self, session, count, size):
        self.calls.append(("packets_received", count, size))

    def packets_sent(self, session, count, size):
        self.calls.append(("packets_sent", count, size))

    def connected(self, conn, namespace, sid):
        self.calls.append(("connected", namespace))

    def disconnected(self, conn, namespace, sid, reason):
        self.calls.append(("disconnected", namespace, reason))

    def handle_event(self, conn, namespace, sid, event, args, call):
        self.calls.append(("event", namespace, event, list(args)))
        return call()

    def emitted(self, target, event, args, members):
        self.calls.append(("emitted", target.namespace, target.rooms, event, len(members)))

    def room_joined(self, namespace, room, sid):
        self.calls.append(("room_joined", room))

    def room_left(self, namespace, room, sid):
        self.calls.append(("room_left", room))

    def room_closing(self, namespace, room):
        self.calls.append(("room_closing", room))

    def named(self, name: str) -> list[tuple[Any, ...]]:
        return [call for call in self.calls if call[0] == name]


def test_nobody_observes_by_default() -> None:
    sio = Server(async_mode="threading")
    assert sio.observer is None and sio.eio.observer is None


def test_the_server_reports_connections_events_emits_and_rooms() -> None:
    app = flask.Flask(__name__)
    socketio = SocketIO(app, async_mode="threading")
    recorder = Recorder()
    socketio.server.observe(recorder)

    @socketio.on("join")
    def join(room):
        join_room(room)
        socketio.emit("news", "hi", to=room)
        leave_room(room)
        socketio.close_room(room)
        return "ok"

    client = socketio.test_client(app)
    assert client.emit("join", "lobby", callback=True) == "ok"
    client.disconnect()
    names = [call[0] for call in recorder.calls]
    assert names == [
        "session_opened",
        "connected",
        "event",
        "room_joined",
        "emitted",
        "room_left",
        "room_closing",
        "disconnected",
    ]
    assert recorder.named("event") == [("event", "/", "join", ["lobby"])]
    assert recorder.named("emitted") == [("emitted", "/", ("lobby",), "news", 1)]
    assert recorder.named("disconnected") == [("disconnected", "/", "client disconnect")]


def test_observers_are_told_in_turn_and_each_wraps_the_handler() -> None:
    order: list[str] = []

    class Wrapping(Observer):
        def __init__(self, name: str) -> None:
            self.name = name

        def handle_event(self, conn, namespace, sid, event, args, call):
            order.append(f"{self.name} in")
            result = call()
            order.append(f"{self.name} out")
            return result

    first, second = Wrapping("first"), Wrapping("second")
    both = combine(combine(None, first), second)
    assert isinstance(both, Observers) and both.observers == (first, second)
    result = both.handle_event(None, "/", "s", "e", [], lambda: order.append("handler") or 42)
    assert result == 42
    assert order == ["first in", "second in", "handler", "second out", "first out"]


def _post(client: Client, sid: str, packets: list[eio.Packet]) -> None:
    body, _ = eio.encode_payload(packets, 4, False, None)
    response = client.post(f"/socket.io/?EIO=4&transport=polling&sid={sid}", data=body)
    assert response.status_code == 200


def test_the_engine_reports_sessions_and_packets_of_polling() -> None:
    sio = Server(async_mode="threading")
    recorder = Recorder()
    sio.observe(recorder)
    client = Client(WSGIApp(sio))
    opened = client.get("/socket.io/?EIO=4&transport=polling")
    sid = json.loads(eio.decode_payload(opened.data, 4, False)[0].data)["sid"]
    _post(client, sid, [eio.Packet(eio.MESSAGE, "0")])  # join "/": 40 on the wire
    got = client.get(f"/socket.io/?EIO=4&transport=polling&sid={sid}")
    assert b"40{" in got.data
    _post(client, sid, [eio.Packet(eio.CLOSE)])
    assert recorder.calls[0] == ("session_opened", "polling")
    assert recorder.named("packets_received")[0] == ("packets_received", 1, 2)
    assert recorder.named("packets_sent")[0] == ("packets_sent", 1, len(got.data))
    assert ("session_closed", "client disconnect") in recorder.calls


def test_an_observer_added_late_sees_the_open_sessions() -> None:
    sio = Server(async_mode="threading")
    client = Client(WSGIApp(sio))
    client.get("/socket.io/?EIO=4&transport=polling")
    recorder = Recorder()
    sio.observe(recorder)
    assert all(session.observer is recorder for session in sio.eio.sessions.values())


# -- the relay ---------------------------------------------------------------------------


class RelayRecorder:
    def __init__(self) -> None:
        self.calls: queue.Queue[tuple[Any, ...]] = queue.Queue()

    def relay_published(self, method, size):
        self.calls.put(("published", method))

    def relay_received(self, method, size):
        self.calls.put(("received", method))

    def relay_failed(self, direction):
        self.calls.put(("failed", direction))

    def relay_connection(self, connected):
        self.calls.put(("connection", connected))


@pytest.fixture
def pair():
    bus = Bus()
    driver = load_driver("threading")
    a, b = BusManager(bus), BusManager(bus)
    a.attach(Peer(), driver)
    b.attach(Peer(), driver)
    yield a, b
    for inbox in bus.subscribers:
        inbox.put(None)


def test_components_exchange_their_own_relay_messages(pair) -> None:
    a, b = pair
    got: queue.Queue[dict[str, Any]] = queue.Queue()
    b.on_relay("test:hello", got.put)
    a.on_relay("test:hello", lambda message: pytest.fail("a process hears its own message"))
    a.relay("test:hello", text="hi")
    message = got.get(timeout=5)
    assert message["text"] == "hi" and message["host_id"] == a.host_id
    with pytest.raises(ValueError, match="taken"):
        b.on_relay("emit", got.put)


def test_the_relay_reports_messages_failures_and_its_connection(pair, caplog) -> None:
    a, b = pair
    recorder = RelayRecorder()
    a.observer = b.observer = recorder
    a.relay_emit(Target.of("/"), "news", [])
    assert recorder.calls.get(timeout=5) == ("published", "emit")
    assert recorder.calls.get(timeout=5) == ("received", "emit")
    b.bus.publish(b"not json")  # both listeners get it
    assert recorder.calls.get(timeout=5) == ("failed", "receive")
    assert recorder.calls.get(timeout=5) == ("failed", "receive")

    def broken(data: bytes) -> None:
        raise ConnectionError("broker gone")

    a._publish = broken  # type: ignore[method-assign]
    a.relay_disconnect("sid", "/")  # never raises for the broker: the outbox retries
    assert recorder.calls.get(timeout=5) == ("failed", "publish")
    assert not a.connected
    a._set_connected(True)
    assert a.connected and recorder.calls.get(timeout=5) == ("connection", True)
