"""The async mode drivers: same primitives, same semantics, and auto-detection.

Each check runs in a fresh interpreter, so that eventlet and gevent (and their
monkey patching) never meet the test runner's own threads.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from tests.conftest import ROOT

PRIMITIVES = """
import logging, sys
logging.basicConfig(stream=sys.stdout, format="%(levelname)s %(message)s")
from flask_socketio.drivers import load_driver
d = load_driver(MODE)
assert d.name == MODE, d.name

# Event: set/clear/is_set, wait(timeout) -> bool, woken from another task
e = d.Event()
assert e.wait(0.01) is False
d.spawn(lambda: (d.sleep(0.01), e.set()))
assert e.wait(5) is True and e.is_set()
e.clear()
assert not e.is_set()

# Lock: a context manager, exclusive
lock, order = d.Lock(), []
def holder():
    with lock:
        order.append("held")
        d.sleep(0.05)
        order.append("released")
task = d.spawn(holder)
d.sleep(0.01)
with lock:
    order.append("second")
task.join(5)
assert order == ["held", "released", "second"], order
assert not task.is_alive()

# submit: runs the job; an exception is logged, never raised into the hub
done = d.Event()
d.submit(lambda: 1 / 0)
d.submit(done.set)
assert done.wait(5)
t0 = d.monotonic(); d.sleep(0.02); assert d.monotonic() - t0 >= 0.015
d.warn_unpatched("the test queue")

# take_socket: None when the web server hands no socket over
assert d.take_socket({"REQUEST_METHOD": "GET"}) is None
print("OK")
"""


def run(code: str, mode: str = "", patch: str = "") -> str:
    env = {
        **os.environ,
        "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'src'}",
        "PYTHONWARNINGS": "ignore",
    }
    script = f"{patch}\nMODE = {mode!r}\n{textwrap.dedent(code)}"
    result = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.mark.parametrize("mode", ["threading", "eventlet", "gevent"])
def test_primitives(mode):
    out = run(PRIMITIVES, mode)
    assert out.rstrip().endswith("OK")
    assert "ERROR unhandled error in a worker job" in out  # the 1 / 0 job
    if mode == "threading":
        assert "monkey" not in out
    else:
        assert f"{mode} is running without monkey patching, and the test queue" in out


@pytest.mark.parametrize(
    "mode,patch",
    [
        ("eventlet", "import eventlet; eventlet.monkey_patch()"),
        ("gevent", "from gevent import monkey; monkey.patch_all()"),
    ],
)
def test_patched_primitives_do_not_warn(mode, patch):
    out = run(PRIMITIVES, mode, patch)
    assert out.rstrip().endswith("OK") and "monkey" not in out


@pytest.mark.parametrize(
    "patch,expected",
    [
        ("", "eventlet"),  # the documented order: eventlet first when installed
        ("from gevent import monkey; monkey.patch_all()", "gevent"),
        ("import eventlet; eventlet.monkey_patch()", "eventlet"),
    ],
)
def test_auto_detection_prefers_the_running_framework(patch, expected):
    out = run(
        "from flask_socketio.drivers import load_driver; print(load_driver().name)", patch=patch
    )
    assert out.strip() == expected


def test_unknown_or_unavailable_mode_names_the_extra():
    out = run("""
        from flask_socketio.drivers import AsyncModeError, load_driver
        for mode in ("carrier-pigeon", "gevent_uwsgi"):
            try:
                load_driver(mode)
            except AsyncModeError as exc:
                print(exc)
    """)
    assert "invalid async_mode 'carrier-pigeon'" in out
    assert "flask-socketio-native[uwsgi]" in out  # not under uWSGI here


def test_gevent_uwsgi_refuses_to_serve_outside_uwsgi():
    out = run("""
        import sys, types
        sys.modules["uwsgi"] = types.SimpleNamespace(opt={})
        try:
            import flask_socketio.drivers.gevent_uwsgi
        except ImportError as exc:
            print(exc)
    """)
    assert "--gevent" in out


@pytest.mark.parametrize("mode", ["eventlet", "gevent"])
def test_message_queue_without_patching_is_warned_about(mode):
    out = run("""
        import logging, sys
        logging.basicConfig(stream=sys.stdout, format="%(levelname)s %(message)s")
        from flask_socketio.managers import PubSubManager
        from flask_socketio.server import Server

        class Queue(PubSubManager):
            name = "test-queue"
            def _publish(self, data): pass
            def _listen(self): return iter(())

        class Emitter(Queue):
            name = "emit-only"  # an external emitter never listens: no warning

        Server(async_mode=MODE, client_manager=Emitter(write_only=True))
        Server(async_mode=MODE, client_manager=Queue())
    """, mode)
    assert out.count("WARNING") == 1 and "emit-only" not in out, out
    assert f"{mode} is running without monkey patching, and the message queue client " \
           "(test-queue)" in out
