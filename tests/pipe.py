"""Out-of-process clients driven through JSON lines on their stdin and stdout.

The tests run real Socket.IO clients in other processes (``tests/jsclient.py``:
Node's ``socket.io-client``; ``tests/integration/py4client.py``: python-socketio
4.x in its own venv) and talk to them the same way: one JSON object a line.
Every command carries an ``id`` and gets one reply with that ``id`` and ``ok``
(``error`` when false); lines without an ``id`` are reports (events,
disconnects...) that each client files in its own inboxes.

Bytes travel as ``{"$bin": "<base64>"}`` on the pipe (`to_wire`, `from_wire`).
Standard library only: the python-socketio 4.x process imports it too.
"""

from __future__ import annotations

import base64
import collections
import contextlib
import itertools
import json
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

_Client = TypeVar("_Client", bound="PipeClient")


def to_wire(value: Any) -> Any:
    """Replace ``bytes`` with ``{"$bin": base64}`` markers, recursively."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {"$bin": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, (list, tuple)):
        return [to_wire(v) for v in value]
    if isinstance(value, dict):
        return {k: to_wire(v) for k, v in value.items()}
    return value


def from_wire(value: Any) -> Any:
    """Turn ``{"$bin": base64}`` markers back into ``bytes``, recursively."""
    if isinstance(value, list):
        return [from_wire(v) for v in value]
    if isinstance(value, dict):
        if len(value) == 1 and isinstance(value.get("$bin"), str):
            return base64.b64decode(value["$bin"])
        return {k: from_wire(v) for k, v in value.items()}
    return value


def pop_left(queue: collections.deque[Any]) -> Any:
    """The oldest item of ``queue``, removed; None when it is empty (a `_wait` taker)."""
    return queue.popleft() if queue else None


class PipeClient:
    """A client process spoken to in JSON lines: requests, replies, reports.

    Subclasses name the process (`name`, for messages), the exception raised
    when a command fails or the process is gone (`error`), and file reports by
    overriding `_report`, which runs under `_cond` (the lock that guards the
    replies and whatever the subclass keeps for its reports); they wait for
    their reports with `_wait`.
    """

    #: How the process is called in messages ("node" gives "node client is gone").
    name = "pipe"
    #: Raised when the process is gone, and by default when a command fails.
    error: type[Exception] = RuntimeError
    #: How many of the last stderr lines go in messages.
    stderr_lines = 50
    #: How long `close` waits for the process to exit when asked, in seconds.
    exit_timeout = 3.0

    def __init__(self, argv: Sequence[str], cwd: Path | str | None = None) -> None:
        self._cond = threading.Condition()
        self._replies: dict[int, dict[str, Any]] = {}
        self._ids = itertools.count(1)
        self._alive = True
        self._stderr: collections.deque[str] = collections.deque(maxlen=self.stderr_lines)
        self._proc = subprocess.Popen(
            list(argv),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            bufsize=1,
            cwd=cwd,
        )
        self._readers = [
            threading.Thread(target=reader, daemon=True)
            for reader in (self._read_stdout, self._read_stderr)
        ]
        for thread in self._readers:
            thread.start()

    def __enter__(self: _Client) -> _Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def request(
        self,
        command: dict[str, Any],
        timeout: float = 10,
        error: type[Exception] | None = None,
    ) -> dict[str, Any]:
        """Send one raw command and return its reply; raise ``error`` if it failed.

        ``error`` defaults to the class's `error`, made by `_failure`.
        """
        command_id = next(self._ids)
        line = json.dumps(to_wire({**command, "id": command_id})) + "\n"
        with self._cond:
            if not self._alive:
                raise self.error(f"{self.name} client is gone{self._stderr_tail()}")
            assert self._proc.stdin is not None
            try:
                self._proc.stdin.write(line)
                self._proc.stdin.flush()
            except OSError as exc:
                raise self.error(
                    f"{self.name} client is gone: {exc}{self._stderr_tail()}"
                ) from exc
        what = f"reply to {command['cmd']}"
        reply = self._wait(lambda: self._replies.pop(command_id, None), timeout, what)
        if not reply["ok"]:
            raise self._failure(reply, error or self.error)
        return from_wire(reply)

    def close(self) -> None:
        """Stop the process (asks it to exit, then kills it)."""
        with self._cond:
            was_alive, self._alive = self._alive, False
            self._cond.notify_all()
        assert self._proc.stdin is not None
        if was_alive and self._proc.poll() is None:
            try:
                self._proc.stdin.write(json.dumps({"cmd": "exit", "id": 0}) + "\n")
                self._proc.stdin.flush()
                self._proc.wait(timeout=self.exit_timeout)
            except (OSError, subprocess.TimeoutExpired):
                pass
        if self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait()
        # The readers see EOF once the process is gone; close the pipes only after them.
        for thread in self._readers:
            thread.join(timeout=5)
        for stream in (self._proc.stdin, self._proc.stdout, self._proc.stderr):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()

    def _failure(self, reply: dict[str, Any], error: type[Exception]) -> Exception:
        """The exception for a failed ``reply``."""
        return error(reply["error"])

    def _report(self, msg: dict[str, Any]) -> None:
        """File a report (a line without ``id``); called under `_cond`."""

    def _wait(self, take: Callable[[], Any], timeout: float, what: str) -> Any:
        """Wait until ``take()`` (called under the lock) returns something other than None."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                value = take()
                if value is not None:
                    return value
                if not self._alive:
                    raise self.error(
                        f"{self.name} client gone, waiting for {what}{self._stderr_tail()}"
                    )
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"timed out waiting for {what}{self._stderr_tail()}")
                self._cond.wait(remaining)

    def _read_stdout(self) -> None:
        assert self._proc.stdout is not None
        for line in self._proc.stdout:
            try:
                msg = json.loads(line)
            except ValueError:
                self._stderr.append(f"stdout: {line.rstrip()}")
                continue
            with self._cond:
                if "id" in msg:
                    self._replies[msg["id"]] = msg
                else:
                    self._report(msg)
                self._cond.notify_all()
        with self._cond:
            self._alive = False
            self._cond.notify_all()

    def _read_stderr(self) -> None:
        assert self._proc.stderr is not None
        for line in self._proc.stderr:
            self._stderr.append(line.rstrip())

    def _stderr_tail(self) -> str:
        if not self._stderr:
            return ""
        return f"\n{self.name} stderr:\n" + "\n".join(self._stderr)


class PipeSocket:
    """What the sockets of every pipe client share: `transport` is theirs to define."""

    handle: str

    def transport(self) -> str | None:
        raise NotImplementedError

    def wait_transport(self, name: str, timeout: float = 5) -> None:
        """Wait until the connection runs on transport ``name`` (e.g. after an upgrade)."""
        deadline = time.monotonic() + timeout
        while (current := self.transport()) != name:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.handle} still on {current!r}, not {name!r}")
            time.sleep(0.05)
