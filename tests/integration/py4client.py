"""Drive the python-socketio 4.x client (Engine.IO 3 / Socket.IO v4) from pytest.

That client cannot live beside python-socketio 5 in the test venv, so it gets
its own, ``.venv-py4`` at the repository root (`ensure_venv` makes it). This
file is both halves: `Py4Client`, the wrapper the tests use, and, run by that
venv's interpreter (``python -m tests.integration.py4client`` from the root), the
process it drives. They talk in JSON lines (``tests/pipe.py``) like
``tests/js/client.js``: one reply ``{"id", "ok", ...}`` per command, and reports
``{"type": "event" | "connect" | "connect_error" | "disconnect", ...}``::

    with Py4Client(python) as client:
        conn = client.connect(url, namespaces=["/", "/chat"], transports=["websocket"])
        assert conn["/"].call("echo", b"\\x01") == [b"\\x01"]

Bytes travel as ``{"$bin": "<base64>"}`` on the pipe.
"""

from __future__ import annotations

import collections
import hashlib
import itertools
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

# Standard library only, so the client side can import it in its venv too.
from tests.pipe import PipeClient, PipeSocket, from_wire, pop_left, to_wire

ROOT = Path(__file__).resolve().parents[2]
VENV = ROOT / ".venv-py4"
REQUIREMENTS = (
    "python-socketio[client]>=4.6,<5",
    "python-engineio>=3.14,<4",
    "requests>=2.31",
    "websocket-client>=1.7",
)
#: Events every connection reports unless told otherwise (4.x has no catch-all).
DEFAULT_EVENTS = ("welcome", "news", "room_msg", "server_event", "message", "mixed")


def ensure_venv(timeout: float = 600) -> Path:
    """Make ``.venv-py4`` with the 4.x client if needed; return its interpreter.

    Raises ``RuntimeError`` (with pip's output) when it cannot be made.
    """
    python = VENV / "bin" / "python"
    digest = hashlib.sha1("\n".join(REQUIREMENTS).encode()).hexdigest()[:12]
    stamp = VENV / f".installed-{digest}"
    if stamp.exists() and python.exists():
        return python
    steps = [
        [sys.executable, "-m", "venv", "--clear", str(VENV)],
        [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check",
         *REQUIREMENTS],
    ]
    for step in steps:
        done = subprocess.run(step, capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(step)} failed:\n{done.stdout}\n{done.stderr}")
    stamp.touch()
    return python


# -- the test side -------------------------------------------------------------


class Py4Error(Exception):
    """A command failed in the client process, or the process is gone."""


class Py4Socket(PipeSocket):
    """One namespace of a 4.x client connection (shaped like ``jsclient.JSSocket``)."""

    def __init__(self, client: Py4Client, handle: str, namespace: str, sid: str) -> None:
        self.client = client
        self.handle = handle
        self.namespace = namespace
        #: The 4.x client knows one id, the Engine.IO sid.
        self.sid = sid

    def _cmd(self, cmd: str, **fields: Any) -> dict[str, Any]:
        return self.client.request(
            {"cmd": cmd, "client": self.handle, "namespace": self.namespace, **fields},
            timeout=fields.get("timeout", 5) + 5,
        )

    def emit(self, event: str, *args: Any) -> None:
        self._cmd("emit", event=event, args=list(args))

    def call(self, event: str, *args: Any, timeout: float = 5) -> list[Any]:
        """Emit with a callback; return the arguments of the server's ack."""
        return self._cmd("emit", event=event, args=list(args), ack=True, timeout=timeout)["args"]

    def listen(self, event: str, ack_reply: list[Any] | None = None) -> None:
        """Report `event`; when the server asks for an ack, answer with `ack_reply`."""
        self._cmd("listen", event=event, ack_reply=ack_reply)

    def wait_event(self, event: str, timeout: float = 5) -> list[Any]:
        return self.client.wait_report(self.handle, "event", self.namespace, event, timeout)

    def received(self, event: str) -> list[list[Any]]:
        return self.client.peek_reports(self.handle, "event", self.namespace, event)

    def wait_connect_error(self, timeout: float = 5) -> list[Any]:
        return self.client.wait_report(self.handle, "connect_error", self.namespace, None, timeout)

    def wait_disconnect(self, timeout: float = 5) -> list[Any]:
        return self.client.wait_report(self.handle, "disconnect", self.namespace, None, timeout)

    def transport(self) -> str | None:
        return self._cmd("transport")["transport"]

    def disconnect(self) -> None:
        """Disconnect the whole client: 4.x has no way to leave one namespace."""
        self._cmd("disconnect")


class Py4Client(PipeClient):
    """A process running python-socketio 4.x clients (several, by handle)."""

    name = "py4"
    error = Py4Error
    stderr_lines = 60
    # Leaving takes the process up to 2 s (see the end of `_serve`).
    exit_timeout = 5.0

    def __init__(self, python: Path) -> None:
        self._reports: dict[tuple[str, str, str, str | None], collections.deque] = (
            collections.defaultdict(collections.deque)
        )
        self._handles = itertools.count(1)
        # Run as a module from the root, so that `tests.pipe` can be imported.
        super().__init__([str(python), "-m", "tests.integration.py4client"], cwd=ROOT)

    def connect(
        self,
        url: str,
        namespaces: Sequence[str] = ("/",),
        transports: list[str] | None = None,
        query: dict[str, str] | None = None,
        listen: Sequence[str] = DEFAULT_EVENTS,
        timeout: float = 10,
    ) -> dict[str, Py4Socket]:
        """Connect one client to `namespaces`; return a socket per namespace joined.

        `query` goes in the URL (the handshake query: the 4.x client has no
        auth, and sends no query with the CONNECT of other namespaces).
        Namespaces the server refused are missing from the result; their
        ``connect_error`` reports are kept in `errors`.
        """
        handle = f"c{next(self._handles)}"
        if query:
            from urllib.parse import urlencode

            url = f"{url}?{urlencode(query)}"
        reply = self.request(
            {"cmd": "connect", "client": handle, "url": url, "namespaces": list(namespaces),
             "transports": transports, "listen": list(listen), "timeout": timeout},
            timeout=timeout + 5,
        )
        self.errors = {ns: self.wait_report(handle, "connect_error", ns, None, 0)
                       for ns in reply["refused"]}
        return {ns: Py4Socket(self, handle, ns, reply["sid"]) for ns in reply["connected"]}

    def wait_report(
        self, handle: str, kind: str, namespace: str, event: str | None, timeout: float
    ) -> list[Any]:
        queue = self._reports[(handle, kind, namespace, event)]
        return self._wait(lambda: pop_left(queue), timeout,
                          f"{kind} {event or ''} on {handle} {namespace}")

    def peek_reports(
        self, handle: str, kind: str, namespace: str, event: str | None
    ) -> list[list[Any]]:
        with self._cond:
            return list(self._reports[(handle, kind, namespace, event)])

    def _report(self, msg: dict[str, Any]) -> None:
        key = (msg["client"], msg["type"], msg["namespace"], msg.get("event"))
        self._reports[key].append(from_wire(msg.get("args", [])))


# -- the client side (runs in .venv-py4) -----------------------------------------


def _serve() -> None:  # pragma: no cover - runs in the other venv
    import socketio  # python-socketio 4.x

    assert socketio.__version__.startswith("4."), socketio.__version__
    lock = threading.Lock()
    clients: dict[str, Any] = {}
    replies: dict[tuple[str, str, str], Any] = {}  # (client, namespace, event) -> ack reply

    def write(msg: dict[str, Any]) -> None:
        with lock:
            sys.stdout.write(json.dumps(to_wire(msg)) + "\n")
            sys.stdout.flush()

    def hook(client: Any, handle: str, namespace: str, event: str) -> None:
        def handler(*args: Any) -> Any:
            write({"type": "event", "client": handle, "namespace": namespace, "event": event,
                   "args": list(args)})
            reply = replies.get((handle, namespace, event))
            return None if reply is None else tuple(from_wire(reply))

        client.on(event, handler, namespace=namespace)

    def connect(cmd: dict[str, Any]) -> dict[str, Any]:
        handle = cmd["client"]
        client = socketio.Client(reconnection=False)
        clients[handle] = client
        namespaces = cmd["namespaces"]
        settled: dict[str, str] = {}
        done = threading.Condition()

        for ns in namespaces:
            def on_connect(ns: str = ns) -> None:
                write({"type": "connect", "client": handle, "namespace": ns})
                with done:
                    settled.setdefault(ns, "connected")
                    done.notify_all()

            def on_error(*args: Any, ns: str = ns) -> None:
                write({"type": "connect_error", "client": handle, "namespace": ns,
                       "args": list(args)})
                with done:
                    settled.setdefault(ns, "refused")
                    if ns == "/":  # the client then never asks for the others
                        for other in namespaces:
                            settled.setdefault(other, "refused")
                    done.notify_all()

            def on_disconnect(ns: str = ns) -> None:
                write({"type": "disconnect", "client": handle, "namespace": ns})

            client.on("connect", on_connect, namespace=ns)
            client.on("connect_error", on_error, namespace=ns)
            client.on("disconnect", on_disconnect, namespace=ns)
            for event in cmd["listen"]:
                hook(client, handle, ns, event)
        client.connect(cmd["url"], transports=cmd["transports"], namespaces=namespaces)
        deadline = time.monotonic() + cmd["timeout"]
        with done:
            while len(settled) < len(namespaces) and time.monotonic() < deadline:
                done.wait(deadline - time.monotonic())
        if len(settled) < len(namespaces):
            pending = sorted(set(namespaces) - set(settled))
            raise TimeoutError(f"namespaces still pending: {pending}")
        return {
            "sid": client.sid,
            "transport": client.transport(),
            "connected": [ns for ns in namespaces if settled[ns] == "connected"],
            "refused": [ns for ns in namespaces if settled[ns] == "refused"],
        }

    def emit(cmd: dict[str, Any]) -> dict[str, Any]:
        client = clients[cmd["client"]]
        args = from_wire(cmd["args"])
        data = tuple(args) if len(args) != 1 else args[0]
        if not args:
            data = None
        if not cmd.get("ack"):
            client.emit(cmd["event"], data, namespace=cmd["namespace"])
            return {}
        got = threading.Event()
        result: list[Any] = []

        def callback(*values: Any) -> None:
            result.extend(values)
            got.set()

        client.emit(cmd["event"], data, namespace=cmd["namespace"], callback=callback)
        if not got.wait(cmd.get("timeout", 5)):
            raise TimeoutError("no ack")
        return {"args": result}

    def listen(cmd: dict[str, Any]) -> dict[str, Any]:
        client = clients[cmd["client"]]
        replies[(cmd["client"], cmd["namespace"], cmd["event"])] = cmd.get("ack_reply")
        hook(client, cmd["client"], cmd["namespace"], cmd["event"])
        return {}

    def transport(cmd: dict[str, Any]) -> dict[str, Any]:
        return {"transport": clients[cmd["client"]].transport()}

    def disconnect(cmd: dict[str, Any]) -> dict[str, Any]:
        clients[cmd["client"]].disconnect()
        return {}

    commands = {"connect": connect, "emit": emit, "listen": listen, "transport": transport,
                "disconnect": disconnect}

    def run(cmd: dict[str, Any]) -> None:
        try:
            write({"id": cmd["id"], "ok": True, **commands[cmd["cmd"]](cmd)})
        except Exception as exc:
            write({"id": cmd["id"], "ok": False, "error": f"{type(exc).__name__}: {exc}"})

    for line in sys.stdin:
        if not line.strip():
            continue
        cmd = json.loads(line)
        if cmd["cmd"] == "exit":
            break
        # Each command on its own thread: a call waiting for its ack must not
        # hold up the next command.
        threading.Thread(target=run, args=(cmd,), daemon=True).start()
    # Leave politely, but not for long: a websocket close can wait seconds.
    leaving = [threading.Thread(target=client.disconnect, daemon=True)
               for client in clients.values()]
    for thread in leaving:
        thread.start()
    for thread in leaving:
        thread.join(2)
    sys.stdout.flush()
    os._exit(0)  # the 4.x client's I/O threads are not daemons


if __name__ == "__main__":
    _serve()
