"""Flask-SocketIO 5.7.0's own test suite, unchanged, run against this package.

The vendored ``flask_socketio_5_7_0/test_socketio.py`` runs once per async mode
in its own pytest process, as its project runs it (``pytest -p no:logging``,
from a folder of its own, no conftest of ours); each of its tests is then one
test here, which fails with the reference test's error. Those that fail today
are strict expected failures, listed in `EXPECTED_FAILURES` with the reason:
when one passes, the run turns red and the entry is to be removed.
"""

from __future__ import annotations

import ast
import hashlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.conftest import ROOT, require

HERE = Path(__file__).resolve().parent
SUITE = HERE / "flask_socketio_5_7_0" / "test_socketio.py"
SUITE_SHA256 = "ff2a410f0204a87aeb1953430315e51145a1d6a6c6dbc8e6ddf5b8d9de881391"

#: threading: as in Flask-SocketIO's CI (neither eventlet nor gevent installed);
#: eventlet, gevent: unpatched, as a test suite of an app with one of them installed.
MODES = ("threading", "eventlet", "gevent")

_UNPATCHED_SLEEP = (
    "the test waits with time.sleep(), which an unpatched green mode does not yield "
    "from, so the background task never runs; Flask-SocketIO 5.7.0 fails it the same way"
)
#: (mode or None for every mode, test id) -> why it fails today.
EXPECTED_FAILURES: dict[tuple[str | None, str], str] = {
    ("eventlet", "TestSocketIO::test_background_task"): _UNPATCHED_SLEEP,
    ("gevent", "TestSocketIO::test_background_task"): _UNPATCHED_SLEEP,
}


def reference_test_ids() -> list[str]:
    """The suite's tests, read from the file: ``Class::method`` or ``function``."""
    ids = []
    for node in ast.parse(SUITE.read_text()).body:
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test"):
            ids.append(node.name)
        elif isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            ids += [f"{node.name}::{item.name}" for item in node.body
                    if isinstance(item, ast.FunctionDef) and item.name.startswith("test")]
    return ids


def cases() -> list:
    params = []
    for mode in MODES:
        for test_id in reference_test_ids():
            reason = (EXPECTED_FAILURES.get((mode, test_id))
                      or EXPECTED_FAILURES.get((None, test_id)))
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            params.append(pytest.param(mode, test_id, marks=marks, id=f"{mode}-{test_id}"))
    return params


def run_suite(mode: str, workdir: Path) -> dict[str, tuple[str, str]]:
    """Run the vendored suite in `mode`; return ``{test id: (outcome, details)}``."""
    shutil.copy(SUITE, workdir / SUITE.name)
    (workdir / "pytest.ini").write_text("[pytest]\n")  # its own rootdir, none of our options
    report, junit = workdir / "mode.json", workdir / "junit.xml"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "src")]),
           "REFERENCE_ASYNC_MODE": mode, "REFERENCE_REPORT": str(report)}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "tests.reference.mode_plugin",
         "-p", "no:logging", "-p", "no:cacheprovider", f"--junitxml={junit}", "-q",
         SUITE.name],
        cwd=workdir, env=env, capture_output=True, text=True, timeout=300,
    )
    output = done.stdout + done.stderr
    assert junit.exists() and report.exists(), output[-5000:]
    ran = json.loads(report.read_text())
    assert ran["async_mode"] == mode, (ran, output[-5000:])
    assert Path(ran["package"]).is_relative_to(ROOT / "src"), ran
    results = {}
    for case in ET.parse(junit).getroot().iter("testcase"):
        classname = case.get("classname", "").removeprefix(SUITE.stem).lstrip(".")
        test_id = f"{classname}::{case.get('name')}" if classname else case.get("name", "")
        outcome, details = "passed", ""
        for child in case:
            if child.tag in ("failure", "error", "skipped"):
                outcome = child.tag
                details = f"{child.get('message', '')}\n{(child.text or '')[-3000:]}"
                break
        results[test_id] = (outcome, details)
    return results


@pytest.fixture(scope="module")
def reference_results(tmp_path_factory: pytest.TempPathFactory):
    runs: dict[str, dict[str, tuple[str, str]]] = {}

    def results(mode: str) -> dict[str, tuple[str, str]]:
        if mode not in runs:
            if mode != "threading":
                require(importlib.util.find_spec(mode) is not None,
                        f"{mode} is not installed (pip install -e '.[{mode}]')")
            runs[mode] = run_suite(mode, tmp_path_factory.mktemp(f"reference-{mode}"))
        return runs[mode]

    return results


def test_vendored_file_is_unchanged() -> None:
    assert hashlib.sha256(SUITE.read_bytes()).hexdigest() == SUITE_SHA256


@pytest.mark.parametrize(("mode", "test_id"), cases())
def test_reference(reference_results, mode: str, test_id: str) -> None:
    outcome, details = reference_results(mode).get(test_id, ("missing", "not run"))
    if outcome == "skipped":
        pytest.skip(details)
    assert outcome == "passed", f"{test_id} ({mode}): {outcome}\n{details}"
