"""Three server processes on a message queue, the reference (Flask-SocketIO 5.x,
benchmarks/.venv-ref) and ours in one run.

    python benchmarks/cluster.py                         # redis, gevent, every scenario
    python benchmarks/cluster.py --queue rabbitmq --scenario saturate,burst
    python benchmarks/cluster.py --impl ours --clients 100 --seconds 10

Scenarios (clients: websocket, all in one room, spread over the processes;
the Node clients are benchmarks/loadgen/cluster.js):

- saturate: one client per process floods the room as fast as its server
  emits: deliveries per second, and the servers' CPU per delivery;
- paced: 100 room broadcasts a second from one process: latency p50/p99
  (server emit to client receipt) and CPU per delivery;
- burst: each process emits --count messages at once: latency p50/p99;
- restart: paced, on a private redis-server that is killed 2 s into the
  run and started again 2 s later: the deliveries lost.

Every process runs in its own private channel; the Redis of `restart` is a
redis-server of its own on an ephemeral port. Prints a markdown table and
writes the figures as JSON under benchmarks/results/.
"""

from __future__ import annotations

import argparse
import json
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from contextlib import ExitStack
from pathlib import Path

from harness import envs, proc
from harness.output import log, save_results
from harness.server import Server

QUEUES = {"redis": "redis://127.0.0.1:6379/0", "rabbitmq": "amqp://guest:guest@127.0.0.1:5672//"}
SCENARIOS = ["saturate", "paced", "burst", "restart"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PrivateRedis:
    def __init__(self, directory: str) -> None:
        self.port = free_port()
        self.directory = directory
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None
        self.start()

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", self.directory],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None


def run_clients(mode: str, ports: list[int], opts: argparse.Namespace, pids: list[int],
                on_start=None) -> dict:
    command = ["node", str(envs.LOADGEN_DIR / "cluster.js"), mode,
               "--ports", ",".join(map(str, ports)), "--clients", str(opts.clients),
               "--seconds", str(opts.seconds), "--rate", str(opts.rate),
               "--count", str(opts.count)]
    child = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    cpu_start = cpu_end = 0.0
    result: dict = {}
    assert child.stdout is not None
    for line in child.stdout:
        message = json.loads(line)
        if message.get("mark") == "start":
            cpu_start = sum(proc.cpu_seconds(pid) for pid in pids)
            if on_start is not None:
                on_start()
        elif message.get("mark") == "end":
            cpu_end = sum(proc.cpu_seconds(pid) for pid in pids)
        elif "result" in message:
            result = message["result"]
        elif "error" in message:
            raise RuntimeError(message["error"])
    child.wait(30)
    if result.get("deliveries"):
        result["cpu_us_per_delivery"] = (cpu_end - cpu_start) * 1e6 / result["deliveries"]
    return result


def scenario(name: str, impl: envs.Implementation, opts: argparse.Namespace) -> dict:
    with ExitStack() as stack:
        url = QUEUES[opts.queue]
        broker = None
        if name == "restart":
            directory = stack.enter_context(tempfile.TemporaryDirectory())
            broker = PrivateRedis(directory)
            stack.callback(broker.kill)
            url = broker.url
        env = {"BENCH_APP": "cluster_app", "BENCH_MQ": url,
               "BENCH_CHANNEL": f"bench-{uuid.uuid4().hex[:8]}"}
        servers = [stack.enter_context(Server(impl, opts.async_mode, env))
                   for _ in range(opts.processes)]
        time.sleep(1.0)  # the reference has no readiness signal: let every listener subscribe
        ports = [s.port for s in servers]
        pids = [s.pid for s in servers]
        mode = "paced" if name == "restart" else name
        on_start = None
        if broker is not None:
            def outage() -> None:
                time.sleep(2)
                broker.kill()
                time.sleep(2)
                broker.start()

            def on_start() -> None:
                threading.Thread(target=outage, daemon=True).start()
        return run_clients(mode, ports, opts, pids, on_start)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--impl", default="ref,ours")
    p.add_argument("--queue", choices=list(QUEUES), default="redis")
    p.add_argument("--scenario", default=",".join(SCENARIOS))
    p.add_argument("--async-mode", default="gevent")
    p.add_argument("--processes", type=int, default=3)
    p.add_argument("--clients", type=int, default=100)
    p.add_argument("--seconds", type=float, default=10)
    p.add_argument("--rate", type=float, default=100)
    p.add_argument("--count", type=int, default=200)
    p.add_argument("--ours-python", type=Path, default=envs.REPO_DIR / ".venv" / "bin" / "python")
    p.add_argument("--ref-venv", type=Path, default=envs.BENCH_DIR / ".venv-ref")
    opts = p.parse_args()
    if shutil.which("node") is None:
        log("node is needed (benchmarks/loadgen)")
        return 1
    impls = envs.prepare(opts.impl.split(","), opts.ours_python, opts.async_mode, log,
                         ref_venv=opts.ref_venv)
    rows = []
    for name in opts.scenario.split(","):
        for impl_name, impl in impls.items():
            log(f"{name} / {impl_name} ({opts.queue}, {opts.async_mode}, "
                f"{opts.processes} processes, {opts.clients} clients)")
            figures = scenario(name, impl, opts)
            rows.append({"scenario": name, "impl": impl_name, **figures})
            log(json.dumps(rows[-1]))
    print("\n| scenario | impl | deliveries/s | p50 ms | p99 ms | CPU µs/delivery | lost |")
    print("|---|---|---|---|---|---|---|")
    for row in rows:
        rate = f"{row.get('rate', 0):,.0f}"
        cpu = row.get("cpu_us_per_delivery")
        print(f"| {row['scenario']} | {row['impl']} | {rate} | {row.get('p50')} | "
              f"{row.get('p99')} | {'' if cpu is None else f'{cpu:.1f}'} | "
              f"{'' if row.get('lost') is None else row['lost']} |")
    options = {**vars(opts), "ours_python": str(opts.ours_python),
               "ref_venv": str(opts.ref_venv)}
    save_results({"options": options, "rows": rows}, None, prefix="cluster-")
    return 0


if __name__ == "__main__":
    sys.exit(main())
