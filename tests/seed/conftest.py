"""Fixtures for the documentation (seed) tests.

``serve("rooms")`` returns the server of ``apps/rooms.py``, started in a
subprocess with the interpreter running pytest (threading async mode,
127.0.0.1, an ephemeral port). Servers are shared by the tests of one module
(the tests use unique room names, users and payloads, so they do not see each
other's traces) and killed at the module's teardown. ``serve(name, fresh=True)``
gives a test its own server, killed at the test's teardown, and
``serve(name, flask_run=True)`` its own server started with ``flask run``.
When a test fails, the stdout and stderr of every server it used are attached
to the report.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator

import pytest
from seedlib import Server, start_flask_run, start_server

SERVERS_KEY = pytest.StashKey[list[Server]]()


@pytest.fixture(scope="module")
def server_pool() -> Iterator[dict[str, Server]]:
    pool: dict[str, Server] = {}
    yield pool
    for server in pool.values():
        server.stop()


@pytest.fixture
def serve(
    request: pytest.FixtureRequest,
    server_pool: dict[str, Server],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[..., Server]]:
    used: list[Server] = []
    fresh_servers: list[Server] = []
    request.node.stash[SERVERS_KEY] = used

    def start(name: str, fresh: bool = False, flask_run: bool = False) -> Server:
        if flask_run:
            server = start_flask_run(name, tmp_path_factory.mktemp(name))
            fresh_servers.append(server)
        elif fresh:
            server = start_server(name, tmp_path_factory.mktemp(name))
            fresh_servers.append(server)
        else:
            server = server_pool.get(name)
            if server is None or server.process.poll() is not None:
                server = start_server(name, tmp_path_factory.mktemp(name))
                server_pool[name] = server
        used.append(server)
        return server

    yield start
    for server in fresh_servers:
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


def pytest_report_header() -> str:
    import flask_socketio

    return f"seed servers: {sys.executable} with flask_socketio from {flask_socketio.__file__}"
