"""Heartbeat deadlines: the one deadline task (engine/deadlines.py) and a
long-polling GET that answers with the ping itself when it is due."""

from __future__ import annotations

import math
import threading
import time
from typing import Any

from flask_socketio.drivers import load_driver
from flask_socketio.engine.config import EngineConfig
from flask_socketio.engine.deadlines import Deadlines
from flask_socketio.engine.session import Session
from flask_socketio.engine.state import PING_TIMEOUT
from flask_socketio.wire import engineio as eio

DRIVER = load_driver("threading")


def session(version: int = 4, **options: Any) -> tuple[Session, list[str]]:
    options = {"ping_interval": 0.3, "ping_timeout": 0.2, "connect_timeout": 60, **options}
    closed: list[str] = []
    s = Session("s", version, EngineConfig.build(**options), DRIVER, lambda _, r: closed.append(r))
    s.state.joined(True)
    return s, closed


def test_an_idle_get_is_answered_with_the_ping_when_it_is_due_not_a_noop() -> None:
    s, _ = session()
    due = s.state.next_ping
    packets = s.poll(s.config.ping_interval)
    assert [p.type for p in packets] == [eio.PING]
    assert DRIVER.monotonic() >= due
    # The GET that got it gives the client the whole timeout from now.
    assert s.state.pong_deadline is not None
    assert s.state.pong_deadline >= due + s.config.ping_timeout


def test_a_get_started_just_before_a_pong_still_gets_the_next_ping() -> None:
    # The client answers the ping (POST 3) just after its next GET started: the
    # GET outlives one ping interval from its own start, and ends with the ping.
    s, _ = session()
    s.state.ping_sent(s.state.next_ping)
    result: list[list[eio.Packet]] = []
    getter = threading.Thread(target=lambda: result.append(s.poll(s.config.ping_interval)))
    getter.start()
    time.sleep(0.1)
    s.receive(eio.Packet(eio.PONG))
    getter.join(2)
    assert [p.type for p in result[0]] == [eio.PING]


def test_v3_gets_still_end_with_a_noop_the_client_pings() -> None:
    s, _ = session(version=3)
    assert [p.type for p in s.poll(0.05)] == [eio.NOOP]


def test_a_ping_nobody_takes_is_due_on_a_perfect_clock() -> None:
    s, closed = session()
    due = s.state.next_ping
    # Looked at late (a busy machine): no GET waits, so the pong is due a
    # timeout after the ping was due, not after the late look.
    assert s.apply_deadlines(due + 0.15)
    assert s.state.pong_deadline == due + 0.2
    assert [p.type for p in s.queue] == [eio.PING]
    assert not s.apply_deadlines(due + 0.21) and closed == [PING_TIMEOUT]


def test_a_ping_overdue_by_more_than_the_timeout_is_a_timeout() -> None:
    s, closed = session()
    assert not s.apply_deadlines(s.state.next_ping + 0.25)
    assert closed == [PING_TIMEOUT] and not s.queue


def test_a_client_that_got_the_ping_late_gets_the_whole_timeout() -> None:
    s, _ = session()
    due = s.state.next_ping
    s.apply_deadlines(due)
    s.state.ping_delivered(due + 0.1)
    assert s.state.pong_deadline == due + 0.1 + 0.2


class FakeSession:
    """What the deadline task needs of a session."""

    def __init__(self, sid: str, when: float, log: list[str]) -> None:
        self.sid = sid
        self.when = when
        self.log = log
        self.deadline_at = math.inf

    def apply_deadlines(self, now: float, patience: float) -> bool:
        self.log.append(self.sid)
        return False

    def next_deadline(self, patience: float) -> float:
        return self.when


def test_the_task_looks_at_each_session_at_its_deadline_in_order() -> None:
    deadlines = Deadlines(DRIVER, patience=1.0)
    log: list[str] = []
    now = DRIVER.monotonic()
    late, early = FakeSession("late", now + 0.2, log), FakeSession("early", now + 0.05, log)
    deadlines.schedule(late, late.when)  # type: ignore[arg-type]
    deadlines.schedule(early, early.when)  # type: ignore[arg-type]
    # A later reminder for the same session changes nothing: the earliest counts.
    deadlines.schedule(early, now + 5)  # type: ignore[arg-type]
    deadline = time.monotonic() + 3
    while len(log) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    deadlines.stop()
    assert log == ["early", "late"]
    assert deadlines.pending() == 0


def test_a_session_is_looked_at_again_at_its_next_deadline_until_closed() -> None:
    engine_deadlines = Deadlines(DRIVER, patience=1.0)
    s, closed = session(ping_interval=0.05, ping_timeout=0.05)
    s.deadlines = engine_deadlines
    engine_deadlines.schedule(s, s.next_deadline(1.0))
    deadline = time.monotonic() + 3
    while not closed and time.monotonic() < deadline:
        time.sleep(0.01)
    engine_deadlines.stop()
    # It pinged, nobody answered, it timed out; then nothing is left to do.
    assert closed == [PING_TIMEOUT]
    assert engine_deadlines.pending() == 0


# -- the upgrade's noop ------------------------------------------------------------


def get_in_background(s: Session) -> tuple[threading.Thread, list[Any]]:
    result: list[Any] = []

    def get() -> None:
        try:
            result.append(s.poll(5))
        except Exception as exc:  # noqa: BLE001 - the test looks at it
            result.append(exc)

    thread = threading.Thread(target=get)
    thread.start()
    deadline = time.monotonic() + 2
    while not s.polling and time.monotonic() < deadline:
        time.sleep(0.005)
    return thread, result


def test_the_probe_queues_nothing_when_no_get_waits() -> None:
    # Else the noop waits in the queue and goes out on the websocket after
    # the switch ("3probe", "6", "4hello"; the reference sends no "6").
    s, _ = session(ping_interval=25, ping_timeout=20)
    assert s.begin_upgrade()
    s.probed()
    assert s.queue == []


def test_a_get_waiting_before_the_upgrade_ends_at_the_probe() -> None:
    s, _ = session(ping_interval=25, ping_timeout=20)
    thread, result = get_in_background(s)
    assert s.begin_upgrade()
    s.probed()
    thread.join(2)
    assert [p.type for p in result[0]] == [eio.NOOP] and s.queue == []


def test_a_get_arriving_during_the_upgrade_ends_after_the_probe_with_a_noop() -> None:
    s, _ = session(ping_interval=25, ping_timeout=20)
    assert s.begin_upgrade()
    s.probed()
    thread, result = get_in_background(s)
    thread.join(2)
    assert [p.type for p in result[0]] == [eio.NOOP] and s.queue == []


class FakeWebSocket:
    def __init__(self) -> None:
        self.written: list[bytes] = []

    def try_write(self, data: bytes) -> int:
        self.written.append(data)
        return len(data)

    def close(self, wait: bool = True) -> None:
        pass


def test_the_switch_is_atomic_a_get_waiting_gets_refused_and_the_queue_goes_to_the_websocket(
) -> None:
    from flask_socketio.engine.session import SwitchedError

    s, _ = session(ping_interval=25, ping_timeout=20)
    assert s.begin_upgrade()
    thread, result = get_in_background(s)  # came during the upgrade, before the probe
    with s.lock:  # queued, and the GET not woken: the switch comes first
        s.queue.append(eio.Packet(eio.MESSAGE, "hello"))
    ws = FakeWebSocket()
    assert s.attach_websocket(ws, False)  # type: ignore[arg-type]
    thread.join(2)
    assert isinstance(result[0], SwitchedError)
    assert b"4hello" in b"".join(ws.written)
    thread, result = get_in_background(s)  # after the switch
    thread.join(2)
    assert isinstance(result[0], SwitchedError)


def test_overdue_deadlines_come_in_the_order_they_were_due() -> None:
    # Looked at late: a ping due before the connect timeout goes out first.
    s, _ = session(connect_timeout=1.0)
    s.state.joined(False)
    connect_at = s.state.connect_deadline
    assert connect_at is not None
    s.state.next_ping = connect_at - 0.01
    assert s.state.due(connect_at + 0.005) == "ping"
    s.state.next_ping = connect_at + 0.002
    assert s.state.due(connect_at + 0.005) == "connect timeout"


class BusyReader:
    """A session whose websocket reader is busy since `busy_since`."""

    def __init__(self, busy_since: float | None) -> None:
        self.sid = "busy"
        self.busy_since = busy_since
        self.deadline_at = math.inf
        self.relieved = threading.Event()

    def apply_deadlines(self, now: float, patience: float) -> bool:
        if self.busy_since is not None and now - self.busy_since >= patience:
            self.relieved.set()
        return True


def test_a_reader_busy_for_longer_than_the_patience_is_relieved_then_the_sweeps_stop() -> None:
    deadlines = Deadlines(DRIVER, patience=0.05)
    stuck, quick = BusyReader(DRIVER.monotonic()), BusyReader(None)
    deadlines.reader_busy(stuck)  # type: ignore[arg-type]
    deadlines.reader_busy(quick)  # type: ignore[arg-type]  (done reading already)
    assert stuck.relieved.wait(3)
    deadline = time.monotonic() + 3
    while deadlines._sweep_at != math.inf and time.monotonic() < deadline:
        time.sleep(0.01)
    deadlines.stop()
    assert not quick.relieved.is_set()
    assert deadlines._sweep_at == math.inf and not deadlines._busy  # nothing left to watch
