"""The demo (`make demo`, examples/chat/app.py) starts clean and serves real clients.

Its first start printed two warnings (eventlet's deprecation notice and the
"running without monkey patching" one); it runs in the gevent mode, patched,
as docs/deployment.md recommends, and must print nothing but its address.
"""

from __future__ import annotations

import os
import queue
import subprocess
import sys

import pytest
import socketio

from tests.conftest import ROOT, wait_for_port
from tests.deploy.test_production_commands import free_port


@pytest.fixture
def chat_app(tmp_path):
    pytest.importorskip("gevent")
    port = free_port()
    log_path = tmp_path / "chat.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "examples/chat/app.py"], cwd=ROOT, stdout=subprocess.PIPE,
            stderr=log, env={**os.environ, "PORT": str(port), "PYTHONPATH": str(ROOT / "src")},
        )
    assert proc.stdout is not None
    first_line = proc.stdout.readline().decode()
    wait_for_port(port)
    yield first_line, f"http://127.0.0.1:{port}", log_path
    proc.terminate()
    proc.wait(10)


def test_demo_starts_clean_and_chats(chat_app) -> None:
    first_line, url, log_path = chat_app
    assert first_line == f"chat on {url}\n"
    heard: queue.Queue = queue.Queue()
    clients = []
    try:
        for transport in ("websocket", "polling"):
            client = socketio.Client(reconnection=False)
            client.on("chat", heard.put)
            client.connect(url, transports=[transport], wait_timeout=10)
            assert client.transport() == transport
            client.call("set_username", transport, timeout=10)
            assert client.call("join", {"username": transport, "room": "lobby"},
                               timeout=10) == ["lobby"]
            clients.append(client)
        assert clients[0].call("chat", {"room": "lobby", "text": "hi"}, timeout=10) == {
            "ok": True}
        assert {heard.get(timeout=10)["from"], heard.get(timeout=10)["from"]} == {"websocket"}
    finally:
        for client in clients:
            client.disconnect()
    assert log_path.read_text() == "", "the demo wrote to stderr"
