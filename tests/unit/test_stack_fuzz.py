"""Arbitrary Engine.IO input through the whole stack (engine -> Socket.IO
server -> Flask handlers), not only each codec: arbitrary POST bodies through
`engine.Server.handle_request`, and arbitrary websocket messages through a
session's reader, into an app whose handlers answer, emit, join, refuse,
disconnect and raise. Nothing but the documented answers come out (HTTP 200,
400, 403, 413), nothing raises out of the request or the reader, and another
client is never harmed."""

from __future__ import annotations

import io
from typing import Any

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flask_socketio import SocketIO, disconnect, emit, join_room, leave_room
from flask_socketio.engine.session import Session
from flask_socketio.wire import engineio as eio

STATUSES = {"200", "400", "403", "413"}


def make_app(async_handlers: bool) -> tuple[Flask, SocketIO]:
    app = Flask(__name__)
    socketio = SocketIO(app, async_mode="threading", async_handlers=async_handlers,
                        max_http_buffer_size=10_000)

    @socketio.on("connect")
    def connect(auth: Any = None) -> Any:
        if isinstance(auth, dict) and auth.get("refuse"):
            return False
        if isinstance(auth, dict) and auth.get("raise"):
            raise ValueError("refused by raising")
        return None

    @socketio.on("connect", namespace="/chat")
    def connect_chat(auth: Any = None) -> None:
        emit("welcome", auth)

    @socketio.on("echo")
    def echo(*args: Any) -> Any:
        return args

    @socketio.on("emit")
    def emit_back(*args: Any) -> None:
        emit("reply", *args)
        emit("all", broadcast=True)

    @socketio.on("join")
    def join(room: Any = "r") -> None:
        join_room(str(room))
        emit("in", to=str(room))

    @socketio.on("leave")
    def leave(room: Any = "r") -> None:
        leave_room(str(room))

    @socketio.on("bye")
    def bye(*args: Any) -> None:
        disconnect()

    @socketio.on("boom")
    def boom(*args: Any) -> None:
        raise RuntimeError("a handler that fails")

    return app, socketio


def call(app: Flask, method: str, query: str, body: bytes = b"") -> tuple[str, bytes]:
    answer: dict[str, str] = {}
    environ = {
        "REQUEST_METHOD": method,
        "QUERY_STRING": query,
        "PATH_INFO": "/socket.io/",
        "REMOTE_ADDR": "127.0.0.1",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "wsgi.url_scheme": "http",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
    }
    data = b"".join(app.wsgi_app(environ, lambda status, headers: answer.update(s=status)))
    return answer["s"].split()[0], data


def connected_sid(app: Flask, version: int) -> str:
    status, body = call(app, "GET", f"EIO={version}&transport=polling")
    assert status == "200", body
    sid = body.split(b'"sid":"')[1].split(b'"')[0].decode()
    call(app, "POST", f"EIO={version}&transport=polling&sid={sid}",
         b"40" if version == 4 else b"2:40")
    return sid


socketio_texts = st.sampled_from([
    "0", "0/chat,", '0{"refuse":true}', '0{"raise":1}', "0/nope,", "0/chat",
    '2["echo",1,"x"]', '21["echo"]', '2["emit",{"a":[1]}]', '2["join","room"]',
    '2["leave","room"]', '2["bye"]', '2["boom"]', '23["boom"]', '2/chat,["echo"]',
    '2["echo",{"_placeholder":true,"num":0}]', '51-["echo",{"_placeholder":true,"num":0}]',
    '52-["emit",{"_placeholder":true,"num":1}]', "3", "31[]", "1", "1/chat,", "4{}",
    "", "2", "2[]", '2{"a":1}', "9", '2abc["echo"]', "6", '2["echo"', "0/chat,{",
]) | st.text(max_size=30)
socketio_messages = st.builds(lambda t: eio.Packet(eio.MESSAGE, t), socketio_texts)
engine_packets = st.one_of(
    socketio_messages,
    socketio_messages,
    socketio_messages,
    st.builds(lambda b: eio.Packet(eio.MESSAGE, b), st.binary(max_size=20)),
    st.builds(eio.Packet, st.integers(min_value=0, max_value=6),
              st.none() | st.text(max_size=10)),
)


handler_calls = st.sampled_from([
    '2["echo",1,"x"]', '21["echo"]', '2["emit",{"a":[1]}]', '2["join","room"]',
    '2["leave","room"]', '2["bye"]', '2["boom"]', '23["boom"]', '2/chat,["echo"]', "0/chat,",
]).map(lambda text: eio.Packet(eio.MESSAGE, text))


def bodies(version: int) -> st.SearchStrategy[bytes]:
    def encode(packets: list[eio.Packet]) -> bytes:
        return eio.encode_payload(packets, version, version == 3)[0]

    # Mostly what reaches the handlers, then anything.
    valid = st.lists(handler_calls, min_size=1, max_size=4)
    mixed = st.tuples(valid, st.lists(engine_packets, max_size=4)).map(lambda t: t[0] + t[1])
    return st.one_of(valid.map(encode), mixed.map(encode), st.binary(max_size=200))


@pytest.fixture(scope="module", params=[False, True], ids=["inline", "async"])
def stack(request: pytest.FixtureRequest) -> tuple[Flask, SocketIO]:
    return make_app(request.param)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(version=st.sampled_from([3, 4]), data=st.data())
def test_arbitrary_post_bodies_get_documented_answers_only(stack, version, data) -> None:
    app, socketio = stack
    bystander = connected_sid(app, 4)
    sid = connected_sid(app, version)
    query = f"EIO={version}&transport=polling&sid={sid}&b64=1"
    engine = socketio.server.eio
    for body in data.draw(st.lists(bodies(version), min_size=1, max_size=4)):
        status, _ = call(app, "POST", query, body)
        assert status in STATUSES
        session = engine.sessions.get(sid)
        if session is not None and (session.queue or session.closed):
            # A GET with nothing queued waits for the next ping: not here.
            assert call(app, "GET", query)[0] in STATUSES
    assert bystander in engine.sessions
    for session_id in (sid, bystander):
        session = engine.sessions.get(session_id)
        if session is not None:
            session.close()


class ScriptedWebSocket:
    """A websocket that hands the reader `messages`, then the client's close."""

    def __init__(self, messages: list[str | bytes]) -> None:
        self.messages = list(messages)
        self.written = 0

    def receive(self, timeout: float | None = None) -> str | bytes | None:
        return self.messages.pop(0) if self.messages else None

    def try_write(self, data: bytes) -> int:
        self.written += len(data)
        return len(data)

    def send_frames(self, frames: list[bytes]) -> None:
        pass

    def close(self, code: int = 1000, wait: bool = True) -> None:
        pass


def message_frames(version: int) -> st.SearchStrategy[str | bytes]:
    return st.one_of(
        handler_calls.map(lambda p: p.frame(version, False)),
        engine_packets.map(lambda p: p.frame(version, False)),
        st.text(max_size=30),
        st.binary(max_size=30),
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(version=st.sampled_from([3, 4]), data=st.data())
def test_arbitrary_websocket_messages_through_the_reader_raise_nothing(
    stack, version, data
) -> None:
    app, socketio = stack
    engine = socketio.server.eio
    bystander = connected_sid(app, 4)
    frames: list[Any] = [("40" if version == 4 else "")]
    frames += data.draw(st.lists(message_frames(version), max_size=8))
    session = Session(engine.new_sid(), version, engine.config, engine.driver, engine.forget,
                      "websocket")
    assert engine.add_session(session, {"QUERY_STRING": "", "REMOTE_ADDR": "127.0.0.1",
                                        "flask.app": app})
    session.attach_websocket(ScriptedWebSocket(frames), False)  # type: ignore[arg-type]
    session.read_websocket()  # returns once the scripted client is gone
    assert session.closed
    assert bystander in engine.sessions
    engine.sessions[bystander].close()
