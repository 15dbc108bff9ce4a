"""Fixtures shared by the test suites: live servers on 127.0.0.1, service checks."""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

# The servers `python -m tests.serve` starts (see there): every async mode, and
# the gevent mode once more behind gevent-websocket's handler.
ASYNC_MODES = ("threading", "eventlet", "gevent", "gevent-websocket")
_MODE_PACKAGES = {"eventlet": "eventlet", "gevent": "gevent", "gevent-websocket": "geventwebsocket"}


def require(condition: bool, reason: str) -> None:
    """Skip a test whose service is missing; in CI a missing service fails it."""
    if not condition:
        if IN_CI:
            pytest.fail(f"required in CI: {reason}")
        pytest.skip(reason)


def wait_for_port(port: int, timeout: float = 20) -> None:
    """Wait until something accepts connections on 127.0.0.1:`port`.

    >>> wait_for_port(server.port)  # doctest: +SKIP
    """
    deadline = time.monotonic() + timeout
    while True:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        if time.monotonic() > deadline:
            raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")
        time.sleep(0.1)


@dataclass
class LiveServer:
    """A server process started by `start_server`."""

    proc: subprocess.Popen
    port: int
    log_path: Path
    url: str = field(init=False)

    def __post_init__(self) -> None:
        self.url = f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


def start_server(app: str, log_path: Path, async_mode: str = "threading",
                 env: dict[str, str] | None = None, timeout: float = 20,
                 port: int = 0) -> LiveServer:
    """Run ``python -m tests.serve app`` and wait for the port it prints
    (`port` 0: an ephemeral one)."""
    full_env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'src'}",
                "PYTHONUNBUFFERED": "1", **(env or {})}
    log_file = open(log_path, "wb")  # noqa: SIM115 - lives as long as the process
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.serve", app, "--async-mode", async_mode,
         "--port", str(port)],
        cwd=ROOT, env=full_env, stdout=subprocess.PIPE, stderr=log_file,
    )
    deadline = time.monotonic() + timeout
    assert proc.stdout is not None
    line = proc.stdout.readline().decode()
    if not line.startswith("PORT ") or time.monotonic() > deadline:
        proc.kill()
        raise RuntimeError(f"server did not start: {line!r}\n{log_path.read_text()}")
    return LiveServer(proc, int(line.split()[1]), log_path)


class ServerFactory:
    """Starts servers whose logs go to `directory`, and stops them all."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.started: list[LiveServer] = []

    def __call__(self, app: str, async_mode: str = "threading", **env: str) -> LiveServer:
        log_path = self.directory / f"server{len(self.started)}.log"
        server = start_server(app, log_path, async_mode, env)
        self.started.append(server)
        return server

    def stop_all(self) -> None:
        for server in self.started:
            server.stop()


@pytest.fixture
def server_factory(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[ServerFactory]:
    """Start servers for a test; their logs are printed if the test fails."""
    factory = ServerFactory(tmp_path)
    yield factory
    factory.stop_all()
    if getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed:
        for server in factory.started:
            sys.stderr.write(f"--- server log ({server.url}) ---\n{server.log()[-5000:]}\n")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture(scope="module")
def module_server_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerFactory]:
    """Like `server_factory`, for servers shared by the tests of one module."""
    factory = ServerFactory(tmp_path_factory.mktemp("servers"))
    yield factory
    factory.stop_all()


@pytest.fixture(scope="module", params=ASYNC_MODES)
def async_mode(request: pytest.FixtureRequest) -> str:
    """Each async mode in turn: a module's tests run once per mode, against
    servers started for that mode (pass it to the server factory)."""
    package = _MODE_PACKAGES.get(request.param)
    require(package is None or importlib.util.find_spec(package) is not None,
            f"{package} is not installed (pip install -e '.[eventlet,gevent]')")
    return request.param
