"""Soak: hold N concurrent websocket clients in ONE server process, then broadcast
to all of them, in the eventlet and gevent async modes.

    .venv/bin/python benchmarks/soak_connections.py [--clients 5000] [--modes eventlet gevent]

For each mode it starts this file as the server (``--serve MODE``: monkey
patched first, then ``socketio.run()``, so eventlet's connection cap and the
listen backlog of `serve` are what is exercised), opens N Engine.IO v4 /
Socket.IO v5 websocket clients from one asyncio process (raw wsproto, no
client library: a client costs the generator next to nothing), asks the
server over HTTP to emit one event to everybody, and waits until every client
got it. Clients answer pings, so the connections are held as in production.
It prints one line per mode and exits non-zero if any client missed the
broadcast. Not a test: a few minutes of wall time and 2 * N sockets.
"""

from __future__ import annotations

import sys

if __name__ == "__main__" and "--serve" in sys.argv:
    # The server: monkey patch before anything imports socket or threading.
    _MODE = sys.argv[sys.argv.index("--serve") + 1]
    if _MODE == "eventlet":
        import eventlet

        eventlet.monkey_patch()
    else:
        from gevent import monkey

        monkey.patch_all()

import argparse  # noqa: E402
import asyncio  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import resource  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import urllib.request  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


# -- the server ---------------------------------------------------------------


def serve(mode: str, port: int) -> None:
    from flask import Flask

    from flask_socketio import SocketIO

    app = Flask(__name__)
    socketio = SocketIO(app, async_mode=mode, cors_allowed_origins="*")
    connected = set()

    @socketio.on("connect")
    def on_connect(auth=None):
        from flask import request

        connected.add(request.sid)

    @socketio.on("disconnect")
    def on_disconnect(reason=None):
        from flask import request

        connected.discard(request.sid)

    @app.get("/stats")
    def stats():
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return {
            "async_mode": socketio.async_mode,
            "clients": len(connected),
            "rss_kb": _rss_kb(),
            "cpu_s": usage.ru_utime + usage.ru_stime,
        }

    @app.post("/broadcast")
    def broadcast():
        started = time.perf_counter()
        socketio.emit("news", {"n": len(connected), "pad": "x" * 64})
        return {"emit_s": time.perf_counter() - started}

    socketio.run(app, host="127.0.0.1", port=port, log_output=False)


def _rss_kb() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


# -- the clients ----------------------------------------------------------------


class Client:
    """One raw Engine.IO v4 websocket client joined to the "/" namespace."""

    def __init__(self) -> None:
        self.connected = asyncio.Event()
        self.got_news = asyncio.Event()
        self.task: asyncio.Task | None = None

    async def run(self, port: int, stop: asyncio.Event) -> None:
        from wsproto import ConnectionType, WSConnection
        from wsproto.events import (
            AcceptConnection,
            CloseConnection,
            Ping,
            Request,
            TextMessage,
        )

        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        ws = WSConnection(ConnectionType.CLIENT)
        target = "/socket.io/?EIO=4&transport=websocket"
        writer.write(ws.send(Request(host="127.0.0.1", target=target)))
        parts: list[str] = []
        try:
            while not stop.is_set():
                data = await reader.read(65536)
                if not data:
                    return
                ws.receive_data(data)
                for event in ws.events():
                    if isinstance(event, AcceptConnection):
                        pass
                    elif isinstance(event, TextMessage):
                        parts.append(event.data)
                        if not event.message_finished:
                            continue
                        message, parts = "".join(parts), []
                        if message.startswith("0"):
                            writer.write(ws.send(TextMessage("40")))
                        elif message.startswith("40"):
                            self.connected.set()
                        elif message == "2":
                            writer.write(ws.send(TextMessage("3")))
                        elif message.startswith('42["news"'):
                            self.got_news.set()
                    elif isinstance(event, Ping):
                        writer.write(ws.send(event.response()))
                    elif isinstance(event, CloseConnection):
                        return
        finally:
            writer.close()


async def drive(port: int, clients: int, concurrency: int, timeout: float) -> dict:
    stop = asyncio.Event()
    pool = [Client() for _ in range(clients)]
    gate = asyncio.Semaphore(concurrency)

    async def start(client: Client) -> None:
        async with gate:
            client.task = asyncio.create_task(client.run(port, stop))
            await asyncio.wait(
                [asyncio.create_task(client.connected.wait()), client.task],
                timeout=timeout,
                return_when=asyncio.FIRST_COMPLETED,
            )

    baseline = await asyncio.to_thread(_http, port, "GET", "/stats")
    started = time.perf_counter()
    await asyncio.gather(*(start(client) for client in pool))
    connect_s = time.perf_counter() - started
    held = sum(client.connected.is_set() for client in pool)
    stats = await asyncio.to_thread(_http, port, "GET", "/stats")

    started = time.perf_counter()
    emit = await asyncio.to_thread(_http, port, "POST", "/broadcast")
    waits = [asyncio.create_task(client.got_news.wait()) for client in pool]
    await asyncio.wait(waits, timeout=timeout)
    deliver_s = time.perf_counter() - started
    received = sum(client.got_news.is_set() for client in pool)
    after = await asyncio.to_thread(_http, port, "GET", "/stats")

    stop.set()
    for client in pool:
        if client.task is not None:
            client.task.cancel()
    await asyncio.gather(*(w for w in waits), return_exceptions=True)
    return {
        "async_mode": stats["async_mode"],
        "clients": clients,
        "held": held,
        "server_sees": stats["clients"],
        "received": received,
        "connect_s": connect_s,
        "emit_s": emit["emit_s"],
        "deliver_s": deliver_s,
        "rss_mb": stats["rss_kb"] / 1024,
        "kb_per_conn": (stats["rss_kb"] - baseline["rss_kb"]) / max(stats["clients"], 1),
        "broadcast_cpu_s": after["cpu_s"] - stats["cpu_s"],
    }


def _http(port: int, method: str, path: str) -> dict:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method, data=None)
    with urllib.request.urlopen(request, timeout=120) as response:
        return json.loads(response.read())


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_ready(port: int, proc: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}")
        try:
            _http(port, "GET", "/stats")
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("server did not start")


def soak(mode: str, clients: int, concurrency: int, timeout: float) -> dict:
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    log = tempfile.NamedTemporaryFile(prefix=f"soak-{mode}-", suffix=".log", delete=False)
    proc = subprocess.Popen(
        [sys.executable, __file__, "--serve", mode, "--port", str(port)],
        env=env,
        stderr=log,
    )
    try:
        wait_ready(port, proc)
        result = asyncio.run(drive(port, clients, concurrency, timeout))
        result["log"] = log.name
        return result
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def raise_fd_limit(needed: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < needed:
        if hard != resource.RLIM_INFINITY and hard < needed:
            raise SystemExit(f"open files limit {hard} < {needed}: raise it (ulimit -n)")
        resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=5000)
    parser.add_argument("--modes", nargs="+", default=["eventlet", "gevent"])
    parser.add_argument("--concurrency", type=int, default=200, help="connects in flight")
    parser.add_argument("--timeout", type=float, default=120)
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    raise_fd_limit(args.clients + 1024)
    if args.serve:
        serve(args.serve, args.port)
        return 0
    failed = False
    print(
        f"{'mode':9} {'clients':>7} {'held':>6} {'server':>6} {'got':>6} {'connect s':>9} "
        f"{'emit ms':>8} {'deliver ms':>10} {'RSS MB':>7} {'KB/conn':>7} {'bcast CPU ms':>12}"
    )
    for mode in args.modes:
        r = soak(mode, args.clients, args.concurrency, args.timeout)
        failed |= r["received"] != args.clients
        if r["received"] != args.clients:
            print(f"{mode}: {args.clients - r['received']} clients missed it; log: {r['log']}")
        print(
            f"{r['async_mode']:9} {r['clients']:>7} {r['held']:>6} {r['server_sees']:>6} "
            f"{r['received']:>6} {r['connect_s']:>9.1f} {r['emit_s'] * 1000:>8.1f} "
            f"{r['deliver_s'] * 1000:>10.1f} {r['rss_mb']:>7.1f} "
            f"{r['kb_per_conn']:>7.1f} "
            f"{r['broadcast_cpu_s'] * 1000:>12.1f}",
            flush=True,
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
