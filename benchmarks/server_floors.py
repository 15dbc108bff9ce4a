"""What the async mode's web server costs by itself, with an app that does nothing.

    python3 benchmarks/server_floors.py                       # every mode
    python3 benchmarks/server_floors.py --async-mode eventlet --connections 2000

Two figures per async mode, each against the WSGI server that ``socketio.run()``
uses there (Werkzeug's threaded server, eventlet.wsgi, gevent's pywsgi) and a
WSGI app that does nothing else: no Engine.IO, Socket.IO or Flask.

- **RSS per idle websocket**: the app answers the upgrade with 101 on the
  socket the server hands it and waits in ``recv()``; --connections clients
  (benchmarks/loadgen/floor_hold.js) open and stay; the server's RSS before
  and after, divided by the connections.
- **CPU per polling round trip**: a POST whose body is read and answered
  ``ok`` and a GET answered at once, over keep-alive connections, by
  --clients clients for --seconds (benchmarks/loadgen/floor_polling.js); the
  server's CPU time (/proc) divided by the round trips.

These are floors: any implementation served by that web server spends at
least this. docs/performance.md compares them with the targets of issue 13.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import os
import subprocess
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
LOADGEN = HERE / "loadgen"
GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
POLL_REPLY = b'42["echo","' + b"x" * 40 + b'"]'


def app(environ: dict, start_response):  # noqa: ANN001, ANN201 - a WSGI app
    if environ.get("HTTP_UPGRADE", "").lower() == "websocket":
        sock = environ.get("werkzeug.socket") or environ.get("gevent.socket")
        if sock is None:
            sock = environ["eventlet.input"].get_socket()
        key = environ["HTTP_SEC_WEBSOCKET_KEY"].encode()
        accept = base64.b64encode(hashlib.sha1(key + GUID).digest())
        sock.sendall(
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
            b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + accept + b"\r\n\r\n"
        )
        while sock.recv(4096):
            pass
        return []
    if environ["REQUEST_METHOD"] == "POST":
        environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        body = b"ok"
    else:
        body = POLL_REPLY
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]


def serve(mode: str) -> None:
    """Serve `app` on an ephemeral port of 127.0.0.1; print the port."""
    if mode == "gevent":
        from gevent import monkey

        monkey.patch_all()
        from gevent import pywsgi

        class Handler(pywsgi.WSGIHandler):
            def get_environ(self):  # noqa: ANN202
                environ = super().get_environ()
                environ["gevent.socket"] = self.socket
                return environ

        server = pywsgi.WSGIServer(("127.0.0.1", 0), app, log=None, handler_class=Handler)
        server.init_socket()
        print(server.socket.getsockname()[1], flush=True)
        server.serve_forever()
    elif mode == "eventlet":
        import eventlet

        eventlet.monkey_patch()
        from eventlet import wsgi

        listener = eventlet.listen(("127.0.0.1", 0))
        print(listener.getsockname()[1], flush=True)
        wsgi.server(listener, app, log_output=False, max_size=20000)
    else:
        from werkzeug.serving import WSGIRequestHandler, make_server

        class Handler(WSGIRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_request(self, *args: object) -> None:
                pass

        server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=Handler)
        print(server.server_port, flush=True)
        server.serve_forever()


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(mode: str, args: argparse.Namespace) -> tuple[float, float]:
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    cmd = [str(args.python), __file__, "--serve", mode]
    with subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env
    ) as server:
        try:
            assert server.stdout is not None
            port = server.stdout.readline().strip()
            time.sleep(0.5)
            before = rss_kib(server.pid)
            node = ["node", str(LOADGEN / "floor_hold.js"), port, str(args.connections)]
            with subprocess.Popen(node, stdout=subprocess.PIPE, text=True) as hold:
                assert hold.stdout is not None
                if hold.stdout.readline().strip() != "open":
                    raise RuntimeError("the clients did not all connect")
                time.sleep(2)
                per_connection = (rss_kib(server.pid) - before) / args.connections
                hold.kill()
            time.sleep(1)
            start = cpu_seconds(server.pid)
            node = ["node", str(LOADGEN / "floor_polling.js"), port, str(args.clients)]
            out = subprocess.run(
                [*node, str(args.seconds)], capture_output=True, text=True, check=True
            )
            round_trips = int(out.stdout.strip())
            per_round_trip = (cpu_seconds(server.pid) - start) * 1000 / round_trips
            return per_connection, per_round_trip
        finally:
            server.kill()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--async-mode", default="threading,eventlet,gevent")
    p.add_argument("--connections", type=int, default=1000)
    p.add_argument("--clients", type=int, default=50)
    p.add_argument("--seconds", type=float, default=10)
    p.add_argument("--python", type=Path, default=HERE.parent / ".venv" / "bin" / "python",
                   help="the interpreter that serves (it needs gevent and eventlet)")
    p.add_argument("--serve", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.serve:
        serve(args.serve)
        return
    print("| async mode | RSS KiB per idle websocket | CPU ms per polling round trip |")
    print("|---|---|---|")
    for mode in args.async_mode.split(","):
        rss, cpu = measure(mode, args)
        print(f"| {mode} | {rss:.1f} | {cpu:.3f} |", flush=True)


if __name__ == "__main__":
    main()
