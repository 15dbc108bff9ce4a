"""A client's close (POST "1") racing its GET on another connection: the GET
gets the noop it would have got had it been waiting, once, whatever the order
(the "forcefully closes the session" test of the protocol suites)."""

from __future__ import annotations

import io
import threading
import time
from typing import Any

from flask_socketio.drivers import load_driver
from flask_socketio.engine import Server
from flask_socketio.engine.state import CLIENT_DISCONNECT


def request(engine: Server, method: str, query: str, body: bytes = b"") -> tuple[str, bytes]:
    answer: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        answer["status"] = status

    environ = {
        "REQUEST_METHOD": method,
        "QUERY_STRING": query,
        "REMOTE_ADDR": "127.0.0.1",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
    }
    data = b"".join(engine.handle_request(environ, start_response))
    return answer["status"].split()[0], data


def open_session(version: int = 4) -> tuple[Server, str]:
    engine = Server(load_driver("threading"), ping_interval=25, ping_timeout=20)
    status, body = request(engine, "GET", f"EIO={version}&transport=polling")
    assert status == "200"
    sid = body.split(b'"sid":"')[1].split(b'"')[0].decode()
    return engine, sid


def test_close_first_then_the_get_gets_a_noop_and_the_next_one_400() -> None:
    engine, sid = open_session()
    query = f"EIO=4&transport=polling&sid={sid}"
    assert request(engine, "POST", query, b"1") == ("200", b"ok")
    assert request(engine, "GET", query) == ("200", b"6")
    assert request(engine, "GET", query)[0] == "400"
    assert request(engine, "POST", query, b"4x")[0] == "400"


def test_v3_close_first_then_the_get_gets_a_noop() -> None:
    engine, sid = open_session(3)
    query = f"EIO=3&transport=polling&sid={sid}&b64=1"
    assert request(engine, "POST", query, b"1:1") == ("200", b"ok")
    assert request(engine, "GET", query) == ("200", b"1:6")
    assert request(engine, "GET", query)[0] == "400"


def test_a_get_past_the_lookup_when_the_close_comes_takes_the_noop_once() -> None:
    engine, sid = open_session()
    session = engine.sessions[sid]
    # The GET found the session open; the close is handled before it polls.
    session.close(CLIENT_DISCONNECT, notify=False)
    assert [p.type for p in session.poll(25)] == [6]
    assert request(engine, "GET", f"EIO=4&transport=polling&sid={sid}")[0] == "400"


def test_a_get_waiting_when_the_close_comes_gets_the_noop_and_nothing_is_owed() -> None:
    engine, sid = open_session()
    query = f"EIO=4&transport=polling&sid={sid}"
    parked: list[tuple[str, bytes]] = []
    getter = threading.Thread(target=lambda: parked.append(request(engine, "GET", query)))
    getter.start()
    deadline = time.monotonic() + 2
    while not engine.sessions[sid].polling and time.monotonic() < deadline:
        time.sleep(0.005)
    assert request(engine, "POST", query, b"1") == ("200", b"ok")
    getter.join(2)
    assert parked == [("200", b"6")]
    assert request(engine, "GET", query)[0] == "400"


def test_the_noop_is_owed_for_a_second_only() -> None:
    engine, sid = open_session()
    query = f"EIO=4&transport=polling&sid={sid}"
    request(engine, "POST", query, b"1")
    engine._closing[sid] = (engine._closing[sid][0], 0.0)
    assert request(engine, "GET", query)[0] == "400"
    assert not engine._closing


def test_a_server_close_with_no_get_waiting_goes_to_the_next_get_posts_meanwhile_ignored(
) -> None:
    # As the reference: the close packet waits for the client's next GET, and
    # what the client POSTs meanwhile is accepted and dropped (a pong racing
    # the connect timeout gets 200, not 400).
    engine, sid = open_session()
    query = f"EIO=4&transport=polling&sid={sid}"
    engine.sessions[sid].close()
    assert request(engine, "POST", query, b"3") == ("200", b"ok")
    assert request(engine, "GET", query) == ("200", b"1")
    assert request(engine, "GET", query)[0] == "400"
    assert request(engine, "POST", query, b"3")[0] == "400"
