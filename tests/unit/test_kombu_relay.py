"""The Kombu relay delivers each message once, even when the broker has it
twice: a publish whose confirmation was lost with its connection is sent
again (the broker routed the first), and a message whose ack was lost is
delivered again. Run on kombu's in-memory transport."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest

from flask_socketio.drivers import load_driver
from flask_socketio.managers import Target
from flask_socketio.managers.kombu import KombuManager, RecentIds
from tests.unit.test_managers import Peer

pytest.importorskip("kombu")


def wait_for(condition, timeout: float = 5) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_a_publish_sent_again_after_a_lost_confirmation_arrives_once(monkeypatch) -> None:
    from kombu.messaging import Producer

    channel = f"test-once-{uuid.uuid4().hex[:8]}"
    driver = load_driver("threading")
    a = KombuManager("memory://", channel=channel)
    b = KombuManager("memory://", channel=channel)
    b_peer = Peer()
    a.attach(Peer(), driver)
    b.attach(b_peer, driver)
    assert a.wait_subscribed(5) and b.wait_subscribed(5)
    wait_for(lambda: b.host_id in a.peers)

    publish = Producer.publish
    lost = []

    def confirmation_lost(self: Producer, body: Any, *args: Any, **kwargs: Any) -> Any:
        result = publish(self, body, *args, **kwargs)  # the broker has it ...
        if b'"news"' in body and not lost:
            lost.append(body)  # ... but the connection broke before it said so
            raise ConnectionResetError("connection lost before the confirmation")
        return result

    monkeypatch.setattr(Producer, "publish", confirmation_lost)
    a.relay_emit(Target.of("/"), "news", [1])
    a.relay_emit(Target.of("/"), "news", [2])
    assert a.flush(10)
    emits = [b_peer.calls.get(timeout=5)[3] for _ in range(2)]
    time.sleep(0.2)
    assert lost and emits == [[1], [2]] and b_peer.calls.empty()


def test_recent_ids_remember_a_bounded_number() -> None:
    seen = RecentIds(3)
    assert [seen.repeat(x) for x in ("a", "b", "a", "c", "d", "a")] == [
        False, False, True, False, False, False,  # "a" forgotten after 3 newer ones
    ]
    assert seen.repeat(None) is False  # a message without an id (another publisher's)
    assert seen.repeat(None) is False
