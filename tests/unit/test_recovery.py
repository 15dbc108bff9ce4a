"""Connection state recovery's store and settings, and the ack collector,
without sockets."""

from __future__ import annotations

import pytest

from flask_socketio.drivers import load_driver
from flask_socketio.managers.recovery import MemoryRecoveryStore, SavedSession
from flask_socketio.server.acks import AckCollector
from flask_socketio.server.recovery import RecoverySettings


def saved(store: MemoryRecoveryStore, pid: str = "p", rooms=("s", "red"), now=0.0):
    session = SavedSession(pid, "s", "/", list(rooms), store.last_offset(), now)
    store.persist(session)
    return session


def test_missed_events_are_those_of_its_rooms_namespace_and_not_skipped() -> None:
    store = MemoryRecoveryStore(max_disconnection_duration=10)
    saved(store)
    store.append("/", ("red",), frozenset(), ["a"], now=1.0)
    store.append("/", None, frozenset(), ["b"], now=1.0)  # everyone
    store.append("/", ("blue",), frozenset(), ["c"], now=1.0)
    store.append("/chat", None, frozenset(), ["d"], now=1.0)
    store.append("/", None, frozenset({"s"}), ["e"], now=1.0)  # skipped it
    store.append("/", ("blue", "s"), frozenset(), ["f"], now=1.0)
    session, missed = store.restore("p", None, now=2.0)
    assert [data[0] for data in missed] == ["a", "b", "f"]
    assert all(data[-1].startswith(store.last_offset()[:9]) for data in missed)


def test_the_clients_own_offset_wins() -> None:
    store = MemoryRecoveryStore()
    saved(store)
    first = store.append("/", None, frozenset(), ["one"], now=1.0)
    store.append("/", None, frozenset(), ["two"], now=1.0)
    _, missed = store.restore("p", first, now=2.0)
    assert [data[0] for data in missed] == ["two"]


def test_unknown_expired_foreign_or_evicted_means_a_fresh_connect() -> None:
    store = MemoryRecoveryStore(max_disconnection_duration=5, max_packets=3, max_missed=2)
    assert store.restore("nobody", None, now=0.0) is None
    saved(store)
    assert store.restore("p", None, now=6.0) is None  # expired
    saved(store)
    assert store.restore("p", "someone-else-1", now=1.0) is None  # another process's offset
    saved(store, now=1.0)
    for n in range(5):
        store.append("/", None, frozenset(), [n], now=1.0)  # the first ones are evicted
    assert store.restore("p", None, now=2.0) is None
    saved(store, now=1.0)
    for n in range(3):
        store.append("/", None, frozenset(), [n], now=1.0)
    assert store.restore("p", None, now=2.0) is None  # missed more than max_missed


def test_expired_sessions_are_returned_once_and_old_events_forgotten() -> None:
    store = MemoryRecoveryStore(max_disconnection_duration=5)
    session = saved(store, now=0.0)
    store.append("/", None, frozenset(), ["old"], now=0.0)
    assert store.expired(now=4.0) == []
    assert store.expired(now=6.0) == [session]
    assert store.expired(now=7.0) == []
    assert list(store.sessions()) == []


def test_settings() -> None:
    assert (
        RecoverySettings.from_option(None) is None and RecoverySettings.from_option(False) is None
    )
    assert RecoverySettings.from_option(True) == RecoverySettings()
    node = RecoverySettings.from_option({"skip_middlewares": True, "max_disconnection_duration": 9})
    assert node is not None and node.skip_connect_handler and node.max_disconnection_duration == 9
    with pytest.raises(TypeError, match="max_disconection_duration"):
        RecoverySettings.from_option({"max_disconection_duration": 9})


def test_ack_collector_ignores_late_and_unexpected_answers() -> None:
    collector = AckCollector(load_driver("threading"))
    answer_a = collector.expect("a")
    collector.expect("b")
    collector.sealed()
    assert not collector.done.is_set()
    answer_a(1, 2)
    collector.answer("stranger", [0])
    acks = collector.result()
    assert dict(acks) == {"a": [1, 2]} and acks.missing == {"b"} and not acks.complete
    collector.answer("b", [3])  # too late
    assert "b" not in collector.result()
    empty = AckCollector(load_driver("threading"))
    empty.sealed()
    assert empty.done.is_set() and empty.result().complete


def test_the_collector_waits_for_the_reports_of_the_other_processes() -> None:
    collector = AckCollector(load_driver("threading"))
    collector.await_reports(2)
    collector.expect("a")("here")
    collector.sealed()
    assert not collector.done.is_set()  # two processes have not reported yet
    collector.answer("c", ["early"], remote=True)  # before its process's report
    collector.reported(["c", "d"])
    assert not collector.done.is_set()
    collector.reported([])  # a process with nobody to ask
    assert not collector.done.is_set()  # d is still out
    collector.answer("d", ["late"], remote=True)
    assert collector.done.is_set()
    acks = collector.result()
    assert dict(acks) == {"a": ["here"], "c": ["early"], "d": ["late"]} and acks.complete


def test_the_store_option_picks_memory_or_redis_and_refuses_nonsense() -> None:
    from flask_socketio.managers import Manager
    from flask_socketio.managers.recovery import MemoryRecoveryStore
    from flask_socketio.server.recovery import make_store

    with pytest.raises(ValueError, match="store"):
        RecoverySettings.from_option({"store": "mongo"})
    redis_only = RecoverySettings.from_option({"store": "redis"})
    assert redis_only is not None
    with pytest.raises(ValueError, match="redis:// message_queue"):
        make_store(redis_only, Manager())
    auto = RecoverySettings.from_option(True)
    assert auto is not None and isinstance(make_store(auto, Manager()), MemoryRecoveryStore)
    # Chosen from the message queue (nothing connects yet).
    from flask_socketio.managers import from_url
    from flask_socketio.managers.recovery import RedisRecoveryStore

    redis_queue = from_url("redis://127.0.0.1:6379/0", channel="c", write_only=True)
    store = make_store(auto, redis_queue)
    assert isinstance(store, RedisRecoveryStore) and store.key == "c:recovery"
    rabbit = from_url("amqp://guest:guest@127.0.0.1:5672//", write_only=True)
    assert isinstance(make_store(auto, rabbit), MemoryRecoveryStore)
    memory = RecoverySettings.from_option({"store": "memory"})
    assert memory is not None and isinstance(make_store(memory, redis_queue), MemoryRecoveryStore)


def test_a_session_that_cannot_be_recovered_expires_as_final() -> None:
    store = MemoryRecoveryStore(max_disconnection_duration=5, max_missed=1)
    session = saved(store, now=0.0)
    for n in range(3):
        store.append("/", None, frozenset(), [n], now=1.0)
    assert store.restore("p", None, now=2.0) is None  # missed too much
    assert store.expired(now=6.0) == [session]  # its disconnect handler runs then
