"""The forwarder of polling requests (managers/forward.py) between two
engines in one process, over an in-memory bus that can lose a process."""

from __future__ import annotations

import io
import json
import logging
import queue
import time
from collections.abc import Iterator

import pytest

from flask_socketio.drivers import load_driver
from flask_socketio.engine import Server as Engine
from flask_socketio.managers.forward import EVERYONE, FORWARDED, Forwarder


class Hub:
    """Delivers what is published to the listeners it names; a process
    marked dead publishes nothing more (kill -9)."""

    def __init__(self) -> None:
        self.inboxes: dict[str, queue.Queue[bytes]] = {}
        self.dead: set[str] = set()
        self.published: list[bytes] = []

    def bus(self) -> Bus:
        return Bus(self)


class Bus:
    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.host_id = ""

    def publish(self, to: str, data: bytes) -> None:
        if self.host_id in self.hub.dead:
            return
        self.hub.published.append(data)
        for host, inbox in self.hub.inboxes.items():
            if to in (EVERYONE, host) and host not in self.hub.dead:
                inbox.put(data)

    def reopen(self) -> None:
        pass

    def listen(self, host_id: str, subscribed) -> Iterator[bytes]:
        self.host_id = host_id
        inbox = self.hub.inboxes.setdefault(host_id, queue.Queue())
        subscribed()
        while True:
            yield inbox.get()


def engine_with_forwarder(hub: Hub) -> tuple[Engine, Forwarder]:
    engine = Engine(load_driver("threading"))
    forwarder = Forwarder(hub.bus(), engine, claim_timeout=0.3, owner_timeout=0.5,
                          alive_interval=0.1)
    engine.unknown_session = forwarder
    forwarder.start()
    return engine, forwarder


def call(engine: Engine, method: str, query: str, body: bytes = b"") -> tuple[str, bytes]:
    answer: dict[str, str] = {}

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        answer["status"] = status

    environ = {
        "REQUEST_METHOD": method,
        "QUERY_STRING": f"EIO=4&transport=polling&{query}",
        "CONTENT_LENGTH": str(len(body)),
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.input": io.BytesIO(body),
    }
    data = b"".join(engine.handle_request(environ, start_response))
    return answer["status"], data


@pytest.fixture
def two() -> tuple[Hub, Engine, Engine]:
    hub = Hub()
    (one, first), (other, second) = engine_with_forwarder(hub), engine_with_forwarder(hub)
    deadline = time.monotonic() + 5
    while len(hub.inboxes) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    yield hub, one, other
    first.stop()
    second.stop()
    one.shutdown()
    other.shutdown()


def open_session(engine: Engine) -> str:
    status, body = call(engine, "GET", "")
    assert status.startswith("200")
    return json.loads(body[1:])["sid"]


def test_post_and_get_of_a_session_of_another_engine(two) -> None:
    _, one, other = two
    sid = open_session(one)
    # the echo engine sends every message back: a POST through the other
    # engine reaches the session, and a GET through it returns the echo
    assert call(other, "POST", f"sid={sid}", b"4hello") == ("200 OK", b"ok")
    assert call(other, "GET", f"sid={sid}") == ("200 OK", b"4hello")


def test_a_session_nobody_holds_gets_the_usual_400(two) -> None:
    _, _, other = two
    status, body = call(other, "GET", "sid=nobody-has-it")
    assert status.startswith("400")
    assert json.loads(body) == {"code": 1, "message": "Session ID unknown"}


def test_a_get_whose_owner_dies_gets_a_400(two) -> None:
    hub, one, other = two
    sid = open_session(one)
    owner = one.unknown_session.host_id  # type: ignore[union-attr]
    # the GET waits (nothing to send); then the owner falls silent
    result: queue.Queue[tuple[str, bytes]] = queue.Queue()
    other.driver.spawn(lambda: result.put(call(other, "GET", f"sid={sid}")))
    time.sleep(0.3)
    assert result.empty()  # claimed, and kept alive
    hub.dead.add(owner)
    status, _ = result.get(timeout=3)
    assert status.startswith("400")


def test_a_malformed_sid_is_refused_without_asking(two) -> None:
    hub, _, other = two
    status, _ = call(other, "GET", "sid=" + "x" * 65)
    assert status.startswith("400")
    assert hub.published == []  # nobody was asked


def test_a_forwarded_request_is_never_forwarded_again(two) -> None:
    _, _, other = two
    environ = {FORWARDED: True}
    forwarder = other.unknown_session
    assert forwarder is not None
    assert forwarder(environ, lambda *a: None, "sid") is None


def test_a_malformed_message_is_one_warning(two, caplog) -> None:
    hub, one, _ = two
    with caplog.at_level(logging.WARNING, logger="flask_socketio.forward"):
        for inbox in hub.inboxes.values():
            inbox.put(b"{not json")
            inbox.put(b'{"op": "reply"}')
        time.sleep(0.2)
    messages = [r for r in caplog.records if "malformed forwarding message" in r.message]
    assert len(messages) == 4
    assert all(r.exc_info is None for r in messages)
    sid = open_session(one)
    assert call(one, "POST", f"sid={sid}", b"4still") == ("200 OK", b"ok")


def test_the_option_needs_a_message_queue() -> None:
    import flask

    from flask_socketio import SocketIO
    from flask_socketio.server import Server

    assert Server(async_mode="threading").forwarder is None
    with pytest.raises(ValueError, match="forward_polling=True needs a message_queue"):
        Server(async_mode="threading", forward_polling=True)
    socketio = SocketIO(flask.Flask(__name__), async_mode="threading",
                        message_queue="redis://127.0.0.1:1/0", forward_polling=False)
    assert socketio.server.forwarder is None
    assert socketio.server.eio.unknown_session is None


def test_timings_are_checked() -> None:
    engine = Engine(load_driver("threading"))
    with pytest.raises(ValueError, match="alive_interval < owner_timeout"):
        Forwarder(Hub().bus(), engine, owner_timeout=0.2, alive_interval=0.5)


class SlowBus(Bus):
    """A bus that takes a while to subscribe, as Redis does in a busy worker."""

    def listen(self, host_id: str, subscribed) -> Iterator[bytes]:
        time.sleep(0.2)
        yield from super().listen(host_id, subscribed)


def test_the_first_requests_of_a_forked_worker_all_wait_for_its_subscription(two) -> None:
    # gunicorn --preload: the forwarder was made (and started) in the master;
    # in a worker, the first requests that are not its own start it again.
    # A POST and a GET of one client arrive at once: both must be answered.
    hub, one, _ = two
    sid = open_session(one)
    engine = Engine(load_driver("threading"))
    forwarder = Forwarder(SlowBus(hub), engine, claim_timeout=0.3, owner_timeout=0.5,
                          alive_interval=0.1)
    engine.unknown_session = forwarder
    forwarder._started_in = -1  # made in another process: the parent
    try:
        results: queue.Queue[tuple[str, bytes]] = queue.Queue()
        engine.driver.spawn(lambda: results.put(call(engine, "GET", f"sid={sid}")))
        engine.driver.spawn(lambda: results.put(call(engine, "POST", f"sid={sid}", b"4hi")))
        answers = sorted([results.get(timeout=5), results.get(timeout=5)])
        assert answers == [("200 OK", b"4hi"), ("200 OK", b"ok")]
    finally:
        forwarder.stop()
        engine.shutdown()
