"""The two Python environments under test, and the Node load generator's.

ours: the project's venv (no Flask-SocketIO installed) with src/ on
      PYTHONPATH, so `import flask_socketio` is the package under test.
ref:  benchmarks/.venv-ref, a separate venv with Flask-SocketIO 5.x from PyPI.
      It exists only for comparison; the project never imports it. Libraries
      both sides use (Flask, Werkzeug, eventlet, gevent, ...) are pinned to the
      versions installed in ours, so the comparison isolates the Socket.IO
      stack.
bare: benchmarks/.venv-bare, a venv with nothing but `websockets`, for
      bare.py (asyncio + websockets). A venv of its own so that neither
      ours' venv nor the reference's gets a library they do not have.
Not contenders, no venv of their own: mock (Node) and floor (ours' venv,
wsproto only).
"""

import json
import os
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent.parent
REPO_DIR = BENCH_DIR.parent
LOADGEN_DIR = BENCH_DIR / "loadgen"

REF_REQUIREMENT = "flask-socketio>=5,<6"
BARE_REQUIREMENT = "websockets>=14,<18"  # the asyncio API (websockets.asyncio.server)

Log = Callable[[str], None]

# Import names each async mode needs, and the PyPI names that provide them.
MODE_MODULES = {
    "threading": {"simple_websocket": "simple-websocket"},
    "eventlet": {"eventlet": "eventlet"},
    "gevent": {"gevent": "gevent", "geventwebsocket": "gevent-websocket"},
}

# Distributions whose versions the ref venv copies from ours when ours has them.
SHARED_DISTRIBUTIONS = [
    "flask",
    "werkzeug",
    "simple-websocket",
    "wsproto",
    "h11",
    "eventlet",
    "gevent",
    "gevent-websocket",
    "greenlet",
]


@dataclass(frozen=True)
class Implementation:
    name: str  # "ref", "ours", "mock", "floor" or "bare"
    command: list[str]  # starts a server that prints IMPL and PORT lines
    pythonpath: Path | None  # the server's PYTHONPATH (None: unset)
    expected_package_dir: Path | None  # where the imported flask_socketio must live
    polling: bool = False  # serves the long-polling transport too (else websocket only)


def ours(python: Path) -> Implementation:
    src = REPO_DIR / "src"
    return Implementation("ours", [str(python), str(BENCH_DIR / "serve.py")], src, src, True)


def ref(venv: Path) -> Implementation:
    python = venv / "bin" / "python"
    return Implementation("ref", [str(python), str(BENCH_DIR / "serve.py")], None, venv, True)


def mock() -> Implementation:
    """The Node mock server: the load generator's ceiling, not a contender."""
    command = ["node", str(LOADGEN_DIR / "mock-server.js")]
    return Implementation("mock", command, None, None, True)


def floor(python: Path) -> Implementation:
    """Bare sockets in Python (benchmarks/floor.py): what the async mode, the
    framing and JSON cost at the least, without the Socket.IO stack."""
    return Implementation("floor", [str(python), str(BENCH_DIR / "floor.py")], None, None)


def bare(venv: Path) -> Implementation:
    """asyncio + websockets (benchmarks/bare.py): the bar a plain asyncio
    server sets, whatever the async mode."""
    python = venv / "bin" / "python"
    return Implementation("bare", [str(python), str(BENCH_DIR / "bare.py")], None, None)


def missing_modules(python: Path, modules: list[str]) -> list[str]:
    code = (
        "import importlib.util, json, sys\n"
        "print(json.dumps([m for m in sys.argv[1:]"
        " if importlib.util.find_spec(m) is None]))"
    )
    out = subprocess.run(
        [str(python), "-c", code, *modules],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)


def installed_versions(python: Path, distributions: list[str]) -> dict[str, str]:
    code = (
        "import importlib.metadata as m, json, sys\n"
        "found = {}\n"
        "for name in sys.argv[1:]:\n"
        "    try:\n"
        "        found[name] = m.version(name)\n"
        "    except m.PackageNotFoundError:\n"
        "        pass\n"
        "print(json.dumps(found))"
    )
    out = subprocess.run(
        [str(python), "-c", code, *distributions],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)


def _make_venv(venv: Path, base_python: Path, log: Log) -> Path:
    """Create `venv` from `base_python` unless it exists; its python."""
    python = venv / "bin" / "python"
    if not python.exists():
        log(f"creating {venv} with {base_python}")
        subprocess.run([str(base_python), "-m", "venv", str(venv)], check=True)
    return python


def ensure_ref_venv(venv: Path, base_python: Path, async_mode: str, log: Log) -> None:
    """Create the ref venv if needed and install what `async_mode` needs."""
    python = _make_venv(venv, base_python, log)
    modules = {"flask_socketio": REF_REQUIREMENT, **MODE_MODULES[async_mode]}
    missing = missing_modules(python, list(modules))
    if not missing:
        return
    wanted = sorted({modules[m] for m in missing} | {REF_REQUIREMENT})
    pins = installed_versions(base_python, SHARED_DISTRIBUTIONS)
    log(f"installing {' '.join(wanted)} into {venv} (pinned to ours: {pins})")
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
        f.write("".join(f"{name}=={version}\n" for name, version in pins.items()))
        constraints = f.name
    try:
        pip = [str(python), "-m", "pip", "install", "--quiet", *wanted]
        if subprocess.run([*pip, "--constraint", constraints]).returncode != 0:
            log("pinned install failed; installing without the pins")
            subprocess.run(pip, check=True)
    finally:
        os.unlink(constraints)


def ensure_bare_venv(venv: Path, base_python: Path, log: Log) -> None:
    """Create the venv of bare.py (websockets only) if needed."""
    python = _make_venv(venv, base_python, log)
    if missing_modules(python, ["websockets"]):
        log(f"installing {BARE_REQUIREMENT} into {venv}")
        pip = [str(python), "-m", "pip", "install", "--quiet", BARE_REQUIREMENT]
        subprocess.run(pip, check=True)


def prepare(
    names: list[str],
    ours_python: Path,
    mode: str,
    log: Log,
    ref_venv: Path = BENCH_DIR / ".venv-ref",
    bare_venv: Path = BENCH_DIR / ".venv-bare",
) -> dict[str, Implementation]:
    """The implementations by name, with their venvs and node modules in place."""
    ensure_loadgen(log)
    chosen: dict[str, Implementation] = {}
    for name in names:
        if name == "ref":
            ensure_ref_venv(ref_venv, ours_python, mode, log)
            chosen[name] = ref(ref_venv)
        elif name == "ours":
            chosen[name] = ours(ours_python)
        elif name == "mock":
            chosen[name] = mock()
        elif name == "floor":
            chosen[name] = floor(ours_python)
        elif name == "bare":
            ensure_bare_venv(bare_venv, ours_python, log)
            chosen[name] = bare(bare_venv)
        else:
            raise ValueError(f"unknown implementation {name}")
    return chosen


def ref_versions(venv: Path) -> dict[str, str]:
    return installed_versions(
        venv / "bin" / "python",
        ["flask-socketio", "python-socketio", "python-engineio", "flask", "werkzeug"],
    )


def ensure_loadgen(log: Log) -> None:
    if (LOADGEN_DIR / "node_modules" / "ws").is_dir():
        return
    log("installing the load generator's node modules (npm ci)")
    subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=LOADGEN_DIR, check=True)
