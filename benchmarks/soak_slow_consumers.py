"""Soak: slow consumers among many healthy clients, in one server process.

    python3 benchmarks/soak_slow_consumers.py                  # ours, gevent, 5000, 600 s
    python3 benchmarks/soak_slow_consumers.py --impl ref,ours --async-mode eventlet --seconds 120

For each implementation: start benchmarks/serve.py (the benchmark app, as
run.py does), open --clients websocket clients from the Node load generator
(its `soak` scenario), and have one healthy client send a `bcast` event
every --interval seconds (the app emits `news` to everybody). --slow-share of
the clients stop reading their socket once connected and keep the TCP
connection open: the server's writes to them fill the kernel's buffers, and
then it is up to the server. A client that never reads never answers a ping
either, so the server drops it at its ping timeout (25 + 20 s by default);
the point is what happens until then, and to the others.

Every --report-every seconds one line: the server's RSS, the broadcasts sent
and acked, the healthy clients' deliveries (expected, received, lost: a
sequence gap; it must stay 0), the fan-out time to the healthy clients in
that interval, and how many of the slow clients' connections the server
still holds (read from its side, /proc/PID/net/tcp: a paused client cannot
see its connection close) with the bytes the kernel still queues for them.
At the end a summary; the raw record goes to
benchmarks/results/soak-slow-<time>.json. Exits 1 when a healthy client lost
a message or was dropped. Every loop is bounded: --seconds, the load
generator's hard timeout, the driver's watchdog.

The payload (--payload-bytes, default 8192) is large enough that a slow
client's buffers (about 128 KiB of receive window, the server's send buffer)
fill well before its ping timeout; with the 64-byte payloads of run.py they
would not fill in 45 s and the server would never have to hold anything.
"""

import argparse
import sys
import time
from pathlib import Path

from harness import envs, proc
from harness.limits import raise_open_files_limit
from harness.loadgen import LoadgenError, run_scenario
from harness.output import log, save_results
from harness.proc import Sample
from harness.server import Server, ServerError

HEADER = (
    f"{'t s':>5} {'RSS MiB':>8} {'CPU %':>6} {'sent':>5} {'acked':>5} {'expected':>9} "
    f"{'received':>9} {'lost':>5} {'fan-out p50/max ms':>19} {'slow held':>9} {'queued KiB':>10}"
)


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--impl", default="ours", help="ours, ref, or both comma-separated")
    p.add_argument("--async-mode", choices=list(envs.MODE_MODULES), default="gevent")
    p.add_argument("--clients", type=int, default=5000)
    p.add_argument("--seconds", type=float, default=600, help="broadcasting for this long")
    p.add_argument("--slow-share", type=float, default=0.01, help="share that stops reading")
    p.add_argument("--interval", type=float, default=1.0, help="seconds between broadcasts")
    p.add_argument("--report-every", type=float, default=10, help="seconds between report lines")
    p.add_argument("--payload-bytes", type=int, default=8192)
    p.add_argument(
        "--ping-timeout",
        type=float,
        help="the server's ping_timeout in s (default: the app's, 20): longer keeps the\n"
        "slow clients connected with full buffers for longer",
    )
    p.add_argument("--concurrency", type=int, default=50, help="handshakes in flight at a time")
    p.add_argument("--ours-python", type=Path, default=envs.REPO_DIR / ".venv" / "bin" / "python")
    p.add_argument("--ref-venv", type=Path, default=envs.BENCH_DIR / ".venv-ref")
    p.add_argument("--json", type=Path, help="raw record (default: results/soak-slow-<time>.json)")
    args = p.parse_args(argv)
    args.impls = [name.strip() for name in args.impl.split(",") if name.strip()]
    if not args.impls or set(args.impls) - {"ours", "ref"}:
        p.error("--impl takes ours, ref or ours,ref")
    if args.interval <= 0 or args.report_every <= 0 or args.seconds <= 0:
        p.error("--seconds, --interval and --report-every must be positive")
    return args


class Watch:
    """The driver's side of the soak's marks: sample the server, print a line."""

    def __init__(self, server_pid: int, port: int) -> None:
        self.server_pid = server_pid
        self.port = port
        self.slow_ports: set[int] = set()
        self.previous: Sample | None = None
        self.rows: list[dict] = []

    def on_mark(self, name: str, sample: Sample, data: dict) -> str:
        if name == "start":
            self.slow_ports = set(data.get("slow_ports", []))
            self.previous = sample
            self.rows.append({"t": 0, "rss_kib": sample.rss_kib, **self._slow_held()})
            print(HEADER, flush=True)
            return "ok"
        if self.previous is None or "sent" not in data:
            return "ok"
        wall = sample.wall - self.previous.wall
        cpu = (sample.server_cpu - self.previous.server_cpu) / wall if wall > 0 else 0.0
        self.previous = sample
        row = {"mark": name, **data, "rss_kib": sample.rss_kib, "cpu_cores": cpu}
        row.update(self._slow_held())
        self.rows.append(row)
        fanout = data["fanout_ms"]
        ms = "—" if not fanout["count"] else f"{fanout['p50']:.0f}/{fanout['max']:.0f}"
        print(
            f"{data['t']:>5.0f} {sample.rss_kib / 1024:>8.1f} {cpu * 100:>6.0f} {data['sent']:>5} "
            f"{data['acked']:>5} {data['expected']:>9} {data['received']:>9} {data['lost']:>5} "
            f"{ms:>19} {row['slow_held']:>9} {row['slow_queued_bytes'] / 1024:>10.0f}",
            flush=True,
        )
        return "ok"

    def _slow_held(self) -> dict:
        try:
            peers = proc.tcp_peers(self.server_pid, self.port)
        except FileNotFoundError:  # the server is gone; the scenario will say so
            return {"server_connections": 0, "slow_held": 0, "slow_queued_bytes": 0}
        slow = [queued for peer, queued in peers.items() if peer in self.slow_ports]
        return {
            "server_connections": len(peers),
            "slow_held": len(slow),
            "slow_queued_bytes": sum(slow),
        }


def soak(impl: envs.Implementation, args: argparse.Namespace) -> dict:
    options = {
        "clients": args.clients,
        "seconds": args.seconds,
        "slow_share": args.slow_share,
        "interval_ms": args.interval * 1000,
        "report_s": args.report_every,
        "payload_bytes": args.payload_bytes,
        "concurrency": args.concurrency,
        "connect_seconds": 300,
    }
    # Opening (bounded by connect_seconds), the soak, the grace for the last deliveries.
    timeout_s = 300 + args.seconds + 60
    record: dict = {"impl": impl.name, "async_mode": args.async_mode, "options": options}
    env = {"BENCH_PING_TIMEOUT": str(args.ping_timeout)} if args.ping_timeout else {}
    record["ping_timeout"] = args.ping_timeout
    try:
        with Server(impl, args.async_mode, env) as server:
            watch = Watch(server.pid, server.port)
            measurement = run_scenario(
                "soak", server.port, server.pid, options, timeout_s, watch.on_mark
            )
            if not server.alive():
                raise ServerError(f"died during the soak: {server.stderr_tail()}")
            record["server_log_tail"] = server.stderr_tail()
        record["result"] = measurement.result
        record["intervals"] = watch.rows
    except (ServerError, LoadgenError, OSError) as err:
        record["error"] = f"{type(err).__name__}: {err}"
    return record


def summary(record: dict) -> tuple[list[str], bool]:
    """Lines for the end of the run, and whether the healthy clients were served."""
    name = f"{record['impl']} ({record['async_mode']})"
    if "error" in record:
        return [f"{name}: FAILED: {record['error']}"], False
    r, rows = record["result"], record["intervals"]
    rss = [row["rss_kib"] / 1024 for row in rows]
    gone = next((row["t"] for row in rows[1:] if row["slow_held"] == 0), None)
    fanout, ack = r["fanout_ms"], r["ack_ms"]
    ok = r["lost"] == 0 and r["healthy_dropped"] == 0
    lines = [
        f"{name}: {r['clients']} clients ({r['slow']} slow), {r['broadcasts']} broadcasts "
        f"of {record['options']['payload_bytes']} B over {r['seconds']:.0f} s, "
        f"{r['acked']} acked, {r['unacked']} not acked",
        f"  healthy: {r['received']}/{r['expected']} delivered, lost {r['lost']}, "
        f"dropped {r['healthy_dropped']}, incomplete fan-outs {r['incomplete_fanouts']}"
        + ("" if ok else "  <-- NOT OK"),
        f"  fan-out to the healthy ms: p50 {fanout['p50'] or 0:.0f}, p99 {fanout['p99'] or 0:.0f}, "
        f"max {fanout['max'] or 0:.0f}; bcast ack ms: p50 {ack['p50'] or 0:.0f}, "
        f"max {ack['max'] or 0:.0f}",
        f"  server RSS MiB: {rss[0]:.0f} at the start, {max(rss):.0f} at most, {rss[-1]:.0f} "
        "at the end",
        f"  slow clients the server still held: {rows[0]['slow_held']} at the start, "
        f"{rows[-1]['slow_held']} at the end"
        + (f" (none from t={gone:.0f} s)" if gone is not None else ""),
    ]
    return lines, ok


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    raise_open_files_limit()
    chosen = envs.prepare(args.impls, args.ours_python, args.async_mode, log, args.ref_venv)
    started = time.monotonic()
    records = []
    for name in args.impls:
        log(f"{name} soak ({args.async_mode}, {args.clients} clients, {args.seconds:.0f} s) ...")
        records.append(soak(chosen[name], args))
    path = save_results(
        {
            "kind": "soak-slow-consumers",
            "async_mode": args.async_mode,
            "elapsed_s": time.monotonic() - started,
            "runs": records,
        },
        args.json,
        prefix="soak-slow-",
    )
    all_ok = True
    print()
    for record in records:
        lines, ok = summary(record)
        all_ok &= ok
        print("\n".join(lines))
    log(f"raw results: {path}")
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
