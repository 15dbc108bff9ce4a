"""socket.io-client 1.3.x (what old CDN links still serve) in Chromium: its
engine.io-client 1.5 reads a polling answer only when it is
application/octet-stream, and reconnected for ever when it was not."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import requests

from tests.browser.test_chat_browser import CHROMIUM
from tests.conftest import ASYNC_MODES, require

HERE = Path(__file__).resolve().parent


@pytest.mark.parametrize("transports", ["'polling'", "'polling', 'websocket'"])
@pytest.mark.parametrize("mode", [m for m in ASYNC_MODES if m != "gevent-websocket"])
def test_socketio_client_1_3_connects_once_and_acks(server_factory, mode, transports):
    require(Path(CHROMIUM).exists(), f"chromium at {CHROMIUM} (apt-get install chromium)")
    require(shutil.which("node") is not None
            and (HERE / "node_modules/socket.io-client-v13").is_dir(),
            "node and tests/browser/node_modules")
    server = server_factory("tests.browser.old_client_app:app", mode,
                            OLD_CLIENT_TRANSPORTS=transports)
    done = subprocess.run(["node", "old_client.mjs", server.url + "/"], cwd=HERE,
                          capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "echo:hello", done.stdout + done.stderr
    assert requests.get(server.url + "/connects", timeout=5).text == "1"
