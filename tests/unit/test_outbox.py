"""The outbox of the message-queue managers: one task publishes in order,
buffering while the broker is down, with a bound and a policy when full."""

from __future__ import annotations

import logging
import threading

import pytest

from flask_socketio.drivers import load_driver
from flask_socketio.managers.outbox import Outbox


class Broker:
    def __init__(self) -> None:
        self.up = threading.Event()
        self.up.set()
        self.sent: list[bytes] = []

    def publish(self, method: str, data: bytes) -> None:
        if not self.up.is_set():
            raise ConnectionError("broker down")
        self.sent.append(data)

    def reconnect(self) -> None:
        if not self.up.is_set():
            raise ConnectionError("still down")


@pytest.mark.parametrize(("policy", "kept"), [("drop-oldest", [b"3", b"4", b"5"]),
                                              ("drop-newest", [b"0", b"1", b"2"])])
def test_a_full_outbox_drops_by_its_policy_and_sends_the_rest_in_order(policy, kept, caplog):
    caplog.set_level(logging.WARNING, "flask_socketio.managers")
    broker = Broker()
    broker.up.clear()
    box = Outbox(load_driver("threading"), broker.publish, broker.reconnect, size=3, full=policy,
                 name=f"box-{policy}", health=lambda up, detail: logging.getLogger(
                     "flask_socketio.managers").warning("box-%s %s: %s", policy,
                                                        "back" if up else "lost", detail))
    for n in range(6):
        box.put("emit", str(n).encode())  # never raises, never waits: the broker is down
    assert not box.flush(0.3) and box.down
    broker.up.set()
    assert box.flush(10)
    assert broker.sent == kept
    assert box.dropped == 3
    lines = [r.getMessage() for r in caplog.records if f"box-{policy}" in r.getMessage()]
    assert sum("outbox full" in line for line in lines) == 1
    assert sum("lost" in line for line in lines) == 1
    assert sum("back" in line and "3 dropped" in line for line in lines) == 1


def test_the_options_are_checked() -> None:
    driver = load_driver("threading")
    with pytest.raises(ValueError, match="buffer_full"):
        Outbox(driver, Broker().publish, full="drop-all")
    with pytest.raises(ValueError, match="buffer_size"):
        Outbox(driver, Broker().publish, size=0)


def test_socketio_passes_message_queue_options_to_the_manager() -> None:
    pytest.importorskip("redis")
    from flask_socketio import SocketIO

    socketio = SocketIO(message_queue="redis://127.0.0.1:1/0", async_mode="threading",
                        message_queue_options={"buffer_size": 7, "buffer_full": "drop-newest",
                                               "relay_format": "python-socketio"})
    manager = socketio.server.manager
    assert (manager.buffer_size, manager.buffer_full, manager.relay_format) == (
        7, "drop-newest", "python-socketio")


def test_after_an_outage_a_hello_goes_at_once_and_the_rest_waits_for_the_others() -> None:
    # The others wait for this process's hello to know it is back: were it to
    # wait for them in turn, each side would give the other up.
    broker = Broker()
    readiness: list[float] = []
    others_listen = threading.Event()

    def ready(timeout: float) -> bool:
        readiness.append(timeout)
        return others_listen.wait(timeout)

    box = Outbox(load_driver("threading"), broker.publish, broker.reconnect, ready=ready)
    box.mark_stale()
    box.put("hello", b"hello")
    assert box.flush(2) and broker.sent == [b"hello"] and readiness == []
    box.put("emit", b"news")
    assert not box.flush(0.3) and broker.sent == [b"hello"]  # waits for the others
    others_listen.set()
    assert box.flush(5) and broker.sent == [b"hello", b"news"]
    assert len(readiness) == 1
