"""The markdown table: one row per figure, ref and ours side by side."""

import statistics
from dataclasses import dataclass

from .metrics import CURVE_FANOUT, CURVE_RECEIVED, CURVE_STEP, Figure

LOADGEN_BOUND_CORES = 0.85  # a single Node thread near one full core saturates
LOADGEN_STARVED_SHARE = 0.2  # ready to run but without a CPU this much of the window


@dataclass
class Outcome:
    impl: str
    scenario: str
    figures: list[Figure] | None = None
    error: str | None = None
    runs: int = 1
    failed_runs: int = 0
    warning: str | None = None  # the error of a failed run among good ones
    skipped: str | None = None  # why it was not run (a scenario the server cannot serve)


def _median_figure(figures: list[Figure]) -> Figure:
    first = figures[0]
    numbers = [f.value for f in figures if isinstance(f.value, (int, float))]
    if numbers:
        spread = (min(numbers), max(numbers)) if len(numbers) > 1 and first.better else None
        return Figure(first.label, statistics.median(numbers), first.better, spread)
    texts = list(dict.fromkeys(f.value for f in figures if isinstance(f.value, str)))
    return Figure(first.label, ", ".join(texts) if texts else None, first.better)


def combine(runs: list[Outcome]) -> Outcome:
    """One outcome from repeated runs: each figure's median over the runs
    that succeeded; failed only when every run failed."""
    if runs[0].skipped is not None:  # then every run was
        return runs[0]
    good = [run for run in runs if run.error is None]
    if not good:
        return runs[-1]
    first = runs[0]
    combined = Outcome(first.impl, first.scenario, runs=len(runs))
    failed = [run for run in runs if run.error is not None]
    if failed:
        combined.failed_runs = len(failed)
        combined.warning = failed[0].error
    by_label: dict[str, list[Figure]] = {}
    for run in good:
        for figure in run.figures or []:
            by_label.setdefault(figure.label, []).append(figure)
    combined.figures = [_median_figure(figures) for figures in by_label.values()]
    return combined


def _format(value: float | str | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    if isinstance(value, int) or abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    if abs(value) >= 1:
        return f"{value:.2f}"
    return f"{value:.3g}"


def _ratio(ref: Figure | None, ours: Figure | None) -> str:
    if ref is None or ours is None or not ref.better:
        return ""
    if not isinstance(ref.value, (int, float)) or not isinstance(ours.value, (int, float)):
        return ""
    if ours.value == 0:
        return ""
    return f"{ref.value / ours.value:.2f}"


def _cell(outcome: Outcome | None, figure: Figure | None) -> str:
    if outcome is None:
        return ""
    if outcome.skipped is not None:
        return "n/a"
    if outcome.error is not None:
        return "FAILED"
    if figure is None:
        return _format(None)
    if figure.spread is None:
        return _format(figure.value)
    low, high = (_format(v) for v in figure.spread)
    return _format(figure.value) if low == high else f"{_format(figure.value)} ({low}–{high})"


def table(outcomes: list[Outcome], impls: list[str]) -> str:
    by_key = {(o.impl, o.scenario): o for o in outcomes}
    scenarios = list(dict.fromkeys(o.scenario for o in outcomes))
    header = ["scenario", "figure", *impls]
    compare = "ref" in impls and "ours" in impls
    if compare:
        header.append("ref/ours")
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for scenario in scenarios:
        runs = {impl: by_key.get((impl, scenario)) for impl in impls}
        named = {
            impl: {f.label: f for f in (run.figures or [])} for impl, run in runs.items() if run
        }
        labels = list(dict.fromkeys(label for figs in named.values() for label in figs))
        for i, label in enumerate(labels or ["(no figures)"]):
            figs = {impl: named.get(impl, {}).get(label) for impl in impls}
            some = next((f for f in figs.values() if f is not None), None)
            shown = f"{label} {some.better}".strip() if some else label
            row = [scenario if i == 0 else "", shown]
            row += [_cell(runs[impl], figs[impl]) for impl in impls]
            if compare:
                row.append(_ratio(figs.get("ref"), figs.get("ours")))
            lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def notes(outcomes: list[Outcome]) -> list[str]:
    """Failures, and runs where the load generator may have been the limit."""
    found = []
    for o in outcomes:
        if o.skipped is not None:
            found.append(f"- {o.impl} {o.scenario}: not run ({o.skipped})")
            continue
        if o.error is not None:
            found.append(f"- {o.impl} {o.scenario}: FAILED: {o.error}")
            continue
        if o.failed_runs:
            found.append(
                f"- {o.impl} {o.scenario}: {o.failed_runs} of {o.runs} runs failed: {o.warning}"
            )
        for f in o.figures or []:
            if not isinstance(f.value, float):
                continue
            if f.label.startswith("loadgen CPU busy") and f.value > LOADGEN_BOUND_CORES:
                found.append(
                    f"- {o.impl} {o.scenario}: the load generator was busy "
                    f"{f.value:.2f} cores: it may have been the bottleneck"
                )
            if f.label.startswith("loadgen waiting") and f.value > LOADGEN_STARVED_SHARE:
                found.append(
                    f"- {o.impl} {o.scenario}: the load generator waited for a CPU "
                    f"{f.value:.0%} of the time ({f.label}): the machine was saturated"
                )
    return found


def _outcome(raw: dict) -> Outcome:
    figures = [
        Figure(f["label"], f["value"], f["better"], tuple(f["spread"]) if f.get("spread") else None)
        for f in raw.get("figures", [])
    ]
    outcome = Outcome(raw["impl"], raw["scenario"], figures or None, raw.get("error"))
    outcome.skipped = raw.get("skipped")
    return outcome


def curve_table(outcomes: list[Outcome], impls: list[str]) -> str:
    """The connection curve compactly: one row per step, for docs/performance.md."""
    by_impl = {o.impl: o for o in outcomes if o.scenario == "curve" and o.figures}
    shown = [impl for impl in impls if impl in by_impl]
    steps: dict[str, dict[str, dict[str, Figure]]] = {}  # step -> impl -> what -> figure
    for impl in shown:
        for figure in by_impl[impl].figures or []:
            step, sep, what = figure.label.partition(CURVE_STEP)
            if sep:
                steps.setdefault(step, {}).setdefault(impl, {})[what] = figure
    if not steps:
        return ""
    columns = [
        ("held", "held"),
        ("RSS KiB / connection", "RSS KiB/conn"),
        (CURVE_FANOUT, "fan-out ms"),
        (CURVE_RECEIVED, "received"),
    ]
    header = ["connections"] + [f"{impl} {short}" for _, short in columns for impl in shown]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for step, found in steps.items():
        row = [step]
        for what, _ in columns:
            row += [_cell(by_impl[impl], found.get(impl, {}).get(what)) for impl in shown]
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def render(data: dict) -> str:
    """The report of a run, from its raw record (run.py's JSON)."""
    impls: list[str] = data.get("impls") or list(dict.fromkeys(r["impl"] for r in data["runs"]))
    grouped: dict[tuple[str, str], list[Outcome]] = {}
    for raw in data["runs"]:
        grouped.setdefault((raw["scenario"], raw["impl"]), []).append(_outcome(raw))
    outcomes = [combine(runs) for runs in grouped.values()]
    repeats = max(len(runs) for runs in grouped.values()) if grouped else 0
    title = f"## {', '.join(impls)}, async mode {data['async_mode']}"
    if repeats > 1:
        title += f", median of {repeats} runs (lowest–highest)"
    if "elapsed_s" in data:
        title += f", {data['elapsed_s']:.0f} s"
    lines = [title, ""]
    if data.get("environment"):
        lines += [data["environment"], ""]
    lines.append(table(outcomes, impls))
    curve = curve_table(outcomes, impls)
    if curve:
        lines += ["", "### Connection curve", "", curve]
    found = notes(outcomes)
    if found:
        lines += ["", *found]
    return "\n".join(lines)
