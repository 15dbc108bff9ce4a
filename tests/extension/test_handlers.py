"""Handler registration and dispatch, through the test client."""

from __future__ import annotations

import pytest
from flask import Flask, request

from flask_socketio import ConnectionRefusedError, Namespace, SocketIO, emit


@pytest.fixture
def socketio(app: Flask) -> SocketIO:
    return SocketIO(app, async_mode="threading")


def test_on_event_and_on_event_registration(app: Flask, socketio: SocketIO) -> None:
    @socketio.on("a")
    @socketio.on("b", namespace="/chat")  # stackable: `on` returns the function
    def both(data):
        return [request.event["message"], request.namespace, data]

    @socketio.event
    def bare(data):
        return "bare " + data

    @socketio.event(namespace="/chat")
    def named(data):
        return "named " + data

    def plain(data):
        return "plain " + data

    socketio.on_event("plain event", plain, namespace="/chat")

    client = socketio.test_client(app)
    client.connect("/chat")
    assert client.emit("a", 1, callback=True) == ["a", "/", 1]
    assert client.emit("b", 2, callback=True, namespace="/chat") == ["b", "/chat", 2]
    assert client.emit("bare", "x", callback=True) == "bare x"
    assert client.emit("named", "y", callback=True, namespace="/chat") == "named y"
    assert client.emit("plain event", "z", callback=True, namespace="/chat") == "plain z"
    assert both.__name__ == "both"


def test_return_values_become_acks(app: Flask, socketio: SocketIO) -> None:
    @socketio.on("none")
    def none(*args):
        return None

    @socketio.on("tuple")
    def several():
        return "one", 2

    @socketio.on("bytes")
    def binary(data):
        return data + b"!"

    client = socketio.test_client(app)
    assert client.emit("none", callback=True) == []
    assert client.emit("tuple", callback=True) == ["one", 2]
    assert client.emit("bytes", b"\x00\x01", callback=True) == b"\x00\x01!"
    # No handler at all: no ack, as with Flask-SocketIO.
    assert client.emit("unknown", callback=True) is None


def test_multiple_arguments(app: Flask, socketio: SocketIO) -> None:
    @socketio.on("my event")
    def handle(arg1, arg2, arg3):
        return arg1 + arg2 + arg3

    client = socketio.test_client(app)
    assert client.emit("my event", "a", "b", "c", callback=True) == "abc"


def test_catch_all_event_and_namespace(app: Flask, socketio: SocketIO) -> None:
    @socketio.on("*")
    def any_event(event, *args):
        return ["any", event, list(args), request.namespace]

    @socketio.on("known")
    def known():
        return "known"

    @socketio.on("ping", namespace="*")
    def ping_anywhere(data):
        return ["ping", request.namespace, data]

    @socketio.on("*", namespace="*")
    def anything(event, *args):
        return ["anything", event, request.namespace, list(args)]

    @socketio.on("connect", namespace="*")
    def connect_anywhere():
        emit("hello", request.namespace)

    client = socketio.test_client(app)
    assert client.emit("known", callback=True) == "known"
    assert client.emit("other", 1, 2, callback=True) == ["any", "other", [1, 2], "/"]
    client.connect("/x")
    assert client.get_received("/x") == [{"name": "hello", "args": ["/x"], "namespace": "/x"}]
    assert client.emit("ping", 3, callback=True, namespace="/x") == ["ping", "/x", 3]
    assert client.emit("zzz", 4, callback=True, namespace="/x") == ["anything", "zzz", "/x", [4]]


def test_connect_with_and_without_auth(app: Flask, socketio: SocketIO) -> None:
    @socketio.on("connect")
    def connect(auth):
        if not auth or auth.get("token") != "ok":
            return False
        emit("welcome", auth["token"])

    @socketio.on("connect", namespace="/open")
    def connect_open():
        emit("welcome", "open")

    refused = socketio.test_client(app)
    assert not refused.is_connected()
    client = socketio.test_client(app, auth={"token": "ok"})
    assert client.is_connected()
    assert client.get_received() == [{"name": "welcome", "args": ["ok"], "namespace": "/"}]
    client.connect("/open")
    assert client.get_received("/open")[0]["args"] == ["open"]


def test_connection_refused_error(app: Flask, socketio: SocketIO) -> None:
    @socketio.on("connect", namespace="/private")
    def connect():
        raise ConnectionRefusedError("unauthorized!")

    client = socketio.test_client(app, namespace="/private")
    assert not client.is_connected("/private")
    with pytest.raises(RuntimeError):
        client.emit("x", namespace="/private")


def test_disconnect_handlers_with_and_without_reason(app: Flask, socketio: SocketIO) -> None:
    seen = []

    @socketio.on("disconnect")
    def disconnect_reason(reason):
        seen.append(("/", reason, request.sid))

    @socketio.on("disconnect", namespace="/chat")
    def disconnect_plain():
        seen.append(("/chat", request.namespace))

    @socketio.on("kick", namespace="/chat")
    def kick():
        from flask_socketio import disconnect

        disconnect()

    client = socketio.test_client(app)
    client.connect("/chat")
    client.emit("kick", namespace="/chat")
    assert not client.is_connected("/chat")
    client.disconnect()
    assert seen[0] == ("/chat", "/chat")
    assert seen[1][:2] == ("/", SocketIO.reason.CLIENT_DISCONNECT)
    with pytest.raises(RuntimeError):
        client.disconnect()


def test_error_handlers(app: Flask, socketio: SocketIO) -> None:
    @socketio.on_error()
    def error_root(e):
        return ["root", type(e).__name__, request.event["message"], list(request.event["args"])]

    @socketio.on_error("/chat")
    def error_chat(e):
        return ["chat", str(e)]

    @socketio.on_error_default
    def error_default(e):
        return ["default", request.namespace]

    @socketio.on("fail")
    @socketio.on("fail", namespace="/chat")
    @socketio.on("fail", namespace="/other")
    def fail(data):
        raise ValueError(data)

    client = socketio.test_client(app)
    client.connect("/chat")
    client.connect("/other")
    assert client.emit("fail", 1, callback=True) == ["root", "ValueError", "fail", [1]]
    assert client.emit("fail", "x", callback=True, namespace="/chat") == ["chat", "x"]
    assert client.emit("fail", 2, callback=True, namespace="/other") == ["default", "/other"]
    assert client.is_connected() and client.is_connected("/chat")


def test_error_handlers_must_be_callable(socketio: SocketIO) -> None:
    with pytest.raises(ValueError):
        socketio.on_error_default("not callable")
    with pytest.raises(ValueError):
        socketio.on_error("/x")("not callable")


def test_unhandled_error_reaches_the_test_client(app: Flask, socketio: SocketIO) -> None:
    # As with Flask-SocketIO's test client, the exception surfaces in the test.
    @socketio.on("fail")
    def fail():
        raise KeyError("boom")

    client = socketio.test_client(app)
    with pytest.raises(KeyError):
        client.emit("fail")
    assert client.is_connected()


class Chat(Namespace):
    def __init__(self, namespace: str) -> None:
        super().__init__(namespace)
        self.disconnects: list[str] = []

    def on_connect(self, auth=None):
        self.emit("connected", auth, to=request.sid)

    def on_disconnect(self, reason):
        self.disconnects.append(reason)

    def on_my_event(self, data):
        emit("my_response", data)
        return request.namespace

    def on_room(self, room):
        self.enter_room(request.sid, room)
        self.emit("in room", room, room=room)
        self.send("message in room", room=room)
        return sorted(self.rooms(request.sid))

    def on_close(self, room):
        self.close_room(room)
        return sorted(self.rooms(request.sid))

    def on_both(self):
        return "class-based"

    def on_fail(self):
        raise RuntimeError("class failure")

    def on_bye(self):
        self.disconnect(request.sid)

    def error(self, exc):
        return "error: " + str(exc)


def test_class_based_namespace(app: Flask, socketio: SocketIO) -> None:
    chat = Chat("/chat")
    socketio.on_namespace(chat)

    @socketio.on("both", namespace="/chat")
    def both():
        return "decorated"

    client = socketio.test_client(app, namespace="/chat", auth={"k": "v"})
    assert client.get_received("/chat") == [
        {"name": "connected", "args": [{"k": "v"}], "namespace": "/chat"}
    ]
    assert client.emit("my_event", {"a": 1}, callback=True, namespace="/chat") == "/chat"
    assert client.get_received("/chat") == [
        {"name": "my_response", "args": [{"a": 1}], "namespace": "/chat"}
    ]
    rooms = client.emit("room", "r1", callback=True, namespace="/chat")
    assert "r1" in rooms and len(rooms) == 2
    assert [m["name"] for m in client.get_received("/chat")] == ["in room", "message"]
    assert client.emit("close", "r1", callback=True, namespace="/chat") == [
        r for r in rooms if r != "r1"
    ]
    # A decorator handler and a method for the same event: only the decorator runs.
    assert client.emit("both", callback=True, namespace="/chat") == "decorated"
    assert client.emit("fail", callback=True, namespace="/chat") == "error: class failure"
    # An event without a method is ignored (acked empty, as python-socketio does).
    assert client.emit("nothing", callback=True, namespace="/chat") == []
    client.emit("bye", namespace="/chat")
    assert not client.is_connected("/chat")
    assert chat.disconnects == [SocketIO.reason.SERVER_DISCONNECT]


def test_class_based_namespace_registered_before_init_app(app: Flask) -> None:
    socketio = SocketIO(async_mode="threading")

    class Early(Namespace):
        def on_ping(self):
            return "pong"

    socketio.on_namespace(Early("/early"))
    socketio.init_app(app)
    client = socketio.test_client(app, namespace="/early")
    assert client.emit("ping", callback=True, namespace="/early") == "pong"
    with pytest.raises(ValueError):
        socketio.on_namespace(object())


def test_trigger_event_override(app: Flask, socketio: SocketIO) -> None:
    class CatchAll(Namespace):
        def trigger_event(self, event, sid, *args):
            if event in ("connect", "disconnect"):
                return super().trigger_event(event, sid, *args)
            return super().trigger_event("any", sid, event, *args)

        def on_any(self, event, *args):
            return [event, *args]

    socketio.on_namespace(CatchAll("/all"))
    client = socketio.test_client(app, namespace="/all")
    assert client.emit("whatever", 1, callback=True, namespace="/all") == ["whatever", 1]


def test_catch_all_class_namespace(app: Flask, socketio: SocketIO) -> None:
    class Anywhere(Namespace):
        def on_where(self):
            return request.namespace

    socketio.on_namespace(Anywhere("*"))
    client = socketio.test_client(app, namespace="/somewhere")
    assert client.emit("where", callback=True, namespace="/somewhere") == "/somewhere"
