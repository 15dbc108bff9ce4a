"""What the server answers today to each entry of the catalogue, in each mode.

    python -m tests.hostile.report [MODE ...] [ID-PART ...]   a line per entry and mode
    python -m tests.hostile.report --write                    rewrite docs/security.md's tables

Each mode gets a fresh server (tests/hostile/app.py). ``--write`` runs every
entry in every mode and replaces what stands between the catalogue markers of
docs/security.md: the tables of answers and log lines, and the list of what is
to be fixed.
"""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

import socketio

from tests.conftest import ROOT, start_server
from tests.hostile.catalogue import APP, ENTRIES, MODES, TIMEOUT, Context, Entry, matches, run

DOCS = ROOT / "docs" / "security.md"
START, END = "<!-- catalogue:start -->", "<!-- catalogue:end -->"

GROUPS = {
    "handshake": "Handshake and query string",
    "upgrade": "Websocket upgrade requests",
    "origin": "Cross-origin requests (allowed: `http://good.example` and the same origin)",
    "jsonp": "JSONP (EIO=3 only)",
    "http": "HTTP abuse, slow and abandoned connections",
    "polling-v4": "Polling POST bodies, EIO=4",
    "polling-v3": "Polling POST bodies, EIO=3",
    "framing": "Websocket framing (RFC 6455)",
    "engineio-ws": "Engine.IO packets over a websocket",
    "socketio": "Socket.IO packets",
    "json-numbers": "NaN and Infinity",
    "acks": "Ack ids",
    "attachments": "Binary attachments",
    "floods": "Floods and slow readers",
}

_SID = re.compile(r"(?<=: )[\w-]{20}(?=:)|(?<=')[\w-]{20}(?=')")
_DATE = re.compile(r"\[[^]]*\d\d:\d\d:\d\d\] ")  # in Werkzeug's lines
Result = tuple[str, str, bool]  # answer, log line, traceback


def log_line(log: str, pattern: str | None) -> str:
    """The line of `log` about the incident (the one `pattern` finds, else the
    first of any logger), sids blanked out."""
    lines = [line for line in log.splitlines() if line.startswith(("WARNING", "INFO", "ERROR"))
             and "EIO='mark-" not in line]
    if pattern:
        lines = [line for line in lines if re.search(pattern, line)] or lines
    return _DATE.sub("", _SID.sub("<sid>", lines[0])) if lines else ""


def observe_all(modes: list[str], only: list[str]) -> dict[tuple[str, str], Result]:
    results: dict[tuple[str, str], Result] = {}
    for mode in modes:
        server = start_server(APP, Path(tempfile.mkdtemp()) / "server.log", mode)
        bystander = socketio.Client(reconnection=False)
        bystander.connect(server.url, transports=["websocket"], wait_timeout=TIMEOUT)
        try:
            for entry in ENTRIES:
                if only and not any(word in entry.id for word in only):
                    continue
                try:
                    answer, log = run(entry, Context(server, mode, bystander))
                except Exception as exc:  # noqa: BLE001 - reported, not raised
                    answer, log = f"ERROR {type(exc).__name__}: {exc}", ""
                result = (answer, log_line(log, entry.log_line(mode)), "Traceback" in log)
                results[(entry.id, mode)] = result
                ok = "ok " if matches(entry.expected(mode), answer) else "BAD"
                print(f"{ok} {mode:16} {entry.id:28} {answer:40} | {result[1]}"
                      f"{' TRACEBACK' if result[2] else ''}", file=sys.stderr, flush=True)
        finally:
            bystander.disconnect()
            server.stop()
    return results


# -- docs/security.md -------------------------------------------------------------------


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _per_mode(values: dict[str, str]) -> str:
    """One value when every mode agrees, else `modes: value` groups."""
    if len(set(values.values())) == 1:
        return next(iter(values.values()))
    groups: dict[str, list[str]] = {}
    for mode, value in values.items():
        groups.setdefault(value, []).append(mode)
    return "; ".join(f"{', '.join(modes)}: {value}" for value, modes in groups.items())


def _code(text: str) -> str:
    return f"`{text}`" if text else "none"


def _answer(entry: Entry, results: dict[tuple[str, str], Result]) -> str:
    answers = {mode: results[(entry.id, mode)][0] for mode in MODES}
    now = _per_mode({mode: _code(answer) for mode, answer in answers.items()})
    wrong = {mode: entry.wrong_today(mode) for mode in MODES if entry.wrong_today(mode)}
    if not wrong:
        return now
    reasons = _per_mode({mode: reason.removeprefix("issue 12: ") for mode, reason in wrong.items()})
    where = "" if len(wrong) == len(MODES) else f" ({', '.join(wrong)})"
    if all(matches(entry.expected(mode), answers[mode]) for mode in wrong):
        return f"{now}; **to be fixed (issue 12)**{where}: {reasons}"
    intended = _per_mode({mode: _code(entry.expected(mode)) for mode in wrong})
    return f"**to be fixed (issue 12)**{where}: now {now}; intended {intended}. {reasons}"


def _log(entry: Entry, results: dict[tuple[str, str], Result]) -> str:
    lines = {}
    for mode in MODES:
        line = results[(entry.id, mode)][1]
        if len(line) > 120:
            line = line[:117] + "..."
        lines[mode] = _code(line) + (" and a traceback" if results[(entry.id, mode)][2] else "")
    return _per_mode(lines)


def markdown(results: dict[tuple[str, str], Result]) -> str:
    out = []
    for group, title in GROUPS.items():
        out += [f"### {title}", "", "| entry | over | sent | answer | log line |",
                "|---|---|---|---|---|"]
        for entry in (e for e in ENTRIES if e.group == group):
            over = entry.transport + (f", EIO={entry.eio}" if entry.eio else "")
            out.append(f"| `{entry.id}` | {over} | {_cell(entry.what)} | "
                       f"{_cell(_answer(entry, results))} | {_cell(_log(entry, results))} |")
        out.append("")
    return "\n".join(out)


def write_docs(results: dict[tuple[str, str], Result]) -> None:
    text = DOCS.read_text()
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    DOCS.write_text(f"{head}{START}\n\n{markdown(results)}\n{END}{tail}")


if __name__ == "__main__":
    args = sys.argv[1:]
    if "--write" in args:
        write_docs(observe_all(list(MODES), []))
    else:
        observe_all([a for a in args if a in MODES] or list(MODES),
                    [a for a in args if a not in MODES])
