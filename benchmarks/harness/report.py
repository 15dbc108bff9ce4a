"""The markdown table: one row per figure, ref and ours side by side."""

from dataclasses import dataclass

from .metrics import Figure

LOADGEN_BOUND_CORES = 0.85  # a single Node thread near one full core saturates


@dataclass
class Outcome:
    impl: str
    scenario: str
    figures: list[Figure] | None = None
    error: str | None = None


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
    if outcome.error is not None:
        return "FAILED"
    return _format(figure.value if figure else None)


def table(outcomes: list[Outcome], impls: list[str]) -> str:
    by_key = {(o.impl, o.scenario): o for o in outcomes}
    scenarios = list(dict.fromkeys(o.scenario for o in outcomes))
    header = ["scenario", "figure", *impls]
    if len(impls) == 2:
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
            if len(impls) == 2:
                row.append(_ratio(figs.get("ref"), figs.get("ours")))
            lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def notes(outcomes: list[Outcome]) -> list[str]:
    """Failures, and runs where the load generator may have been the limit."""
    found = []
    for o in outcomes:
        if o.error is not None:
            found.append(f"- {o.impl} {o.scenario}: FAILED: {o.error}")
            continue
        for f in o.figures or []:
            if f.label.startswith("loadgen CPU") and isinstance(f.value, float):
                if f.value > LOADGEN_BOUND_CORES:
                    found.append(
                        f"- {o.impl} {o.scenario}: the load generator was busy "
                        f"{f.value:.2f} cores: it may have been the bottleneck"
                    )
    return found
