"""The official Engine.IO v4/v3 and Socket.IO v5 test suites, in every async mode.

The suites (published by the Socket.IO authors with the protocol
specifications) live beside the project in ``../shared/conformance`` and are
run from there by its ``run.sh``, against `contract_app` on 127.0.0.1:3000
(the port is hard-coded in the suites). Each must reach the counts of the
Node reference server. See docs/conformance.md.

``CONFORMANCE_REPEAT=10`` runs each suite ten times in a row.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT, LiveServer, require, start_server

PORT = 3000

#: The Node reference server's counts: (passing, pending) and no failure.
REFERENCE = {"eio-v4": (24, 0), "eio-v3": (23, 1), "sio-v5": (32, 0)}

# The first run installs the suites' npm packages.
pytestmark = pytest.mark.timeout(300)


def find_suites() -> Path | None:
    """``../shared/conformance`` beside the checkout or, from a linked git
    worktree, beside the main worktree."""
    candidates = [ROOT.parent / "shared" / "conformance"]
    try:
        common = subprocess.run(
            ["git", "rev-parse", "--path-format=absolute", "--git-common-dir"],
            cwd=ROOT, capture_output=True, text=True, timeout=10, check=True,
        ).stdout.strip()
        candidates.append(Path(common).parent.parent / "shared" / "conformance")
    except (OSError, subprocess.SubprocessError):
        pass
    return next((path for path in candidates if (path / "run.sh").is_file()), None)


def port_taken(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def parse_counts(line: str) -> dict[str, int]:
    """``eio-v3  run 1   23 passing (1s) 1 pending`` -> {"passing": 23, "pending": 1}."""
    return {kind: int(n) for n, kind in re.findall(r"(\d+) (passing|pending|failing)", line)}


@pytest.fixture(scope="module")
def suites() -> Path:
    found = find_suites()
    require(found is not None, "the protocol suites (../shared/conformance) are not there")
    require(shutil.which("node") is not None and shutil.which("npm") is not None,
            "node and npm are needed to run the protocol suites")
    assert found is not None
    return found


@pytest.fixture(scope="module")
def contract_server(
    suites: Path, async_mode: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    # Never test somebody else's server (a leftover reference server, say).
    if port_taken(PORT):
        pytest.fail(f"127.0.0.1:{PORT} is taken: the protocol suites need it for our server")
    log_path = tmp_path_factory.mktemp("conformance") / f"{async_mode}.log"
    server = start_server("tests.conformance.contract_app:app", log_path, async_mode, port=PORT)
    yield server
    server.stop()


@pytest.mark.parametrize("suite", list(REFERENCE))
def test_suite_at_reference_counts(
    suites: Path, contract_server: LiveServer, suite: str
) -> None:
    repeat = int(os.environ.get("CONFORMANCE_REPEAT", "1"))
    result = subprocess.run(
        [str(suites / "run.sh"), "--repeat", str(repeat), suite],
        capture_output=True, text=True, timeout=280,
    )
    output = result.stdout + result.stderr
    assert contract_server.proc.poll() is None, f"the server died:\n{contract_server.log()}"
    runs = [line for line in result.stdout.splitlines() if line.startswith(f"{suite} ")]
    assert len(runs) == repeat, output
    passing, pending = REFERENCE[suite]
    for line in runs:
        counts = parse_counts(line)
        assert counts.get("failing", 0) == 0, output + contract_server.log()[-3000:]
        assert (counts.get("passing"), counts.get("pending", 0)) == (passing, pending), output
    assert result.returncode == 0, output
