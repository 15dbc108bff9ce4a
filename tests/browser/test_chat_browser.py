"""The chat example in a real browser: two Chromium pages talk through a room
and a private message; the screenshots are checked for the messages."""

from __future__ import annotations

import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from tests.conftest import ROOT, require, wait_for_port

HERE = Path(__file__).resolve().parent
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def png_pixels(path: Path) -> tuple[int, int, bytes]:
    """Width, height and raw scanlines of a PNG (enough to check it is not blank)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, width, height = 8, b"", 0, 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height = struct.unpack(">II", chunk[:8])
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    return width, height, zlib.decompress(idat)


@pytest.fixture
def chat_server(tmp_path):
    require(Path(CHROMIUM).exists(), f"chromium at {CHROMIUM} (apt-get install chromium)")
    require(shutil.which("node") is not None and (HERE / "node_modules").is_dir(),
            "node and tests/browser/node_modules")
    require((ROOT / "examples/chat/node_modules/socket.io-client").is_dir(),
            "examples/chat/node_modules (make demo installs it)")
    port = free_port()
    log = open(tmp_path / "chat.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen(
        [sys.executable, "examples/chat/app.py"], cwd=ROOT, stdout=log, stderr=log,
        env={**os.environ, "PORT": str(port), "PYTHONPATH": str(ROOT / "src")},
    )
    wait_for_port(port)
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(10)
    sys.stderr.write((tmp_path / "chat.log").read_text(errors="replace")[-3000:])


def test_two_browsers_chat(chat_server, tmp_path):
    prefix = tmp_path / "chat"
    result = subprocess.run(
        ["node", str(HERE / "chat.mjs"), chat_server, str(prefix)],
        cwd=HERE, capture_output=True, text=True, timeout=90,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    alice, bob = summary["alice"], summary["bob"]
    assert "[lobby] bob: hi alice, bob here" in alice["log"]
    assert "(private) bob: a secret for alice" in alice["log"]
    assert "[lobby] alice: hello from alice" in bob["log"]
    assert "bob has entered the room." in alice["log"]
    assert any(u.startswith("alice") for u in bob["users"])
    for name in ("alice", "bob"):
        width, height, pixels = png_pixels(Path(f"{prefix}-{name}.png"))
        assert (width, height) == (900, 500)
        assert len(set(pixels[::97])) > 10, "screenshot looks blank"
    keep = os.environ.get("SCREENSHOT_DIR")
    if keep:
        for name in ("alice", "bob"):
            shutil.copy(f"{prefix}-{name}.png", Path(keep) / f"chat-{name}.png")


def test_the_chat_survives_a_dropped_connection(chat_server, tmp_path):
    prefix = tmp_path / "recovery"
    result = subprocess.run(
        ["node", str(HERE / "chat_recovery.mjs"), chat_server, str(prefix)],
        cwd=HERE, capture_output=True, text=True, timeout=90,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["after"] == {"sid": summary["sid"], "recovered": True}
    assert summary["status"].startswith("reconnected, nothing lost")
    chat = [line for line in summary["log"] if line.startswith("[lobby]")]
    assert chat == [
        "[lobby] bob: before the blip",
        "[lobby] bob: while you were away 1",
        "[lobby] bob: while you were away 2",
        "[lobby] bob: while you were away 3",
        "[lobby] alice: back again",
        "[lobby] bob: welcome back",
    ]
    # Bob never saw alice leave.
    assert "alice" in summary["bobUsers"]
    width, height, pixels = png_pixels(Path(f"{prefix}-alice.png"))
    assert (width, height) == (900, 500) and len(set(pixels[::97])) > 10
