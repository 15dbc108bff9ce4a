"""`RedisRecoveryStore` against a real Redis (keys of its own, deleted after):
two stores stand for two processes of a cluster."""

from __future__ import annotations

import socket
import uuid

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from flask_socketio.managers.recovery import RedisRecoveryStore, SavedSession
from tests.conftest import require


@pytest.fixture
def redis_client():
    with socket.socket() as sock:
        sock.settimeout(1)
        require(sock.connect_ex(("127.0.0.1", 6379)) == 0, "redis on 127.0.0.1:6379")
    client = redis.Redis()
    key = f"test-{uuid.uuid4().hex[:8]}:recovery"
    yield client, key
    for name in client.scan_iter(f"{key}:*"):
        client.delete(name)


def save(store, pid="p", rooms=("s", "red"), carried=None, offset=None):
    session = SavedSession(pid, "s", "/", list(rooms), offset or store.last_offset(), 0.0,
                           carried=carried)
    store.persist(session)
    return session


def test_another_process_restores_the_state_and_what_it_missed(redis_client):
    client, key = redis_client
    one, two = RedisRecoveryStore(client, key), RedisRecoveryStore(client, key)
    save(one, carried={"data": {"n": 1}, "flask": {"visits": 1}})
    one.append("/", ("red",), frozenset(), ["a", b"\x01"], now=1.0)
    one.append("/", None, frozenset(), ["b"], now=1.0)
    one.append("/", ("blue",), frozenset(), ["c"], now=1.0)
    one.append("/chat", None, frozenset(), ["d"], now=1.0)
    one.append("/", None, frozenset({"s"}), ["e"], now=1.0)
    two.append("/", None, frozenset(), ["not in its process's log"], now=1.0)
    session, missed = two.restore("p", None, now=2.0)
    assert [data[:-1] for data in missed] == [["a", b"\x01"], ["b"]]
    assert session.sid == "s" and session.rooms == ["s", "red"]
    assert session.carried == {"data": {"n": 1}, "flask": {"visits": 1}}
    assert session.extra is None  # not this process's connection
    # Claimed once: neither can restore it again, and the one that saved it
    # does not call the disconnection final when its window closes.
    assert two.restore("p", None, now=2.0) is None
    assert one.expired(now=1000.0) == []


def test_its_own_offset_skips_what_it_got_and_a_lost_entry_means_afresh(redis_client):
    client, key = redis_client
    store = RedisRecoveryStore(client, key, max_packets=3)
    save(store)
    got = store.append("/", None, frozenset(), ["a"], now=1.0)
    store.append("/", None, frozenset(), ["b"], now=1.0)
    session, missed = store.restore("p", got, now=2.0)
    assert [data[0] for data in missed] == ["b"]
    save(store, offset=got)
    client.xtrim(f"{key}:log:{got.split('-')[0]}", maxlen=1, approximate=False)  # "a" is gone
    assert store.restore("p", got, now=2.0) is None


def test_unsaved_events_and_unknown_offsets_do_not_recover(redis_client):
    client, key = redis_client
    store = RedisRecoveryStore(client, key)
    save(store)
    store.append("/", None, frozenset(), ["x", object()], now=1.0)  # not JSON: a gap
    assert store.restore("p", None, now=2.0) is None
    save(store)
    assert store.restore("p", "deadbeef-1-0", now=2.0) is None
    assert store.restore("nobody", None, now=2.0) is None


def test_a_state_nobody_claimed_expires_as_final(redis_client):
    client, key = redis_client
    store = RedisRecoveryStore(client, key, max_disconnection_duration=5)
    session = save(store)
    assert store.expired(now=1.0) == []
    assert store.expired(now=10.0) == [session]
    assert client.get(f"{key}:pid:p") is None


def test_without_redis_emits_go_on_and_nobody_recovers_past_a_lost_event(redis_client):
    client, key = redis_client
    store = RedisRecoveryStore(client, key)
    save(store)
    store.append("/", None, frozenset(), ["kept"], now=1.0)
    real = store.redis
    store.redis = redis.Redis(port=1, retry=Retry(NoBackoff(), 0))  # nothing listens there
    assert store.append("/", None, frozenset(), ["lost"], now=1.0) == ""
    assert store.restore("p", None, now=2.0) is None  # Redis unreachable: afresh
    store.redis = real
    save(store)
    store.append("/chat", None, frozenset(), ["elsewhere"], now=1.0)
    assert store.restore("p", None, now=2.0) is None  # "lost" is missing from the log


def test_an_offset_of_another_process_than_the_one_it_left_does_not_recover(redis_client):
    client, key = redis_client
    one, two = RedisRecoveryStore(client, key), RedisRecoveryStore(client, key)
    elsewhere = one.append("/", None, frozenset(), ["a"], now=1.0)
    save(two)  # it left two, holding an offset of one's log
    assert two.restore("p", elsewhere, now=2.0) is None


def test_an_earlier_save_neither_restores_nor_expires_a_later_one(redis_client):
    client, key = redis_client
    one = RedisRecoveryStore(client, key, max_disconnection_duration=5)
    two = RedisRecoveryStore(client, key, max_disconnection_duration=5)
    save(one, carried={"data": None, "flask": {"visits": 1}})
    assert two.restore("p", None, now=1.0) is not None  # recovered on two
    save(two, carried={"data": None, "flask": {"visits": 2}})  # and saved there again
    # one's own save is stale: its expiry is not final, and leaves two's alone
    assert one.expired(now=10.0) == []
    assert client.get(f"{key}:pid:p") is not None
    save(two, carried={"data": None, "flask": {"visits": 2}})
    save(one, carried={"data": None, "flask": {"visits": 1}})
    one._sessions["p"].extra = ("stale connection", "transport close")
    save(two, carried={"data": None, "flask": {"visits": 2}})
    session, _ = one.restore("p", None, now=1.0)
    assert session.extra is None and session.carried["flask"] == {"visits": 2}


def test_a_state_that_cannot_be_recovered_expires_as_final(redis_client):
    client, key = redis_client
    one = RedisRecoveryStore(client, key, max_disconnection_duration=5, max_missed=1)
    two = RedisRecoveryStore(client, key, max_disconnection_duration=5, max_missed=1)
    session = save(one)
    for n in range(3):
        one.append("/", None, frozenset(), [n], now=1.0)
    assert two.restore("p", None, now=2.0) is None  # missed too much
    assert one.expired(now=10.0) == [session]  # not claimed: final
