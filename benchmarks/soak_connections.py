"""Soak: hold N concurrent websocket clients in ONE server process, then broadcast
to all of them, in the eventlet and gevent async modes.

    python3 benchmarks/soak_connections.py [--clients 5000] [--modes eventlet gevent]

For each mode it runs run.py's `max` scenario once against ours (benchmarks/
serve.py: monkey patched first, then `socketio.run()`, so eventlet's
connection cap and the server's listen backlog are what is exercised): the
Node load generator opens N Engine.IO v4 / Socket.IO v5 websocket clients,
50 handshakes in flight, one client sends `bcast` (the app emits `news` to
everybody) and it waits until every client got it. Clients answer pings, so
the connections are held as in production. One line per mode; exits non-zero
if any client missed the broadcast. `run.py --scenario max` is the same with
the reference beside it, and `run.py --scenario curve` the same in steps.
"""

import argparse
import sys
from pathlib import Path

from harness import envs
from harness.limits import raise_open_files_limit
from harness.loadgen import LoadgenError, run_scenario
from harness.output import log
from harness.server import Server, ServerError


def soak(impl: envs.Implementation, mode: str, args: argparse.Namespace) -> dict | str:
    """The max scenario's result with the server's memory and CPU, or an error."""
    options = {
        "clients": args.clients,
        "seconds": args.timeout,
        "concurrency": args.concurrency,
        "fanout_timeout_ms": args.timeout * 1000,
    }
    try:
        with Server(impl, mode) as server:
            m = run_scenario("max", server.port, server.pid, options, 2 * args.timeout + 60)
    except (ServerError, LoadgenError, OSError) as err:
        return f"{type(err).__name__}: {err}"
    start, held = m.marks["start"], m.marks["held"]
    b0, b1 = m.marks["broadcast_start"], m.marks["broadcast_end"]
    return {
        **m.result,
        "rss_mb": held.rss_kib / 1024,
        "kb_per_conn": (held.rss_kib - start.rss_kib) / max(m.result["held"], 1),
        "broadcast_cpu_s": b1.server_cpu - b0.server_cpu,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=5000)
    parser.add_argument("--modes", nargs="+", default=["eventlet", "gevent"])
    parser.add_argument("--concurrency", type=int, default=50, help="connects in flight")
    parser.add_argument("--timeout", type=float, default=120, help="to open all; to deliver")
    parser.add_argument("--python", type=Path, default=envs.REPO_DIR / ".venv" / "bin" / "python")
    args = parser.parse_args()
    raise_open_files_limit()
    impl = envs.prepare(["ours"], args.python, "threading", log)["ours"]
    failed = False
    print(
        f"{'mode':9} {'clients':>7} {'held':>6} {'got':>6} {'connect s':>9} "
        f"{'deliver ms':>10} {'RSS MB':>7} {'KB/conn':>7} {'bcast CPU ms':>12}"
    )
    for mode in args.modes:
        r = soak(impl, mode, args)
        if isinstance(r, str):
            print(f"{mode}: FAILED: {r}")
            failed = True
            continue
        got = r["broadcast"]["received"]
        failed |= got != args.clients
        print(
            f"{mode:9} {args.clients:>7} {r['held']:>6} {got:>6} {r['duration_s']:>9.1f} "
            f"{r['broadcast']['ms'] or 0:>10.1f} {r['rss_mb']:>7.1f} {r['kb_per_conn']:>7.1f} "
            f"{r['broadcast_cpu_s'] * 1000:>12.1f}",
            flush=True,
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
