"""Every entry of the hostile-input catalogue (catalogue.py, docs/security.md)
over real sockets, in every async mode, against one server per mode.

After each entry: the answer is the documented one, the server log gained a
line about the incident and holds no traceback, and the server still serves
(the bystander, a python-socketio client connected throughout, gets its echo
answered, and a new client connects). Entries the server answers wrongly
today are strict xfails naming issue 12: they turn into failures once fixed.
"""

from __future__ import annotations

import re

import pytest
import socketio

from tests.conftest import ROOT
from tests.hostile.catalogue import APP, ENTRIES, TIMEOUT, Context, matches, run


@pytest.fixture(scope="module")
def server(module_server_factory, async_mode):
    server = module_server_factory(APP, async_mode)
    yield server
    server.stop()  # before the next mode's


@pytest.fixture(scope="module")
def bystander(server):
    """A python-socketio client connected throughout, in the rooms the entries flood."""
    client = socketio.Client(reconnection=False)
    client.connect(server.url, transports=["websocket"], wait_timeout=TIMEOUT)
    yield client
    client.disconnect()


@pytest.mark.parametrize("entry", ENTRIES, ids=[entry.id for entry in ENTRIES])
def test_hostile_input(entry, server, bystander, async_mode, request):
    reason = entry.wrong_today(async_mode)
    if reason:
        request.applymarker(pytest.mark.xfail(strict=True, reason=reason))
    ctx = Context(server, async_mode, bystander)
    since = len(server.log())
    answer, log = run(entry, ctx)
    assert matches(entry.expected(async_mode), answer), answer
    pattern = entry.log_line(async_mode)
    assert pattern is None or re.search(pattern, log), f"no line matching {pattern!r}:\n{log}"
    ctx.unharmed()
    assert "Traceback" not in server.log()[since:], server.log()[since:][-5000:]


def test_every_entry_is_documented():
    text = (ROOT / "docs" / "security.md").read_text()
    missing = [entry.id for entry in ENTRIES if f"`{entry.id}`" not in text]
    assert not missing, f"not in docs/security.md: {missing}"
