"""Smoke tests of the production commands of the documentation.

Each command runs as written (the port comes from ``GUNICORN_CMD_ARGS`` for
gunicorn; uWSGI's ``--http :5000`` becomes an ephemeral port on 127.0.0.1)
and serves `echo_app`; a real python-socketio 5.x client connects over
websocket and over polling, gets its echo and a broadcast from the other;
then the server is stopped and its log must hold no traceback.
"""

from __future__ import annotations

import importlib.util
import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
import socketio

from tests.conftest import ROOT, require

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent

# (command, async mode the app must report, extra environment, stop signal)
COMMANDS = {
    "gunicorn-eventlet": (
        "gunicorn --worker-class eventlet -w 1 echo_app:app", "eventlet", {}, signal.SIGTERM),
    "gunicorn-gevent": ("gunicorn -k gevent -w 1 echo_app:app", "gevent", {}, signal.SIGTERM),
    "gunicorn-gevent-websocket": (
        "gunicorn -k geventwebsocket.gunicorn.workers.GeventWebSocketWorker -w 1 echo_app:app",
        "gevent", {}, signal.SIGTERM),
    "gunicorn-threads": (
        "gunicorn -w 1 --threads 100 echo_app:app", "threading",
        {"SOCKETIO_ASYNC_MODE": "threading"}, signal.SIGTERM),
    # uWSGI 2.0 shuts down on SIGINT (SIGTERM makes it reload).
    "uwsgi-gevent": (
        "uwsgi --http 127.0.0.1:{port} --gevent 1000 --http-websockets --master "
        "--wsgi-file echo_app.py", "gevent_uwsgi", {}, signal.SIGINT),
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def installed(module: str) -> bool:
    """Whether `module` can be imported, without importing it here."""
    try:
        return importlib.util.find_spec(module) is not None
    except ImportError:
        return False


def check_available(name: str, command: str) -> None:
    program = command.split()[0]
    require(shutil.which(program, path=str(BIN)) is not None,
            f"{program} is not installed in {BIN} (pip install -e '.[gunicorn,uwsgi]')")
    if name == "gunicorn-eventlet":
        require(installed("gunicorn.workers.geventlet"),
                "this gunicorn has no eventlet worker (removed in 26.0): install gunicorn<26")
    if "gevent-websocket" in name:
        require(installed("geventwebsocket"), "gevent-websocket is not installed")


class Served:
    def __init__(self, name: str, tmp_path: Path) -> None:
        command, self.mode, env, self.stop_signal = COMMANDS[name]
        check_available(name, command)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = tmp_path / f"{name}.log"
        env = {
            **os.environ,
            **env,
            "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
            "PYTHONPATH": os.pathsep.join([str(HERE), str(ROOT / "src")]),
            "GUNICORN_CMD_ARGS": f"--bind 127.0.0.1:{self.port} --graceful-timeout 3",
        }
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                command.format(port=self.port).split(), cwd=HERE, env=env,
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_ready(self, timeout: float = 30) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"server exited ({self.proc.returncode}):\n{self.log()}")
            try:
                return requests.get(self.url + "/", timeout=2).json()
            except requests.RequestException:
                time.sleep(0.2)
        raise AssertionError(f"server not ready in {timeout}s:\n{self.log()}")

    def stop(self) -> int | None:
        if self.proc.poll() is None:
            self.proc.send_signal(self.stop_signal)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)  # the session it was started in
                self.proc.wait(5)
                return None
        return self.proc.returncode


@pytest.fixture(params=list(COMMANDS))
def served(request, tmp_path):
    server = Served(request.param, tmp_path)
    yield server
    server.stop()
    if getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed:
        sys.stderr.write(f"--- server log ---\n{server.log()[-5000:]}\n")


def test_command_serves_websocket_and_polling(served):
    assert served.wait_ready() == {"async_mode": served.mode}
    clients = []
    shouts: queue.Queue = queue.Queue()
    try:
        for transports in (["websocket"], ["polling"]):
            client = socketio.Client(reconnection=False)
            client.on("shouted", lambda data, t=transports[0]: shouts.put((t, data)))
            client.connect(served.url, transports=transports, wait_timeout=10)
            assert client.transport() == transports[0]
            assert client.call("echo", {"over": transports[0]}, timeout=10) == {
                "over": transports[0]}
            clients.append(client)
        assert clients[1].call("shout", "to all", timeout=10) == "sent"
        heard = {shouts.get(timeout=10), shouts.get(timeout=10)}
        assert heard == {("websocket", "to all"), ("polling", "to all")}
        assert clients[0].call("echo", b"\x00binary", timeout=10) == b"\x00binary"
    finally:
        for client in clients:
            client.disconnect()
    assert served.stop() is not None, f"did not stop:\n{served.log()}"
    log = served.log()
    assert "Traceback" not in log and "Error" not in log.replace("error_log", ""), log

