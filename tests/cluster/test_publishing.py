"""Publishing is safe from any number of threads and greenlets: four tasks
emitting at once through one manager get every message onto the channel,
each task's in order (read at the wire), on Redis and RabbitMQ."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid

import pytest

from tests.cluster.test_cluster import port_open
from tests.cluster.wire import QUEUES, WireReader
from tests.conftest import ROOT, require

COUNT = 1500


@pytest.mark.parametrize("mode", ["threading", "gevent"])
@pytest.mark.parametrize("broker", list(QUEUES))
def test_four_tasks_emitting_at_once(broker: str, mode: str) -> None:
    url, port = QUEUES[broker]
    require(port_open(port), f"{broker} on 127.0.0.1:{port}")
    channel = f"test-storm-{uuid.uuid4().hex[:8]}"
    reader = WireReader(url, channel)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "tests.cluster.storm", mode, url, channel, str(COUNT)],
            cwd=ROOT, env={**os.environ, "PYTHONPATH": f"{ROOT}:{ROOT / 'src'}"},
            capture_output=True, timeout=240, check=False,
        )
        assert done.returncode == 0, done.stderr.decode()[-3000:]
        seen: dict[int, list[int]] = {task: [] for task in range(4)}
        for raw in reader.take(4 * COUNT, timeout=30):
            message = json.loads(raw)
            assert message["method"] == "emit" and message["event"] == "storm"
            (payload,) = message["args"]
            seen[payload["task"]].append(payload["n"])
        assert seen == {task: list(range(COUNT)) for task in range(4)}
        assert reader.messages.empty()
    finally:
        reader.close()
