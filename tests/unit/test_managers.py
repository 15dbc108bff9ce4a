"""The managers answer *who*: rooms and recipients in one process, and the
relay of operations to other processes through a message queue (here a fake
bus in memory, so that the relay's logic is tested without a broker)."""

from __future__ import annotations

import json
import logging
import queue
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flask_socketio.drivers import load_driver
from flask_socketio.managers import Manager, PubSubManager, Target
from flask_socketio.managers.pubsub import dumps, loads


@dataclass(frozen=True)
class Conn:
    eio_sid: str


def manager_with(*clients: tuple[str, str, str]) -> Manager[Conn]:
    """A manager holding clients (sid, namespace, eio_sid)."""
    manager: Manager[Conn] = Manager()
    for sid, namespace, eio_sid in clients:
        manager.connect(sid, namespace, Conn(eio_sid))
    return manager


def eio_sids(members: list[Conn]) -> list[str]:
    return sorted(member.eio_sid for member in members)


# -- one process ----------------------------------------------------------------


def test_connect_puts_a_client_in_the_namespace_and_its_own_room() -> None:
    m = manager_with(("s1", "/", "e1"), ("s2", "/chat", "e1"))
    assert m.get_rooms("s1", "/") == ["s1"]
    assert m.is_connected("s1", "/") and not m.is_connected("s1", "/chat")
    assert m.member("s2", "/chat") == Conn("e1")
    assert m.eio_sid_from_sid("s2", "/chat") == "e1"
    assert m.sid_from_eio_sid("e1", "/chat") == "s2"
    assert sorted(m.get_namespaces()) == ["/", "/chat"]


def test_members_of_everyone_a_room_several_rooms_and_skips() -> None:
    m = manager_with(("a", "/", "ea"), ("b", "/", "eb"), ("c", "/", "ec"), ("x", "/x", "ex"))
    m.enter_room("a", "/", "red")
    m.enter_room("b", "/", "red")
    m.enter_room("b", "/", "blue")
    m.enter_room("c", "/", "blue")
    assert eio_sids(m.members(Target.of("/"))) == ["ea", "eb", "ec"]
    assert eio_sids(m.members(Target.of("/", to="red"))) == ["ea", "eb"]
    # a client in two of the rooms is reached once
    assert eio_sids(m.members(Target.of("/", to=["red", "blue"]))) == ["ea", "eb", "ec"]
    assert eio_sids(m.members(Target.of("/", to=["red", "blue"], skip="b"))) == ["ea", "ec"]
    assert eio_sids(m.members(Target.of("/", skip=["a", "c"]))) == ["eb"]
    assert eio_sids(m.members(Target.of("/", to="a"))) == ["ea"]  # a sid is a room
    assert m.members(Target.of("/", to="nobody")) == []
    assert m.members(Target.of("/empty")) == []


def test_leave_close_and_disconnect_clean_up() -> None:
    m = manager_with(("a", "/", "ea"), ("b", "/", "eb"))
    m.enter_room("a", "/", "red")
    m.enter_room("b", "/", "red")
    m.leave_room("a", "/", "red")
    assert eio_sids(m.members(Target.of("/", to="red"))) == ["eb"]
    m.close_room("red", "/")
    assert m.members(Target.of("/", to="red")) == []
    assert m.get_rooms("b", "/") == ["b"]
    m.disconnect("a", "/")
    m.disconnect("b", "/")
    assert m.rooms == {} and not m.is_connected("a", "/")
    assert m.sid_from_eio_sid("ea", "/") is None


def test_rooms_of_a_client_who_is_not_here_are_not_made() -> None:
    m = manager_with(("a", "/", "ea"))
    m.enter_room("ghost", "/", "red")
    assert m.members(Target.of("/", to="red")) == []


def test_participants_keep_python_socketios_shape() -> None:
    m = manager_with(("a", "/", "ea"))
    assert list(m.get_participants("/", None)) == [("a", "ea")]


def test_target_of_spells_the_api() -> None:
    assert Target.of(None, to=("r1", "r2"), skip={"s"}) == Target(
        "/", ("r1", "r2"), frozenset({"s"})
    )
    assert Target.of("/n", to=7).single == 7  # any hashable room
    assert Target.of().single is None and Target.of(to=["a", "b"]).single is None


# -- the relay, on a bus in memory -----------------------------------------------


class Bus:
    """A fan-out channel: every subscriber gets every message, its own included."""

    def __init__(self) -> None:
        self.subscribers: list[queue.Queue[bytes | None]] = []

    def subscribe(self) -> queue.Queue[bytes | None]:
        inbox: queue.Queue[bytes | None] = queue.Queue()
        self.subscribers.append(inbox)
        return inbox

    def publish(self, data: bytes) -> None:
        for inbox in self.subscribers:
            inbox.put(data)


class BusManager(PubSubManager[Conn]):
    name = "bus"

    def __init__(self, bus: Bus, write_only: bool = False) -> None:
        super().__init__("test", write_only)
        self.bus = bus
        self.inbox = bus.subscribe()
        self.published: list[dict[str, Any]] = []

    def _publish(self, data: bytes) -> None:
        self.published.append(loads(data))
        self.bus.publish(data)

    def _listen(self) -> Iterator[bytes]:
        while (data := self.inbox.get()) is not None:
            yield data


@dataclass
class Peer:
    """The server side of a relay: records what the relay asks it to do."""

    calls: queue.Queue[tuple[Any, ...]] = field(default_factory=queue.Queue)

    def emit_to(self, target: Target, event: str, args: list[Any], callback: Any = None) -> None:
        self.calls.put(("emit", target, event, args, callback))

    def disconnect(
        self, sid: str, namespace: str | None = None, ignore_queue: bool = False
    ) -> None:
        self.calls.put(("disconnect", sid, namespace, ignore_queue))


@pytest.fixture
def cluster() -> Iterator[tuple[BusManager, Peer, BusManager, Peer]]:
    bus = Bus()
    driver = load_driver("threading")
    a, b = BusManager(bus), BusManager(bus)
    peer_a, peer_b = Peer(), Peer()
    a.attach(peer_a, driver)
    b.attach(peer_b, driver)
    yield a, peer_a, b, peer_b
    for inbox in bus.subscribers:
        inbox.put(None)


def test_an_emit_is_published_for_the_others_and_not_replayed_here(cluster) -> None:
    a, peer_a, b, peer_b = cluster
    a.relay_emit(Target.of("/", to="red", skip="s1"), "news", [1, b"\x00"])
    kind, target, event, args, callback = peer_b.calls.get(timeout=5)
    assert (kind, event, args, callback) == ("emit", "news", [1, b"\x00"], None)
    assert target == Target("/", ("red",), frozenset({"s1"}), local=True)
    # the emitting process delivered locally already: it ignores its own message
    b.relay_emit(Target.of("/"), "sync", [])
    assert peer_a.calls.get(timeout=5)[2] == "sync"
    assert peer_a.calls.empty() and peer_b.calls.empty()


def test_an_emit_to_a_local_sid_is_not_published(cluster) -> None:
    a, _, _, peer_b = cluster
    a.connect("here", "/", Conn("e1"))
    a.relay_emit(Target.of("/", to="here"), "direct", [])
    assert a.published == []


def test_an_ack_travels_back_to_the_process_that_asked(cluster) -> None:
    a, _, b, peer_b = cluster
    b.connect("remote", "/", Conn("e2"))
    answers: queue.Queue[tuple[Any, ...]] = queue.Queue()
    a.relay_emit(Target.of("/", to="remote"), "question", ["?"], lambda *args: answers.put(args))
    _, target, _, _, callback = peer_b.calls.get(timeout=5)
    assert target.rooms == ("remote",) and callback is not None
    callback("yes", 42)  # the client on b answered
    assert answers.get(timeout=5) == ("yes", 42)


def test_an_ack_needs_one_recipient(cluster) -> None:
    a, *_ = cluster
    with pytest.raises(ValueError, match="needs to=sid"):
        a.relay_emit(Target.of("/", to=["r1", "r2"]), "question", [], lambda *args: None)


def test_room_changes_and_disconnects_reach_the_owner(cluster) -> None:
    a, _, b, peer_b = cluster
    b.connect("remote", "/", Conn("e2"))
    a.enter_room("remote", "/", "red")  # not here: relayed to b, which holds it
    a.close_room("red", "/")
    a.relay_disconnect("remote", "/")
    assert peer_b.calls.get(timeout=5) == ("disconnect", "remote", "/", True)
    assert [m["method"] for m in a.published] == ["enter_room", "close_room", "disconnect"]
    assert b.get_rooms("remote", "/") == ["remote"]  # entered, then the room closed
    a.leave_room("remote", "/", "red")
    assert a.flush(5)
    assert a.published[-1]["method"] == "leave_room"


def test_a_bad_relay_message_is_logged_and_the_relay_goes_on(cluster, caplog) -> None:
    a, _, b, peer_b = cluster
    caplog.set_level(logging.WARNING, "flask_socketio.managers")
    a.bus.publish(b"not json")
    a.bus.publish(dumps({"method": "teleport", "host_id": "other"}))
    a.relay_emit(Target.of("/"), "after", [])
    assert peer_b.calls.get(timeout=5)[2] == "after"
    assert "unknown method 'teleport'" in caplog.text
    assert "malformed relay message" in caplog.text


MALFORMED = {
    "a string as args": {"method": "emit", "event": "news", "args": "hello"},
    "a dict as args": {"method": "emit", "event": "news", "args": {"a": 1}},
    "no event": {"method": "emit", "args": []},
    "a number as event": {"method": "emit", "event": 7, "args": []},
    "a dict as room": {"method": "emit", "event": "news", "room": {"a": 1}},
    "a list of lists as room": {"method": "emit", "event": "news", "room": [["r"]]},
    "a number as skip_sid": {"method": "emit", "event": "news", "skip_sid": 3},
    "a short callback": {"method": "emit", "event": "news", "callback": ["sid", "/"]},
    "a number as namespace": {"method": "emit", "event": "news", "namespace": 1},
    "no sid to disconnect": {"method": "disconnect", "namespace": "/"},
    "a list as room to enter": {"method": "enter_room", "sid": "remote", "room": ["r"]},
    "a dict as room to close": {"method": "close_room", "room": {"r": 1}},
    "a string as ack id": {"method": "callback", "ack_id": "1", "args": []},
    "no method": {"event": "news", "args": []},
    "bad base64": {"method": "emit", "event": "news", "args": [{"__bytes__": "%%"}], "b64": True},
}


@pytest.mark.parametrize("case", list(MALFORMED))
def test_a_malformed_relay_message_is_dropped_whole_with_one_warning(cluster, caplog, case):
    a, _, b, peer_b = cluster
    b.connect("remote", "/", Conn("e2"))
    caplog.set_level(logging.WARNING, "flask_socketio.managers")
    message = {"host_id": a.host_id if case != "a string as ack id" else b.host_id,
               **MALFORMED[case]}
    b._receive(json.dumps(message).encode())
    records = [r for r in caplog.records if r.name == "flask_socketio.managers"]
    assert len(records) == 1 and records[0].levelno == logging.WARNING
    assert "malformed relay message" in records[0].getMessage()
    assert records[0].exc_info is None  # no traceback
    assert peer_b.calls.empty()
    assert b.get_rooms("remote", "/") == ["remote"]


def test_a_remote_call_that_times_out_forgets_its_ack() -> None:
    from flask_socketio.server import Server

    bus = Bus()
    a = BusManager(bus)
    server = Server(client_manager=a, async_mode="threading")
    try:
        # "remote" is nobody here: the emit goes to the other processes, and
        # no one answers
        with pytest.raises(TimeoutError):
            server.call("question", to="remote", timeout=0.2)
        assert a.flush(5) and a.published[-1]["callback"][0] == "remote"
        assert a._remote_acks == {}
    finally:
        for inbox in bus.subscribers:
            inbox.put(None)


def test_a_write_only_manager_never_listens() -> None:
    manager = BusManager(Bus(), write_only=True)
    manager.attach(Peer(), load_driver("threading"))
    assert manager._listener is None


MARKER_KEYS = st.sampled_from(["__bytes__", "__dict__", "b64", "_placeholder", "num"])
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text() | st.binary(),
    lambda children: st.lists(children)
    | st.dictionaries(st.text() | MARKER_KEYS, children)
    | st.dictionaries(MARKER_KEYS, children, max_size=1),
    max_leaves=20,
)


@given(json_values)
def test_relay_messages_round_trip(value: Any) -> None:
    message = {"method": "emit", "args": [value]}
    assert loads(dumps(message)) == message


class Boom:
    def __reduce__(self):
        import os

        return (os.system, ("echo should never run",))


def test_accept_pickle_reads_plain_data_and_refuses_every_class(cluster, caplog) -> None:
    import pickle

    a, _, b, peer_b = cluster
    b.accept_pickle = True
    caplog.set_level(logging.WARNING, "flask_socketio.managers")
    old = {"method": "emit", "event": "old", "data": ["pickled", b"\x01"], "namespace": "/",
           "room": None, "skip_sid": None, "callback": None, "host_id": "old"}
    b._receive(pickle.dumps(old))
    kind, target, event, args, _ = peer_b.calls.get(timeout=5)
    assert (event, args) == ("old", ["pickled", b"\x01"])
    b._receive(pickle.dumps({**old, "data": [Boom()]}))
    assert "refers to posix.system: refused" in caplog.text
    assert peer_b.calls.empty()


def test_the_idna_codec_is_imported_with_the_managers() -> None:
    # Imported lazily by the first getaddrinfo(), from a listener's thread, a
    # fork at that moment left gunicorn workers unable to reach the broker.
    import subprocess
    import sys

    code = "import sys, flask_socketio.managers; print('encodings.idna' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"
