"""The official Socket.IO Admin UI in Chromium against a two-process cluster.

The UI's built files (npm @socket.io/admin-ui, ui/dist) are served from
127.0.0.1; it logs in to the first server (bcrypt password), lists both
servers, the sockets of both processes and their room, then disconnects
the socket of the *other* process from its Sockets page: the disconnect
travels through Redis. The screenshots are checked not to be blank (set
SCREENSHOT_DIR to keep them).
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import threading
import uuid
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.browser.test_chat_browser import CHROMIUM, png_pixels
from tests.conftest import require
from tests.operations.helpers import APP, client, redis_up, wait_until

HERE = Path(__file__).resolve().parent
UI = HERE / "node_modules/@socket.io/admin-ui/ui/dist"
SHOTS = ("login", "dashboard", "servers", "sockets", "rooms", "disconnected")


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass


@pytest.fixture
def admin_ui_url():
    """The UI's files on 127.0.0.1 and an ephemeral port."""
    require(Path(CHROMIUM).exists(), f"chromium at {CHROMIUM} (apt-get install chromium)")
    require(shutil.which("node") is not None and UI.is_dir(),
            "node and tests/browser/node_modules (make node)")
    server = ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(UI))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_the_admin_ui_shows_and_disconnects_sockets_of_a_cluster(
    admin_ui_url, server_factory, tmp_path
):
    require(redis_up(), "redis on 127.0.0.1:6379")
    env = {
        "MESSAGE_QUEUE": "redis://127.0.0.1:6379/0",
        "CHANNEL": f"admin-ui-{uuid.uuid4().hex[:8]}",
        "CORS_ORIGIN": admin_ui_url,
    }
    one = server_factory(APP, SERVER_ID="server-1", **env)
    two = server_factory(APP, SERVER_ID="server-2", **env)
    alice, bob = client(one.url), client(two.url)
    bob_gone = threading.Event()
    bob.on("disconnect", lambda *args: bob_gone.set())
    try:
        for user in (alice, bob):
            assert "lobby" in user.call("join", "lobby", timeout=5)
        alice_sid, bob_sid = alice.get_sid(), bob.get_sid()
        expected = {
            "password": "changeit",
            "servers": ["server-1", "server-2"],
            "sockets": [alice_sid, bob_sid],
            "room": "lobby",
            "disconnect": bob_sid,
        }
        prefix = tmp_path / "admin"
        result = subprocess.run(
            ["node", str(HERE / "admin.mjs"), admin_ui_url, one.url, str(prefix),
             json.dumps(expected)],
            cwd=HERE, capture_output=True, text=True, timeout=120,
        )
        assert result.returncode == 0, result.stderr[-3000:] + result.stdout[-3000:]
        summary = json.loads(result.stdout.strip().splitlines()[-1])
        assert any(row.startswith("server-1") for row in summary["servers"])
        assert any(row.startswith("server-2") for row in summary["servers"])
        for sid in (alice_sid, bob_sid):
            assert any(sid in row and "websocket" in row.lower() for row in summary["sockets"])
        assert any(row.startswith("lobby") for row in summary["rooms"])
        assert any(alice_sid in row for row in summary["socketsAfter"])
        assert not any(bob_sid in row and "127.0.0.1" in row for row in summary["socketsAfter"])
        assert set(summary["blocked"]) <= {"fonts.googleapis.com", "cdn.jsdelivr.net"}
        wait_until(bob_gone.is_set, what="bob disconnected from the UI")
        assert alice.connected
        for name in SHOTS:
            width, height, pixels = png_pixels(Path(f"{prefix}-{name}.png"))
            assert (width, height) == (1280, 800)
            assert len(set(pixels[::97])) > 10, f"screenshot {name} looks blank"
        keep = os.environ.get("SCREENSHOT_DIR")
        if keep:
            for name in SHOTS:
                shutil.copy(f"{prefix}-{name}.png", Path(keep) / f"admin-ui-{name}.png")
    finally:
        alice.disconnect()
        bob.disconnect()
