"""Fixtures for the documentation (seed) tests.

``serve("rooms")`` starts ``apps/rooms.py`` in a subprocess with the interpreter
running pytest (threading async mode, 127.0.0.1, an ephemeral port) and kills it
at teardown. When a test fails, the stdout and stderr of every server it started
are attached to the report.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from seedlib import Server, start_server

SERVERS_KEY = pytest.StashKey[list[Server]]()


@pytest.fixture
def serve(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[..., Server]]:
    servers: list[Server] = []
    request.node.stash[SERVERS_KEY] = servers

    def start(name: str, env: dict[str, str] | None = None) -> Server:
        server = start_server(name, tmp_path, env)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    if report.when != "call" or not report.failed:
        return
    for server in item.stash.get(SERVERS_KEY, []):
        report.sections.append((f"server {server.name} stderr", server.stderr()))
        report.sections.append((f"server {server.name} stdout", server.stdout()))
