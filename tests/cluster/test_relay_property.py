"""Every JSON value and every bytes payload crosses a real broker as itself,
marker-like dict keys (``__bytes__``, ``__dict__``, ``b64``) included: a
hypothesis property through Redis and RabbitMQ."""

from __future__ import annotations

import queue
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flask_socketio.drivers import load_driver
from flask_socketio.managers import PubSubManager, Target, from_url
from tests.cluster.test_cluster import port_open
from tests.cluster.wire import QUEUES
from tests.conftest import require

MARKER_KEYS = st.sampled_from(["__bytes__", "__dict__", "b64", "_placeholder", "num"])
payloads = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text() | st.binary(),
    lambda children: st.lists(children)
    | st.dictionaries(st.text() | MARKER_KEYS, children)
    | st.dictionaries(MARKER_KEYS, children, max_size=1),
    max_leaves=15,
)


class Recorder:
    def __init__(self) -> None:
        self.emits: queue.Queue[list[Any]] = queue.Queue()

    def emit_to(self, target: Target, event: str, args: list[Any], callback: Any = None) -> None:
        self.emits.put(args)

    def disconnect(self, sid: str, namespace: str | None = None,
                   ignore_queue: bool = False) -> None:
        raise AssertionError("no disconnect expected")


@pytest.fixture(scope="module", params=list(QUEUES))
def relay(request) -> Iterator[tuple[PubSubManager[Any], Recorder]]:
    url, port = QUEUES[request.param]
    require(port_open(port), f"{request.param} on 127.0.0.1:{port}")
    channel = f"test-property-{uuid.uuid4().hex[:8]}"
    driver = load_driver("threading")
    sender, receiver = from_url(url, channel=channel), from_url(url, channel=channel)
    recorder = Recorder()
    sender.attach(Recorder(), driver)
    receiver.attach(recorder, driver)
    assert sender.wait_subscribed(10) and receiver.wait_subscribed(10)
    deadline = driver.monotonic() + 10
    while sender.host_id not in receiver.peers and driver.monotonic() < deadline:
        driver.sleep(0.05)
    yield sender, recorder


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=payloads)
def test_any_payload_crosses_the_broker_as_itself(relay, value: Any) -> None:
    sender, recorder = relay
    sender.relay_emit(Target.of("/"), "prop", [value, "end"])
    assert recorder.emits.get(timeout=10) == [value, "end"]
