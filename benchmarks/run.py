"""Benchmark our flask_socketio against Flask-SocketIO 5.x, in the same run.

    python benchmarks/run.py                       # everything, both, threading
    python benchmarks/run.py --impl ref --quick    # reduced sizes, reference only
    python benchmarks/run.py --scenario echo,broadcast --async-mode eventlet

For each scenario and each implementation: start benchmarks/serve.py on an
ephemeral port of 127.0.0.1, run the Node load generator against it, sample
the server's CPU time, RSS and threads at the scenario's marks, stop the
server. Prints a markdown table and writes the raw figures as JSON under
benchmarks/results/. Stdlib only; Linux only (/proc).
"""

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from harness import envs, metrics
from harness.loadgen import LoadgenError, run_scenario
from harness.report import Outcome, render
from harness.server import Server, ServerError

SCENARIOS = ["connect", "echo", "broadcast", "rooms", "max"]
IMPLEMENTATIONS = ["ref", "ours", "mock", "floor"]


@dataclass
class Sizes:
    connections: int = 1000  # connect
    echo_clients: int = 50
    echo_seconds: float = 10.0
    fanout_clients: int = 1000  # broadcast and rooms
    repeats: int = 20  # broadcast: fan-outs; rooms: rounds over every room
    rooms: int = 10
    max_connections: int = 5000
    max_seconds: float = 60.0  # time bound for opening the max scenario's connections
    concurrency: int = 50  # handshakes in flight at a time
    payload_bytes: int = 64


QUICK = Sizes(
    connections=200,
    echo_clients=20,
    echo_seconds=3.0,
    fanout_clients=200,
    repeats=5,
    rooms=10,
    max_connections=500,
    max_seconds=20.0,
)


def loadgen_options(scenario: str, sizes: Sizes) -> dict[str, float]:
    common = {"concurrency": sizes.concurrency, "payload_bytes": sizes.payload_bytes}
    specific: dict[str, dict[str, float]] = {
        "connect": {"clients": sizes.connections},
        "echo": {"clients": sizes.echo_clients, "seconds": sizes.echo_seconds},
        "broadcast": {"clients": sizes.fanout_clients, "repeats": sizes.repeats},
        "rooms": {
            "clients": sizes.fanout_clients,
            "repeats": sizes.repeats,
            "rooms": sizes.rooms,
        },
        "max": {"clients": sizes.max_connections, "seconds": sizes.max_seconds},
    }
    return {**common, **specific[scenario]}


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def run_one(
    impl: envs.Implementation,
    scenario: str,
    async_mode: str,
    sizes: Sizes,
    timeout_s: float,
) -> tuple[Outcome, dict]:
    outcome = Outcome(impl.name, scenario)
    raw: dict = {"impl": impl.name, "scenario": scenario}
    try:
        with Server(impl, async_mode) as server:
            raw["package_dir"] = server.package_dir
            measurement = run_scenario(
                scenario, server.port, server.pid, loadgen_options(scenario, sizes), timeout_s
            )
            if not server.alive():
                raise ServerError(f"died during the scenario: {server.stderr_tail()}")
            stopping = time.monotonic()
        if time.monotonic() - stopping > 5:
            # Thousands of threads can take the kernel a while to tear down.
            log(f"stopping the server took {time.monotonic() - stopping:.0f} s")
        outcome.figures = metrics.FIGURES[scenario](measurement)
        raw["result"] = measurement.result
        raw["marks"] = {name: asdict(s) for name, s in measurement.marks.items()}
        raw["figures"] = [asdict(f) for f in outcome.figures]
    except (ServerError, LoadgenError, OSError) as err:
        outcome.error = f"{type(err).__name__}: {err}"
        raw["error"] = outcome.error
    return outcome, raw


def headline(outcome: Outcome) -> str:
    if outcome.error:
        return f"{outcome.impl} {outcome.scenario}: FAILED: {outcome.error}"
    first = (outcome.figures or [metrics.Figure("", None)])[0]
    value = f"{first.value:,.1f}" if isinstance(first.value, float) else first.value
    return f"{outcome.impl} {outcome.scenario}: {first.label} {value}"


def environment_line(ref_venv: Path, impls: list[str]) -> str:
    parts = [f"Python {platform.python_version()} (driver)", f"{os.cpu_count()} cores"]
    node = subprocess.run(["node", "--version"], capture_output=True, text=True)
    parts.append(f"Node {node.stdout.strip()}")
    if "ref" in impls:
        found = envs.ref_versions(ref_venv)
        parts.append("ref: " + ", ".join(f"{k} {v}" for k, v in found.items()))
    if "ours" in impls:
        parts.append(f"ours: {envs.REPO_DIR / 'src'}")
    return "; ".join(parts)


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument(
        "--impl",
        default="both",
        help="ref, ours, both (= ref,ours), or a comma-separated list that may add\n"
        "mock: a bare Node server that shows the load generator's ceiling;\n"
        "floor: bare Python sockets in the async mode (benchmarks/floor.py), the least\n"
        "a Python server spends without the Engine.IO/Socket.IO/Flask layers",
    )
    p.add_argument("--repeat", type=int, default=1, help="runs of each; the table shows medians")
    p.add_argument(
        "--scenario",
        default=",".join(SCENARIOS),
        help=f"comma-separated, from {','.join(SCENARIOS)} (default: all)",
    )
    p.add_argument("--async-mode", choices=list(envs.MODE_MODULES), default="threading")
    p.add_argument("--ours-python", type=Path, default=envs.REPO_DIR / ".venv" / "bin" / "python")
    p.add_argument("--ref-venv", type=Path, default=envs.BENCH_DIR / ".venv-ref")
    p.add_argument("--quick", action="store_true", help="reduced sizes, for a smoke run")
    p.add_argument("--timeout", type=float, default=300, help="seconds per scenario run")
    p.add_argument("--json", type=Path, help="raw results file (default: results/<time>.json)")
    p.add_argument(
        "--report", type=Path, metavar="JSON", help="print the table of a saved run; run nothing"
    )
    defaults = Sizes()
    for name, value in asdict(defaults).items():
        p.add_argument(
            "--" + name.replace("_", "-"),
            type=type(value),
            default=None,
            help=f"default {value} ({getattr(QUICK, name)} with --quick)",
        )
    args = p.parse_args(argv)
    args.impls = ["ref", "ours"] if args.impl == "both" else args.impl.split(",")
    if not args.impls or set(args.impls) - set(IMPLEMENTATIONS):
        p.error(f"--impl takes both or a list from {','.join(IMPLEMENTATIONS)}")
    args.scenarios = [s.strip() for s in args.scenario.split(",") if s.strip()]
    unknown = set(args.scenarios) - set(SCENARIOS)
    if unknown:
        p.error(f"unknown scenario(s): {', '.join(sorted(unknown))}")
    base = QUICK if args.quick else defaults
    args.sizes = Sizes(
        **{
            name: getattr(args, name) if getattr(args, name) is not None else value
            for name, value in asdict(base).items()
        }
    )
    return args


def raise_open_files_limit() -> None:
    # Thousands of sockets on each side; children inherit the raised limit.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def run_all(args: argparse.Namespace) -> dict:
    """Every scenario for every implementation; the raw record of the run."""
    impls: list[str] = args.impls
    envs.ensure_loadgen(log)
    chosen: dict[str, envs.Implementation] = {}
    if "ref" in impls:
        envs.ensure_ref_venv(args.ref_venv, args.ours_python, args.async_mode, log)
        chosen["ref"] = envs.ref(args.ref_venv)
    if "ours" in impls:
        chosen["ours"] = envs.ours(args.ours_python)
    if "mock" in impls:
        chosen["mock"] = envs.mock()
    if "floor" in impls:
        chosen["floor"] = envs.floor(args.ours_python)

    started = time.monotonic()
    raws: list[dict] = []
    # Interleaved per scenario, so the implementations meet the same machine
    # conditions as closely as possible.
    for scenario in args.scenarios:
        for _ in range(args.repeat):
            for name in impls:
                log(f"{name} {scenario} ({args.async_mode}) ...")
                outcome, raw = run_one(
                    chosen[name], scenario, args.async_mode, args.sizes, args.timeout
                )
                log(headline(outcome))
                raws.append(raw)
    return {
        "async_mode": args.async_mode,
        "impls": impls,
        "sizes": asdict(args.sizes),
        "elapsed_s": time.monotonic() - started,
        "environment": environment_line(args.ref_venv, impls),
        "runs": raws,
    }


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    if args.report:
        print(render(json.loads(args.report.read_text())))
        return 0
    raise_open_files_limit()
    data = run_all(args)
    path = args.json or envs.BENCH_DIR / "results" / time.strftime("%Y%m%d-%H%M%S.json")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1))
    print(render(data))
    log(f"raw results: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
