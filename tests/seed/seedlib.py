"""Helpers for the seed tests: app servers in subprocesses and recording clients.

``start_server(name)`` runs ``apps/<name>.py`` through ``serve.py`` with the
interpreter that runs pytest (``start_flask_run`` through ``flask run``).
``connected_client`` gives a real python-socketio client (``OrderedClient``:
events handled in the order the server sent them) with a ``Recorder`` that
collects what it receives on each namespace and lets a test wait for it.
"""

from __future__ import annotations

import importlib.metadata
import os
import queue
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import engineio
import socketio

SEED_DIR = Path(__file__).resolve().parent
APPS_DIR = SEED_DIR / "apps"
SERVE = SEED_DIR / "serve.py"

START_TIMEOUT = 20.0
WAIT_TIMEOUT = 15.0
TRANSPORTS = ("websocket", "polling")


def _is_reference() -> bool:
    import flask_socketio

    try:
        dist = importlib.metadata.distribution("Flask-SocketIO")
    except importlib.metadata.PackageNotFoundError:
        return False
    reference = Path(str(dist.locate_file("flask_socketio/__init__.py"))).resolve()
    return reference == Path(flask_socketio.__file__).resolve()


# Whether ``flask_socketio`` is Flask-SocketIO itself (the reference the tests are
# validated against) rather than this project. The apps run with the same
# interpreter and environment, so they import the same package.
IS_REFERENCE = _is_reference()


def token() -> str:
    """A short unique string, so that a test only looks at its own traces."""
    return uuid.uuid4().hex[:10]


@dataclass
class Server:
    """A seed app served in a subprocess."""

    name: str
    process: subprocess.Popen[bytes]
    stdout_path: Path
    stderr_path: Path
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stdout(self) -> str:
        return self.stdout_path.read_text(errors="replace")

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def wait_for_output(self, text: str, count: int = 1, timeout: float = WAIT_TIMEOUT) -> str:
        """Wait until ``text`` appears ``count`` times on the server's stdout."""
        deadline = time.monotonic() + timeout
        while True:
            out = self.stdout()
            if out.count(text) >= count:
                return out
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} x{count} not in {self.name} stdout:\n{out}")
            time.sleep(0.02)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=10)


def _read_port(server: Server, deadline: float) -> int:
    while time.monotonic() < deadline:
        for line in server.stdout().splitlines():
            if line.startswith("SEED_PORT="):
                return int(line.split("=", 1)[1])
        if server.process.poll() is not None:
            break
        time.sleep(0.02)
    raise RuntimeError(f"{server.name} did not report a port:\n{server.stderr()}")


def _wait_accepting(server: Server, deadline: float) -> bool:
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", server.port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.02)
    return False


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _launch(
    name: str, log_dir: Path, command: list[str], env: dict[str, str], attempt: int
) -> Server:
    stdout_path = log_dir / f"{name}.{attempt}.stdout"
    stderr_path = log_dir / f"{name}.{attempt}.stderr"
    with stdout_path.open("wb") as out, stderr_path.open("wb") as err:
        process = subprocess.Popen(
            command, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env, cwd=str(log_dir)
        )
    return Server(name, process, stdout_path, stderr_path)


def _child_env(extra: dict[str, str] | None) -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("SEED_ASYNC_MODE", "threading")
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra or {})
    return env


def start_server(name: str, log_dir: Path, env: dict[str, str] | None = None) -> Server:
    """Start ``apps/<name>.py`` through ``serve.py``; return once it accepts connections."""
    command = [sys.executable, str(SERVE), str(APPS_DIR / f"{name}.py")]
    last_error = ""
    for attempt in range(3):
        server = _launch(name, log_dir, command, _child_env(env), attempt)
        deadline = time.monotonic() + START_TIMEOUT
        try:
            server.port = _read_port(server, deadline)
            if _wait_accepting(server, deadline):
                return server
        except RuntimeError as exc:
            last_error = str(exc)
        server.stop()
        last_error = last_error or server.stderr()
    raise RuntimeError(f"could not start {name}:\n{last_error}")


def start_flask_run(name: str, log_dir: Path) -> Server:
    """Start ``apps/<name>.py`` with ``flask run`` (the documentation's CLI example)."""
    last_error = ""
    for attempt in range(3):
        port = _free_port()
        command = [sys.executable, "-m", "flask", "run", "--host", "127.0.0.1", "--port", str(port)]
        env = _child_env({"FLASK_APP": str(APPS_DIR / f"{name}.py")})
        server = _launch(f"{name}-flask-run", log_dir, command, env, attempt)
        server.port = port
        if _wait_accepting(server, time.monotonic() + START_TIMEOUT):
            return server
        server.stop()
        last_error = server.stderr()
    raise RuntimeError(f"could not start {name} with flask run:\n{last_error}")


class OrderedEngineIOClient(engineio.Client):
    """An Engine.IO client that dispatches received messages one at a time, in order,
    and that does not linger when disconnecting.

    python-engineio's client starts a new thread for every message it receives, so
    two events (or an event and an ack) sent in order by the server can reach the
    application out of order. The tests need the server's order to prove that
    something did *not* arrive (everything sent before a later marker has been
    seen once the marker is seen), so messages go through one FIFO worker thread.

    On disconnect the stock client waits for its read loop (a pending long-poll
    can last a ping interval) and for the websocket closing handshake (up to 3 s;
    Werkzeug never answers it). The tests never need either, and a rejected
    connection disconnects inside ``connect()``, so neither is waited for here.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._inbox: queue.SimpleQueue[tuple[Any, ...] | None] = queue.SimpleQueue()
        self._worker = threading.Thread(target=self._dispatch, daemon=True)
        self._worker.start()

    def _dispatch(self) -> None:
        while (args := self._inbox.get()) is not None:
            super()._trigger_event("message", *args, run_async=False)

    def _trigger_event(self, event: str, *args: Any, **kwargs: Any) -> Any:
        if event == "message" and kwargs.get("run_async"):
            self._inbox.put(args)
            return None
        return super()._trigger_event(event, *args, **kwargs)

    def disconnect(self, abort: bool = False, reason: Any = None) -> None:
        ws = getattr(self, "ws", None)
        if ws is not None and self.current_transport == "websocket":
            close = ws.close
            ws.close = lambda *args, **kwargs: close(timeout=0)
        super().disconnect(abort=True, reason=reason)

    def stop_dispatch(self) -> None:
        self._inbox.put(None)


class OrderedClient(socketio.Client):
    """A ``socketio.Client`` whose handlers see events in the order the server sent them."""

    def _engineio_client_class(self) -> type[engineio.Client]:
        return OrderedEngineIOClient

    def close(self) -> None:
        """Disconnect, then stop the dispatch thread."""
        try:
            self.disconnect()
        finally:
            self.eio.stop_dispatch()


@dataclass
class Received:
    """One event a client received."""

    namespace: str
    event: str
    args: tuple[Any, ...]


@dataclass
class Recorder:
    """Records every event (and connect/disconnect/connect_error) a ``Client`` gets.

    ``replies`` maps an event name to a function whose return value becomes the
    client's acknowledgement when the server asked for one.
    """

    client: socketio.Client
    namespaces: Iterable[str] = ("/",)
    replies: dict[str, Callable[..., Any]] = field(default_factory=dict)
    events: list[Received] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._cond = threading.Condition()
        for ns in self.namespaces:
            self.client.on("*", self._catch_all(ns), namespace=ns)
            for reserved in ("connect", "disconnect", "connect_error"):
                self.client.on(reserved, self._reserved(ns, reserved), namespace=ns)

    def _record(self, namespace: str, event: str, args: tuple[Any, ...]) -> Any:
        with self._cond:
            self.events.append(Received(namespace, event, args))
            self._cond.notify_all()
        reply = self.replies.get(event)
        return reply(*args) if reply else None

    def _catch_all(self, namespace: str) -> Callable[..., Any]:
        def handler(event: str, *args: Any) -> Any:
            return self._record(namespace, event, args)

        return handler

    def _reserved(self, namespace: str, event: str) -> Callable[..., Any]:
        def handler(*args: Any) -> None:
            self._record(namespace, event, args)

        return handler

    def received(self, event: str, namespace: str = "/") -> list[tuple[Any, ...]]:
        """Arguments of every ``event`` received so far on ``namespace``."""
        with self._cond:
            return [e.args for e in self.events if e.event == event and e.namespace == namespace]

    def wait_for(
        self, event: str, namespace: str = "/", count: int = 1, timeout: float = WAIT_TIMEOUT
    ) -> list[tuple[Any, ...]]:
        """Wait until ``event`` arrived ``count`` times on ``namespace``; return all of them."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                found = [
                    e.args for e in self.events if e.event == event and e.namespace == namespace
                ]
                if len(found) >= count:
                    return found
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    seen = [(e.namespace, e.event) for e in self.events]
                    raise AssertionError(
                        f"{event!r} x{count} on {namespace} not received; got {seen}"
                    )
                self._cond.wait(remaining)

    def names(self, namespace: str = "/") -> list[str]:
        """Names of the events received on ``namespace`` (without connect/disconnect)."""
        with self._cond:
            return [
                e.event
                for e in self.events
                if e.namespace == namespace and e.event not in ("connect", "disconnect")
            ]


@contextmanager
def connected_client(
    server: Server,
    namespaces: Iterable[str] = ("/",),
    transport: str | None = "websocket",
    headers: dict[str, str] | None = None,
    auth: Any = None,
    replies: dict[str, Callable[..., Any]] | None = None,
) -> Iterator[tuple[socketio.Client, Recorder]]:
    """A connected ``OrderedClient`` with a ``Recorder``; disconnected on exit.

    ``transport=None`` lets the client start with polling and upgrade.
    """
    client = OrderedClient(reconnection=False)
    namespaces = list(namespaces)
    recorder = Recorder(client, namespaces, replies=dict(replies or {}))
    try:
        client.connect(
            server.url,
            namespaces=namespaces,
            transports=[transport] if transport else None,
            headers=headers or {},
            auth=auth,
            wait_timeout=WAIT_TIMEOUT,
        )
        yield client, recorder
    finally:
        client.close()


@contextmanager
def simple_client(
    server: Server,
    namespace: str = "/",
    transport: str = "websocket",
    headers: dict[str, str] | None = None,
    auth: Any = None,
) -> Iterator[socketio.SimpleClient]:
    """A connected ``socketio.SimpleClient``; disconnected on exit."""
    client = socketio.SimpleClient()
    client.connect(
        server.url,
        namespace=namespace,
        transports=[transport],
        headers=headers or {},
        auth=auth,
        wait_timeout=WAIT_TIMEOUT,
    )
    try:
        yield client
    finally:
        # In the background: see OrderedClient.close.
        threading.Thread(target=client.disconnect, daemon=True).start()


def ack_args(
    client: socketio.Client, event: str, *args: Any, namespace: str = "/"
) -> tuple[Any, ...]:
    """Emit ``event`` asking for an ack and return the ack's arguments exactly as sent."""
    done = threading.Event()
    result: list[tuple[Any, ...]] = []

    def callback(*ack: Any) -> None:
        result.append(ack)
        done.set()

    data: Any = args if len(args) != 1 else args[0]
    client.emit(event, data if args else None, namespace=namespace, callback=callback)
    if not done.wait(WAIT_TIMEOUT):
        raise AssertionError(f"no ack for {event!r} on {namespace}")
    return result[0]


def cookie_headers(http: Any) -> dict[str, str]:
    """The cookies of a ``requests.Session`` as headers for a Socket.IO client."""
    cookies = "; ".join(f"{name}={value}" for name, value in http.cookies.items())
    return {"Cookie": cookies}
