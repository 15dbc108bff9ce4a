"""``flask run`` starts the Socket.IO-capable server (our command replaces Flask's)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from .conftest import WAIT, free_port

START_TIMEOUT = 60.0

SOCKETIO_APP = """
from flask import Flask
from flask_socketio import SocketIO

app = Flask(__name__)
socketio = SocketIO(app)


@app.route("/stop")
def stop():
    socketio.stop()
    return "stopping"


@socketio.on("echo")
def echo(data):
    return data
"""

PLAIN_APP = """
from flask import Flask

app = Flask(__name__)


@app.route("/")
def index():
    return "plain flask"
"""


@pytest.fixture
def flask_run(tmp_path: Path) -> Iterator:
    processes: list[subprocess.Popen] = []

    def start(source: str, *args: str) -> tuple[subprocess.Popen, str]:
        (tmp_path / "cliapp.py").write_text(textwrap.dedent(source))
        port = free_port()
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        env.pop("FLASK_RUN_FROM_CLI", None)
        process = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "cliapp", "run", "--port", str(port), *args],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        processes.append(process)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline and process.poll() is None:
            try:
                requests.get(url + "/", timeout=1)
                return process, url
            except requests.ConnectionError:
                time.sleep(0.1)
        process.kill()
        raise AssertionError(f"flask run did not start:\n{process.communicate()[0].decode()}")

    yield start
    for process in processes:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=WAIT)


def test_flask_run_serves_socketio_with_websocket(flask_run, client) -> None:
    process, url = flask_run(SOCKETIO_APP)
    sio = client(url, transports=["websocket"])
    assert sio.call("echo", {"over": "websocket"}, timeout=WAIT) == {"over": "websocket"}
    sio.disconnect()
    # socketio.stop() works only under the server our command starts.
    assert requests.get(url + "/stop", timeout=WAIT).text == "stopping"
    assert process.wait(timeout=START_TIMEOUT) == 0


def test_flask_run_keeps_flasks_command_for_other_apps(flask_run) -> None:
    _, url = flask_run(PLAIN_APP)
    assert requests.get(url + "/", timeout=WAIT).text == "plain flask"


def test_run_command_help() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "flask", "run", "--help"],
        capture_output=True,
        text=True,
        timeout=START_TIMEOUT,
        env={k: v for k, v in os.environ.items() if k != "FLASK_APP"},
    )
    assert result.returncode == 0
    assert "Socket.IO" in result.stdout and "--port" in result.stdout


def test_app_cli_has_the_command() -> None:
    from flask import Flask

    from flask_socketio import SocketIO
    from flask_socketio.cli import run

    app = Flask(__name__)
    SocketIO(app, async_mode="threading")
    assert app.cli.commands["run"] is run
