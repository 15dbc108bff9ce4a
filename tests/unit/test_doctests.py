"""The examples in the package's docstrings run (and say what they show).

The green drivers are left out: importing eventlet or gevent into the test
runner's process would change it for every other test.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import flask_socketio

GREEN = {"flask_socketio.drivers.eventlet", "flask_socketio.drivers.gevent"}
GREEN |= {"flask_socketio.drivers.gevent_uwsgi", "flask_socketio.drivers._green"}
MODULES = sorted(
    info.name
    for info in pkgutil.walk_packages(flask_socketio.__path__, "flask_socketio.")
    if info.name not in GREEN
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS, verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}"
