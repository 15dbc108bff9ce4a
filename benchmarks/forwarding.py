"""The cost of a forwarded polling request (issue 16, point 6).

Two server processes share a message queue; one Engine.IO v3 polling client
pings (POST ``2``, then GET for the ``3``): `local` sends both requests to
the process that holds the session, `forwarded` to the other one, which
forwards them through the queue (``forward_polling``). Printed per request:
wall time (median and p99 of the round trips, halved) and the CPU time of
both server processes together (from /proc), so that the difference is what
a forwarded request costs.

    python benchmarks/forwarding.py [--queue redis://127.0.0.1:6379/0]
        [--async-mode threading|gevent] [--requests 2000]

Needs the package installed (``make lint`` makes .venv) and a running broker.
"""

from __future__ import annotations

import argparse
import http.client
import os
import statistics
import subprocess
import sys
import time
import uuid

SERVE = "--serve"


def serve(mode: str, url: str, channel: str) -> None:
    """Run one server process (this script with --serve); print its port."""
    if mode == "gevent":
        from gevent import monkey

        monkey.patch_all()
    from flask_socketio.managers import from_url
    from flask_socketio.server import Server, WSGIApp

    sio = Server(client_manager=from_url(url, channel=channel), async_mode=mode)
    app = WSGIApp(sio)
    if mode == "gevent":
        from gevent.pywsgi import WSGIServer

        from flask_socketio.drivers._green import no_delay
        from flask_socketio.drivers.gevent import WSGIHandler

        server = WSGIServer(("127.0.0.1", 0), app, log=None, handler_class=WSGIHandler)
        server.init_socket()
        no_delay(server.socket)  # as socketio.run() does
        server.start()
        print("PORT", server.server_port, flush=True)
        server.serve_forever()
    else:
        import logging

        from werkzeug.serving import make_server

        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        wsgi = make_server("127.0.0.1", 0, app, threaded=True)
        print("PORT", wsgi.server_port, flush=True)
        wsgi.serve_forever()


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def request(conn: http.client.HTTPConnection, method: str, query: str, body: bytes = b"") -> bytes:
    conn.request(method, f"/socket.io/?EIO=3&transport=polling&{query}", body or None,
                 {"Content-Type": "text/plain;charset=UTF-8"} if body else {})
    answer = conn.getresponse()
    data = answer.read()
    if answer.status != 200:
        raise RuntimeError(f"{method} {query}: {answer.status} {data!r}")
    return data


def measure(owner: int, other: int, forwarded: bool, count: int) -> list[float]:
    """Seconds per ping round trip (a POST and a GET) for `count` pings."""
    conn = http.client.HTTPConnection("127.0.0.1", owner, timeout=30)
    opened = request(conn, "GET", "").decode()
    sid = opened.split('"sid":"', 1)[1].split('"', 1)[0]
    request(conn, "GET", f"sid={sid}")  # the CONNECT of "/"
    if forwarded:
        conn.close()
        conn = http.client.HTTPConnection("127.0.0.1", other, timeout=30)
    times = []
    for _ in range(count):
        start = time.perf_counter()
        request(conn, "POST", f"sid={sid}", b"1:2")
        pong = request(conn, "GET", f"sid={sid}")
        times.append(time.perf_counter() - start)
        if b"3" not in pong:
            raise RuntimeError(f"expected a pong, got {pong!r}")
    conn.close()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--queue", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--async-mode", default="threading", choices=["threading", "gevent"])
    parser.add_argument("--requests", type=int, default=2000, help="pings per run (2 requests)")
    args = parser.parse_args()
    channel = f"bench-forward-{uuid.uuid4().hex[:8]}"
    procs = [
        subprocess.Popen([sys.executable, __file__, SERVE, args.async_mode, args.queue, channel],
                         stdout=subprocess.PIPE)
        for _ in range(2)
    ]
    try:
        ports = [int(p.stdout.readline().split()[1]) for p in procs]  # type: ignore[union-attr]
        time.sleep(1)  # the forwarders subscribe
        measure(ports[0], ports[1], True, 100)  # warm up both paths
        print(f"{args.async_mode}, {args.queue.split(':')[0]}, {args.requests} pings "
              "(2 requests each), per request:")
        for forwarded in (False, True):
            before = sum(cpu_seconds(p.pid) for p in procs)
            times = measure(ports[0], ports[1], forwarded, args.requests)
            cpu = sum(cpu_seconds(p.pid) for p in procs) - before
            per = sorted(t / 2 for t in times)
            p99 = per[int(len(per) * 0.99)]
            print(f"  {'forwarded' if forwarded else 'local':9}  wall p50 "
                  f"{statistics.median(per) * 1e3:.2f} ms  p99 {p99 * 1e3:.2f} ms  "
                  f"server CPU {cpu / (2 * args.requests) * 1e3:.2f} ms")
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(5)


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == SERVE:
        serve(*sys.argv[2:])
    else:
        main()
