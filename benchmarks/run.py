"""Benchmark our flask_socketio against Flask-SocketIO 5.x, in the same run.

    python benchmarks/run.py                       # everything, both, threading
    python benchmarks/run.py --impl ref --quick    # reduced sizes, reference only
    python benchmarks/run.py --scenario echo,broadcast --async-mode eventlet
    python benchmarks/run.py --scenario curve --impl ours,bare   # RSS and fan-out vs connections

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
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from harness import envs, metrics, proc
from harness.limits import raise_open_files_limit
from harness.loadgen import LoadgenError, OnMark, run_scenario
from harness.output import log, save_results
from harness.proc import Sample
from harness.report import Outcome, render
from harness.server import Server, ServerError

SCENARIOS = [
    "connect",
    "connect-polling",
    "echo",
    "echo-polling",
    "broadcast",
    "broadcast-polling",
    "rooms",
    "max",
    "curve",
]
DEFAULT_SCENARIOS = [s for s in SCENARIOS if s != "curve"]  # the curve holds 10,000: ask for it
POLLING_SUFFIX = "-polling"  # the same scenario, clients on the long-polling transport
IMPLEMENTATIONS = ["ref", "ours", "mock", "floor", "bare"]


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
    curve_steps: str = "1000,2000,5000,10000"  # connections held at each step of the curve
    curve_seconds: float = 60.0  # time bound for opening each step's new connections
    curve_broadcasts: int = 3  # broadcasts to all at each step of the curve
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
    curve_steps="250,500,1000",
    curve_seconds=20.0,
)
FANOUT_TIMEOUT_S = 30.0  # the max and curve scenarios' single broadcast (loadgen's default)


def curve_steps(sizes: Sizes) -> list[int]:
    return [int(step) for step in sizes.curve_steps.split(",") if step.strip()]


def loadgen_options(scenario: str, sizes: Sizes) -> dict[str, object]:
    common = {"concurrency": sizes.concurrency, "payload_bytes": sizes.payload_bytes}
    scenario = scenario.removesuffix(POLLING_SUFFIX)  # the same sizes over either transport
    specific: dict[str, dict[str, object]] = {
        "connect": {"clients": sizes.connections},
        "echo": {"clients": sizes.echo_clients, "seconds": sizes.echo_seconds},
        "broadcast": {"clients": sizes.fanout_clients, "repeats": sizes.repeats},
        "rooms": {
            "clients": sizes.fanout_clients,
            "repeats": sizes.repeats,
            "rooms": sizes.rooms,
        },
        "max": {"clients": sizes.max_connections, "seconds": sizes.max_seconds},
        "curve": {
            "steps": curve_steps(sizes),
            "seconds": sizes.curve_seconds,
            "broadcasts": sizes.curve_broadcasts,
        },
    }
    return {**common, **specific[scenario]}


def scenario_timeout(scenario: str, sizes: Sizes, timeout_s: float) -> float:
    """The load generator's hard timeout: --timeout, or what the curve's
    steps may take at most when that is longer."""
    if scenario != "curve":
        return timeout_s
    # Opening, the broadcasts (at most one times out: the step ends there), settling.
    per_step = sizes.curve_seconds + FANOUT_TIMEOUT_S + 5 * sizes.curve_broadcasts + 5
    return max(timeout_s, len(curve_steps(sizes)) * per_step + 30)


def thread_guard() -> OnMark:
    """For the curve: answer `stop` at a step when the next one, at the
    server's threads per connection so far, would take the machine past
    proc.thread_ceiling() (the reference's threading mode has four threads
    per connection: 10,000 connections would be more than pid_max allows)."""
    baseline: dict[str, int] = {}

    def on_mark(name: str, sample: Sample, data: dict) -> str:
        if name == "start":
            baseline["threads"] = sample.threads
        if not name.startswith("held@") or not data.get("next") or not data.get("held"):
            return "ok"
        per_connection = (sample.threads - baseline["threads"]) / data["held"]
        added = per_connection * (data["next"] - data["held"])
        ceiling = proc.thread_ceiling()
        if proc.system_threads() + added > ceiling:
            log(
                f"curve: not going on to {data['next']} connections: {per_connection:.1f} threads"
                f" per connection would take the machine past {ceiling} threads"
            )
            return "stop"
        return "ok"

    return on_mark


def run_one(
    impl: envs.Implementation,
    scenario: str,
    async_mode: str,
    sizes: Sizes,
    timeout_s: float,
) -> tuple[Outcome, dict]:
    outcome = Outcome(impl.name, scenario)
    raw: dict = {"impl": impl.name, "scenario": scenario}
    if scenario.endswith(POLLING_SUFFIX) and not impl.polling:
        outcome.skipped = raw["skipped"] = "websocket only"
        return outcome, raw
    try:
        with Server(impl, async_mode) as server:
            raw["package_dir"] = server.package_dir
            measurement = run_scenario(
                scenario,
                server.port,
                server.pid,
                loadgen_options(scenario, sizes),
                scenario_timeout(scenario, sizes, timeout_s),
                thread_guard() if scenario == "curve" else None,
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
        raw["mark_data"] = measurement.mark_data
        raw["figures"] = [asdict(f) for f in outcome.figures]
    except (ServerError, LoadgenError, OSError) as err:
        outcome.error = f"{type(err).__name__}: {err}"
        raw["error"] = outcome.error
    return outcome, raw


def headline(outcome: Outcome) -> str:
    if outcome.skipped:
        return f"{outcome.impl} {outcome.scenario}: not run ({outcome.skipped})"
    if outcome.error:
        return f"{outcome.impl} {outcome.scenario}: FAILED: {outcome.error}"
    first = (outcome.figures or [metrics.Figure("", None)])[0]
    value = f"{first.value:,.1f}" if isinstance(first.value, float) else first.value
    return f"{outcome.impl} {outcome.scenario}: {first.label} {value}"


def environment_line(ref_venv: Path, bare_venv: Path, impls: list[str]) -> str:
    parts = [f"Python {platform.python_version()} (driver)", f"{os.cpu_count()} cores"]
    node = subprocess.run(["node", "--version"], capture_output=True, text=True)
    parts.append(f"Node {node.stdout.strip()}")
    if "ref" in impls:
        found = envs.ref_versions(ref_venv)
        parts.append("ref: " + ", ".join(f"{k} {v}" for k, v in found.items()))
    if "ours" in impls:
        parts.append(f"ours: {envs.REPO_DIR / 'src'}")
    if "bare" in impls:
        found = envs.installed_versions(bare_venv / "bin" / "python", ["websockets"])
        parts.append("bare: " + ", ".join(f"{k} {v}" for k, v in found.items()))
    return "; ".join(parts)


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument(
        "--impl",
        default="both",
        help="ref, ours, both (= ref,ours), or a comma-separated list that may add\n"
        "mock: a bare Node server that shows the load generator's ceiling;\n"
        "floor: bare Python sockets in the async mode (benchmarks/floor.py), the least\n"
        "a Python server spends without the Engine.IO/Socket.IO/Flask layers;\n"
        "bare: asyncio + websockets (benchmarks/bare.py, its own venv), any async mode.\n"
        "floor and bare serve websocket only: the -polling scenarios show n/a",
    )
    p.add_argument("--repeat", type=int, default=1, help="runs of each; the table shows medians")
    p.add_argument(
        "--scenario",
        default=",".join(DEFAULT_SCENARIOS),
        help=f"comma-separated, from {','.join(SCENARIOS)}\n(default: all but curve)",
    )
    p.add_argument("--async-mode", choices=list(envs.MODE_MODULES), default="threading")
    p.add_argument("--ours-python", type=Path, default=envs.REPO_DIR / ".venv" / "bin" / "python")
    p.add_argument("--ref-venv", type=Path, default=envs.BENCH_DIR / ".venv-ref")
    p.add_argument("--bare-venv", type=Path, default=envs.BENCH_DIR / ".venv-bare")
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


def run_all(args: argparse.Namespace) -> dict:
    """Every scenario for every implementation; the raw record of the run."""
    impls: list[str] = args.impls
    chosen = envs.prepare(
        impls, args.ours_python, args.async_mode, log, args.ref_venv, args.bare_venv
    )

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
        "environment": environment_line(args.ref_venv, args.bare_venv, impls),
        "runs": raws,
    }


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    if args.report:
        print(render(json.loads(args.report.read_text())))
        return 0
    raise_open_files_limit()
    data = run_all(args)
    path = save_results(data, args.json)
    print(render(data))
    log(f"raw results: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
