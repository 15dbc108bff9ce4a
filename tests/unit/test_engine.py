"""The engine without sockets: its protocol state machine, its configuration,
its HTTP helpers, and the seam between a session and the Socket.IO server."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flask_socketio.engine import http
from flask_socketio.engine.config import EngineConfig
from flask_socketio.engine.session import Session
from flask_socketio.engine.state import (
    CLOSED,
    CONNECT_TIMEOUT,
    FAIL,
    PING,
    PING_TIMEOUT,
    POLLING,
    REPLY_PROBE,
    SWITCH,
    UPGRADING,
    WAIT,
    WEBSOCKET,
    SessionState,
    Upgrade,
)
from flask_socketio.server import Server
from flask_socketio.wire import engineio as eio

CONFIG = EngineConfig.build(ping_interval=10, ping_timeout=5, connect_timeout=30)


# -- SessionState ------------------------------------------------------------------


def test_v4_heartbeat_pings_every_interval_after_the_last_pong() -> None:
    state = SessionState(CONFIG, 4, now=100.0)
    assert state.due(109.9) is None and state.next_deadline() == 110.0
    assert state.due(110.0) == PING
    state.ping_sent(110.0)
    assert state.due(114.0) is None and state.next_deadline() == 115.0
    state.pong(113.0)
    assert state.due(115.1) is None and state.next_deadline() == 123.0
    assert state.due(123.0) == PING
    state.ping_sent(123.0)
    assert state.due(128.1) == PING_TIMEOUT


def test_the_grace_of_a_ping_interval_tuple_delays_the_timeout() -> None:
    state = SessionState(EngineConfig.build(ping_interval=(10, 3), ping_timeout=5), 4, now=0.0)
    state.joined(True)
    state.ping_sent(10.0)
    assert state.due(17.9) is None and state.due(18.1) == PING_TIMEOUT


def test_v3_clients_ping_and_anything_they_send_keeps_them_alive() -> None:
    state = SessionState(CONFIG, 3, now=0.0)
    state.joined(True)
    assert state.due(14.9) is None  # the server never pings a v3 client
    state.heard(10.0)
    assert state.due(24.9) is None and state.due(25.1) == PING_TIMEOUT


def test_connect_deadline_stops_when_joined_and_comes_back_when_refused() -> None:
    state = SessionState(CONFIG, 4, now=0.0)
    state.pong(25.0)
    assert state.due(30.1) == CONNECT_TIMEOUT
    state.joined(True)
    assert state.due(30.1) is None
    state.joined(False)  # refused everywhere: counted from the handshake still
    assert state.due(30.1) == CONNECT_TIMEOUT and state.next_deadline() == 30.0


def test_upgrade_phases() -> None:
    state = SessionState(CONFIG, 4, now=0.0)
    assert (state.phase, state.transport) == (POLLING, "polling")
    assert state.begin_upgrade() and state.phase == UPGRADING
    assert not state.begin_upgrade()  # one upgrade at a time
    assert state.transport == "polling"  # until it completes
    state.abort_upgrade()
    assert state.phase == POLLING and state.begin_upgrade()
    assert state.finish_upgrade(1.0) and (state.phase, state.transport) == (WEBSOCKET, WEBSOCKET)
    assert not state.begin_upgrade() and not state.finish_upgrade(2.0)


def test_close_happens_once_and_ends_everything() -> None:
    state = SessionState(CONFIG, 4, now=0.0, phase=WEBSOCKET)
    assert state.close() and not state.close()
    assert state.closed and state.phase == CLOSED
    assert state.due(1e9) is None and not state.begin_upgrade()


def test_a_v3_upgrade_restarts_the_ping_deadline() -> None:
    state = SessionState(CONFIG, 3, now=0.0)
    state.joined(True)
    state.begin_upgrade()
    state.finish_upgrade(12.0)
    assert state.due(26.0) is None and state.due(27.1) == PING_TIMEOUT


def test_upgrade_dialogue() -> None:
    upgrade = Upgrade()
    assert upgrade.receive("2probe") == REPLY_PROBE
    assert upgrade.receive("2probe") == WAIT
    assert upgrade.receive("5") == SWITCH
    for first in ("5", "4hello", b"2probe", None, "3probe"):
        assert Upgrade().receive(first) == FAIL
    probed = Upgrade()
    probed.receive("2probe")
    assert probed.receive("4hello") == FAIL


# -- EngineConfig ------------------------------------------------------------------


def test_config_parses_and_checks_options() -> None:
    config = EngineConfig.build(ping_interval=(25, 5), transports=["websocket"], ping_timeout="7")
    assert (config.ping_interval, config.ping_grace, config.ping_timeout) == (25.0, 5.0, 7.0)
    assert config.transports == ("websocket",)
    changed = EngineConfig.build(config, ping_interval=3)
    assert (changed.ping_interval, changed.ping_grace, changed.transports) == (
        3.0,
        0.0,
        ("websocket",),
    )
    with pytest.raises(ValueError, match="unknown transports"):
        EngineConfig.build(transports=["bogus"])
    with pytest.raises(ValueError, match="ping_timeout must be positive"):
        EngineConfig.build(ping_timeout=0)
    with pytest.raises(TypeError, match="ping_intervall"):
        EngineConfig.build(ping_intervall=3)


# -- HTTP helpers ------------------------------------------------------------------


def test_cors_same_origin_listed_callable_and_refused() -> None:
    environ = {"HTTP_ORIGIN": "http://app.example", "HTTP_HOST": "app.example"}
    assert http.cors_headers(environ, None, True) is not None  # same origin
    other = {"HTTP_ORIGIN": "http://evil.example", "HTTP_HOST": "app.example"}
    assert http.cors_headers(other, None, True) is None
    assert http.cors_headers(other, ["http://evil.example"], False) == [
        ("Access-Control-Allow-Origin", "http://evil.example"),
        ("Vary", "Origin"),
    ]
    assert http.cors_headers(other, lambda origin: origin.endswith(".example"), False)
    assert http.cors_headers(other, [], True) == []  # the check turned off
    assert http.cors_headers({"HTTP_HOST": "a"}, None, True) == []  # no Origin: not CORS
    proxied = {**other, "HTTP_X_FORWARDED_HOST": "evil.example"}
    assert http.cors_headers(proxied, None, True) is not None


def test_cookie_headers() -> None:
    assert http.cookie_headers(None, "abc") == []
    assert http.cookie_headers("io", "abc") == [("Set-Cookie", "io=abc; Path=/; SameSite=Lax")]
    cookie = http.cookie_headers({"name": "sid", "Secure": True, "HttpOnly": False}, "x")
    assert cookie == [("Set-Cookie", "sid=x; Path=/; Secure; SameSite=Lax")]


def test_compression_only_when_accepted_and_worth_it() -> None:
    body = b"x" * 2000
    headers: list[tuple[str, str]] = []
    assert http.compress({"HTTP_ACCEPT_ENCODING": "gzip"}, b"small", headers, 1024) == b"small"
    gzipped = http.compress({"HTTP_ACCEPT_ENCODING": "gzip, deflate"}, body, headers, 1024)
    assert len(gzipped) < 100 and headers == [("Content-Encoding", "gzip")]
    assert http.compress({}, body, [], 1024) == body


def test_error_bodies() -> None:
    seen: list[Any] = []
    body = http.error(lambda status, headers: seen.append((status, headers)), http.BAD_VERSION)
    assert body == [b'{"code":5,"message":"Unsupported protocol version"}']
    assert seen[0][0] == "400 BAD REQUEST"
    assert http.too_large(lambda *a: seen.append(a), [])[0].startswith(b'{"code":3')
    assert seen[1][0] == "413 PAYLOAD TOO LARGE"


# -- the seam between a session and the Socket.IO server ---------------------------


def open_session(server: Server, version: int = 4) -> Session:
    engine = server.eio
    session = Session(engine.new_sid(), version, engine.config, engine.driver, engine.forget)
    assert engine.add_session(session, {"QUERY_STRING": ""})
    return session


@pytest.fixture(scope="module")
def server() -> Server:
    sio = Server(async_mode="threading", async_handlers=False)

    @sio.on("echo")
    def echo(sid: str, *args: Any) -> Any:
        return args

    return sio


def test_an_empty_message_reaches_the_decoder_as_text_and_closes_the_session(
    server, caplog
) -> None:
    session = open_session(server)
    session.receive(eio.Packet(eio.MESSAGE, "0"))
    caplog.set_level(logging.WARNING)
    session.receive(eio.Packet(eio.MESSAGE, None))
    assert session.closed and "malformed Socket.IO packet" in caplog.text
    assert session.sid not in server.eio.sessions


def test_a_bare_engine_echoes_an_empty_message() -> None:
    from flask_socketio.drivers import load_driver
    from flask_socketio.engine import Server as Engine

    engine = Engine(load_driver("threading"))
    session = Session(engine.new_sid(), 4, engine.config, engine.driver, engine.forget)
    assert engine.add_session(session, {"QUERY_STRING": ""})
    session.receive(eio.decode_packet("4", 4))
    assert not session.closed and [p.text(4) for p in session.queue] == ["4"]
    session.close()


packets = st.builds(
    eio.Packet,
    st.integers(min_value=0, max_value=6),
    st.none() | st.text(max_size=40) | st.binary(max_size=40),
)
socketio_texts = st.sampled_from(
    [
        "0",
        "0/chat,",
        '2["echo",1]',
        '21["echo"]',
        "3",
        "31[]",
        "41",
        '51-["x",{"_placeholder":true,"num":0}]',
    ]
)
messages = packets | st.builds(lambda text: eio.Packet(eio.MESSAGE, text), socketio_texts)


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=3, max_value=4), st.lists(messages, max_size=12))
def test_arbitrary_packets_raise_nothing_and_close_at_most_their_session(
    server, version, sequence
) -> None:
    bystander = open_session(server)
    session = open_session(server, version)
    for packet in sequence:
        if session.closed:
            break
        session.receive(packet)
    assert not bystander.closed
    bystander.close()
    session.close()


# -- outgoing bounds and the slow-consumer policy -----------------------------------


def polling_session(**options: Any) -> tuple[Session, list[str]]:
    """A polling session (packets wait in its queue) and the reasons it closed for."""
    from flask_socketio.drivers import load_driver

    config = EngineConfig.build(**options)
    closed: list[str] = []
    session = Session("s", 4, config, load_driver("threading"), lambda s, r: closed.append(r))
    return session, closed


def message(text: str, volatile: int = 0) -> eio.Packet:
    packet = eio.Packet(eio.MESSAGE, text)
    packet.volatile = volatile
    return packet


def test_a_client_over_its_packet_or_byte_bound_is_a_slow_consumer() -> None:
    session, closed = polling_session(max_queue_size=3)
    session.send_many([message("a"), message("b"), message("c")])
    assert not session.closed
    session.send(message("d"))
    assert session.closed and closed == ["slow consumer"]
    session, closed = polling_session(max_queue_bytes=10)
    session.send(message("x" * 8))
    session.send(message("y" * 8))
    assert closed == ["slow consumer"]


def test_volatile_packets_go_first_newest_or_oldest() -> None:
    session, closed = polling_session(max_queue_size=3)
    session.send_many([message("keep"), message("v1", volatile=1), message("v2", volatile=2)])
    session.send(message("v3", volatile=3))  # drop_new: v3 itself goes
    session.send(message("new"))  # then v2, the newest volatile left
    assert [p.data for p in session.queue] == ["keep", "v1", "new"] and session.dropped == 2
    session, _ = polling_session(max_queue_size=3, volatile_overflow="drop_oldest")
    session.send_many([message("v1", volatile=1), message("v2", volatile=2), message("x")])
    session.send(message("y"))
    assert [p.data for p in session.queue] == ["v2", "x", "y"]
    # the parts of one message go together
    session, _ = polling_session(max_queue_size=4)
    session.send_many([message("a"), message("b1", volatile=7), message("b2", volatile=7)])
    session.send_many([message("c"), message("d")])
    assert [p.data for p in session.queue] == ["a", "c", "d"] and not session.closed
    # nothing volatile left to drop: disconnected
    session.send_many([message("e"), message("f")])
    assert session.closed


def test_a_poll_takes_the_queue_and_its_byte_count() -> None:
    session, _ = polling_session()
    session.send_many([message("abc"), message("de")])
    assert session.queued_bytes == 7
    assert [p.data for p in session.poll(0)] == ["abc", "de"]
    assert session.queued_bytes == 0


# -- per-address limits -------------------------------------------------------------


def handshake(client: Any, address: str = "10.0.0.7") -> Any:
    return client.get("/socket.io/?EIO=4&transport=polling", environ_base={"REMOTE_ADDR": address})


def test_sessions_and_handshakes_per_address_are_limited_when_asked(caplog) -> None:
    from werkzeug.test import Client

    from flask_socketio.server import WSGIApp

    caplog.set_level(logging.WARNING)
    server = Server(async_mode="threading", max_connections_per_address=2)
    client = Client(WSGIApp(server))
    first = handshake(client)
    assert first.status_code == 200 and handshake(client).status_code == 200
    refused = handshake(client)
    assert refused.status_code == 429 and refused.json == {
        "code": 3,
        "message": "Too many requests",
    }
    assert "over 2 sessions from 10.0.0.7" in caplog.text
    assert handshake(client, "10.0.0.8").status_code == 200  # another address
    sid = json.loads(first.data[1:])["sid"]
    server.eio.sessions[sid].close()
    assert handshake(client).status_code == 200  # one went away

    server = Server(async_mode="threading", handshakes_per_second_per_address=2)
    client = Client(WSGIApp(server))
    codes = [handshake(client).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    assert "over 2 handshakes per second from 10.0.0.7" in caplog.text


def test_a_handshake_loop_is_reported() -> None:
    from flask_socketio.engine.limits import STORM_HANDSHAKES, AddressLimits

    limits = AddressLimits()
    for n in range(STORM_HANDSHAKES - 1):
        assert limits.admit("1.2.3.4", now=n * 0.01) is None
    assert limits.storming("1.2.3.4", now=1.0) == 0
    limits.admit("1.2.3.4", now=1.0)
    assert limits.storming("1.2.3.4", now=1.0) == STORM_HANDSHAKES
    assert limits.storming("1.2.3.4", now=2.0) == 0  # once a minute
    limits.prune(now=100.0)
    assert limits.storming("1.2.3.4", now=100.0) == 0
