"""The distribution as users get it: built with ``python -m build``, installed by pip.

The build must be warning-free about the license (PEP 639 metadata), ship the
LICENSE and the ``py.typed`` marker, and the wheel installed into a fresh venv
must run an app with the test client, importing the package from that venv.
"""

from __future__ import annotations

import json
import tarfile
import zipfile

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

APP = """
import json
import flask_socketio
from flask import Flask
from flask_socketio import SocketIO, emit
from flask_socketio.test_client import SocketIOTestClient

app = Flask(__name__)
socketio = SocketIO(app, async_mode="threading")

@socketio.on("echo")
def echo(data):
    emit("echoed", data)
    return "ack " + data

client = SocketIOTestClient(app, socketio)
print(json.dumps({
    "file": flask_socketio.__file__,
    "ack": client.emit("echo", "hi", callback=True),
    "received": client.get_received(),
}))
"""


def test_build_has_no_license_warning(built) -> None:
    warnings = [line for line in built.log.splitlines()
                if "warn" in line.lower() and "licen" in line.lower()]
    assert warnings == [], built.log


def test_sdist_and_wheel_ship_license_and_marker(built) -> None:
    with tarfile.open(built.sdist) as sdist:
        names = {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name}
    assert {"LICENSE", "src/flask_socketio/py.typed"} <= names
    with zipfile.ZipFile(built.wheel) as wheel:
        names = set(wheel.namelist())
        dist_info = next(n.split("/")[0] for n in names if n.endswith(".dist-info/METADATA"))
        metadata = wheel.read(f"{dist_info}/METADATA").decode()
    assert {"flask_socketio/py.typed", f"{dist_info}/licenses/LICENSE",
            "flask_socketio/test_client.py"} <= names
    assert "License-Expression: MIT" in metadata.splitlines()
    assert "License-File: LICENSE" in metadata.splitlines()


def test_wheel_runs_in_a_fresh_venv(built, fresh_venv) -> None:
    fresh_venv.pip("install", "-q", built.wheel)
    located = fresh_venv.python_c("import flask_socketio; print(flask_socketio.__file__)")
    assert located.returncode == 0, located.stderr
    assert located.stdout.strip().startswith(str(fresh_venv.path) + "/"), located.stdout

    ran = fresh_venv.python_c(APP)
    assert ran.returncode == 0, ran.stderr
    result = json.loads(ran.stdout)
    assert result["file"] == located.stdout.strip()
    assert result["ack"] == "ack hi"
    assert result["received"] == [{"name": "echoed", "args": ["hi"], "namespace": "/"}]
