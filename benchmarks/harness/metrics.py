"""Turn a scenario's raw measurement into the figures of the report.

CPU figures are the server's user + system time between the "start" and
"end" marks, divided by the scenario's operations. Memory and thread figures
are the growth between "start" (no client connected) and "held" (all
connected), divided by the connections held. The curve has a "held@N" mark
per step and a broadcast window per step; its figures are named after the
step ("2,000 conns: ...", see CURVE_STEP).
"""

from dataclasses import dataclass

from .loadgen import Measurement

HIGHER = "↑"  # higher is better
LOWER = "↓"  # lower is better
CONNECT = "connect (handshake + namespace)"  # what connect, max and curve count as one op
CURVE_STEP = " conns: "  # "1,000 conns: RSS KiB / connection"
CURVE_RECEIVED = "broadcasts received / expected"  # the step's broadcasts together
CURVE_FANOUT = "broadcast fan-out ms (median)"


@dataclass(frozen=True)
class Figure:
    label: str
    value: float | str | None
    better: str = ""  # HIGHER, LOWER, or "" for figures that are not compared
    spread: tuple[float, float] | None = None  # lowest and highest over repeated runs


def _window(m: Measurement) -> tuple[float, float, float]:
    """Wall seconds, server CPU seconds and load generator CPU seconds."""
    start, end = m.marks["start"], m.marks["end"]
    return (
        end.wall - start.wall,
        end.server_cpu - start.server_cpu,
        end.loadgen_cpu - start.loadgen_cpu,
    )


def _per(total: float, count: float) -> float | None:
    return total / count if count else None


def _cpu_figures(m: Measurement, op: str) -> list[Figure]:
    wall, server_cpu, loadgen_cpu = _window(m)
    waited = m.marks["end"].loadgen_wait - m.marks["start"].loadgen_wait
    return [
        Figure(f"server CPU ms / {op}", _per(server_cpu * 1000, m.result["ops"]), LOWER),
        Figure("server CPU busy (cores)", _per(server_cpu, wall)),
        Figure("loadgen CPU busy (cores)", _per(loadgen_cpu, wall)),
        Figure("loadgen waiting for a CPU (share)", _per(waited, wall)),
    ]


def _held_figures(m: Measurement, held: int, mark: str = "held", prefix: str = "") -> list[Figure]:
    start, after = m.marks["start"], m.marks[mark]
    return [
        Figure(f"{prefix}RSS KiB / connection", _per(after.rss_kib - start.rss_kib, held), LOWER),
        Figure(f"{prefix}threads / connection", _per(after.threads - start.threads, held), LOWER),
    ]


def connect(m: Measurement) -> list[Figure]:
    r = m.result
    return [
        Figure("connections/s", r["per_second"], HIGHER),
        Figure("connect p50 ms", r["latency_ms"]["p50"], LOWER),
        Figure("connect p99 ms", r["latency_ms"]["p99"], LOWER),
        *_cpu_figures(m, CONNECT),
        *_held_figures(m, r["held"]),
        Figure("held / target", f"{r['held']}/{r['target']}"),
    ]


def echo(m: Measurement) -> list[Figure]:
    r = m.result
    return [
        Figure("round trips/s", r["per_second"], HIGHER),
        Figure("round trip p50 ms", r["latency_ms"]["p50"], LOWER),
        Figure("round trip p99 ms", r["latency_ms"]["p99"], LOWER),
        *_cpu_figures(m, "round trip"),
        Figure("errors", r["errors"] + r["mismatches"]),
    ]


def fan_out(m: Measurement) -> list[Figure]:
    r = m.result
    figures = [
        Figure("deliveries/s", r["per_second"], HIGHER),
        Figure("fan-out p50 ms", r["fanout_ms"]["p50"], LOWER),
        Figure("fan-out max ms", r["fanout_ms"]["max"], LOWER),
        *_cpu_figures(m, "delivery"),
        Figure("delivered / expected", f"{r['ops']}/{r['expected_deliveries']}"),
    ]
    if r["incomplete"]:
        figures.append(Figure("incomplete fan-outs", f"{r['incomplete']}/{r['fanouts']}"))
    if r["wrong_room"]:
        figures.append(Figure("deliveries outside the room", r["wrong_room"]))
    return figures


def max_connections(m: Measurement) -> list[Figure]:
    r = m.result
    bcast = r["broadcast"]
    return [
        Figure("connections held", r["held"], HIGHER),
        Figure("stopped by", r["stopped_by"]),
        Figure("failed connects", r["failures"]["total"]),
        Figure("dropped by the server", r["dropped"]),
        Figure("connections/s", r["per_second"], HIGHER),
        *_cpu_figures(m, CONNECT),
        *_held_figures(m, r["held"]),
        Figure("broadcast received / held", f"{bcast['received']}/{bcast['expected']}"),
        Figure("broadcast fan-out ms", _fanout_ms(bcast), LOWER),
        *_broadcast_window(m),
    ]


def _fanout_ms(bcast: dict) -> float | str:
    return bcast["ms"] if bcast["complete"] else f"timed out at {bcast['ms'] or 0:,.0f}"


def _broadcast_window(m: Measurement) -> list[Figure]:
    start, end = m.marks["broadcast_start"], m.marks["broadcast_end"]
    wall = end.wall - start.wall
    return [
        Figure("broadcast: server CPU busy (cores)", _per(end.server_cpu - start.server_cpu, wall)),
        Figure(
            "broadcast: loadgen waiting for a CPU (share)",
            _per(end.loadgen_wait - start.loadgen_wait, wall),
        ),
    ]


def curve(m: Measurement) -> list[Figure]:
    """Per step: memory per held connection, and one broadcast to all of them."""
    figures = [Figure("stopped by", m.result["stopped_by"])]
    for step in m.result["steps"]:
        n, held, bcast = step["target"], step["held"], step["broadcast"]
        prefix = f"{n:,}{CURVE_STEP}"
        start, end = m.marks[f"broadcast_start@{n}"], m.marks[f"broadcast_end@{n}"]
        cpu_ms = (end.server_cpu - start.server_cpu) * 1000
        figures += [
            Figure(f"{prefix}held", held, HIGHER),
            Figure(f"{prefix}server RSS MiB", m.marks[f"held@{n}"].rss_kib / 1024),
            *_held_figures(m, held, f"held@{n}", prefix),
            Figure(f"{prefix}{CURVE_RECEIVED}", f"{bcast['received']}/{bcast['expected']}"),
            Figure(f"{prefix}{CURVE_FANOUT}", _fanout_ms(bcast), LOWER),
            Figure(
                f"{prefix}broadcast: server CPU ms / delivery",
                _per(cpu_ms, bcast["received"]),
                LOWER,
            ),
        ]
        if step["failures"]["total"] or step["stopped_by"] != "count":
            failures = step["failures"]["total"]
            figures.append(Figure(f"{prefix}opening", f"{step['stopped_by']}, {failures} failed"))
    return figures


FIGURES = {
    "connect": connect,
    "connect-polling": connect,
    "echo": echo,
    "echo-polling": echo,
    "broadcast": fan_out,
    "broadcast-polling": fan_out,
    "rooms": fan_out,
    "max": max_connections,
    "curve": curve,
}
