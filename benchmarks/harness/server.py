"""Start the benchmark app (serve.py) for one implementation, and stop it."""

import os
import queue
import signal
import subprocess
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from .envs import BENCH_DIR, Implementation

START_TIMEOUT_S = 30.0


class ServerError(Exception):
    pass


class Server:
    """A running serve.py: its pid, port and the flask_socketio it imported.

    Use as a context manager so the process is stopped whatever happens.
    """

    def __init__(
        self, impl: Implementation, async_mode: str, extra_env: dict[str, str] | None = None
    ) -> None:
        self.impl = impl
        env = dict(os.environ, BENCH_ASYNC_MODE=async_mode, PYTHONUNBUFFERED="1")
        env.update(extra_env or {})
        env.pop("PYTHONPATH", None)
        if impl.pythonpath is not None:
            env["PYTHONPATH"] = str(impl.pythonpath)
        self._stderr = tempfile.TemporaryFile("w+")
        self.process = subprocess.Popen(
            impl.command,
            cwd=BENCH_DIR,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
        )
        self.pid = self.process.pid
        self.port = 0
        self.package_dir = ""

    def __enter__(self) -> "Server":
        try:
            self._wait_until_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def alive(self) -> bool:
        return self.process.poll() is None

    def stderr_tail(self) -> str:
        """The server's last line on stderr: a traceback's exception line."""
        self._stderr.seek(0)
        lines = self._stderr.read().strip().splitlines()
        return lines[-1] if lines else "(nothing on stderr)"

    def stop(self) -> None:
        if self.alive():
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._stderr.close()

    def _wait_until_ready(self) -> None:
        # Read stdout in a thread: it must keep being drained after the PORT
        # line (Flask prints a banner) or the server could block on a full pipe.
        lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=_pump, args=(self.process, lines), daemon=True).start()
        deadline = time.monotonic() + START_TIMEOUT_S
        while not self.port:
            try:
                line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise ServerError("no PORT line within the start timeout") from None
            if line is None:
                raise ServerError(f"exited with {self.process.wait()}: {self.stderr_tail()}")
            key, _, value = line.strip().partition(" ")
            if key == "IMPL":
                self.package_dir = value
            elif key == "PORT":
                self.port = int(value)
        expected = self.impl.expected_package_dir
        if expected is not None and not Path(self.package_dir).is_relative_to(expected):
            raise ServerError(
                f"imported flask_socketio from {self.package_dir}, expected it under {expected}"
            )
        self._wait_for_health(deadline)

    def _wait_for_health(self, deadline: float) -> None:
        url = f"http://127.0.0.1:{self.port}/health"
        while time.monotonic() < deadline:
            if not self.alive():
                raise ServerError(f"exited with {self.process.wait()}: {self.stderr_tail()}")
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        raise ServerError(f"{url} did not answer 200 within the start timeout")


def _pump(process: subprocess.Popen, lines: "queue.Queue[str | None]") -> None:
    assert process.stdout is not None
    for line in process.stdout:
        lines.put(line)
    lines.put(None)
