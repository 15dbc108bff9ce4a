"""Installed over Flask-SocketIO, the package refuses to import and says how to repair.

Both distributions install ``flask_socketio/``: pip lets the second overwrite
the first's files. A fresh venv gets Flask-SocketIO 5.x from the registry,
then our wheel; the import must fail naming the command, and that command,
run as printed, must leave a working install of ours alone.
"""

from __future__ import annotations

import json
import subprocess

import pytest

from flask_socketio._installcheck import repair_command
from tests.deploy.conftest import CLEAN_ENV

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


def test_import_fails_until_the_printed_command_is_run(built, fresh_venv) -> None:
    fresh_venv.pip("install", "-q", "flask-socketio>=5,<6")
    fresh_venv.pip("install", "-q", built.wheel)

    failed = fresh_venv.python_c("import flask_socketio")
    assert failed.returncode != 0
    assert "ImportError" in failed.stderr, failed.stderr
    command = repair_command(str(fresh_venv.python), str(built.wheel))
    assert f"\n    {command}\n" in failed.stderr, failed.stderr

    repaired = subprocess.run(["bash", "-c", command], cwd=fresh_venv.path.parent,
                              env=CLEAN_ENV, capture_output=True, text=True, timeout=300)
    assert repaired.returncode == 0, repaired.stdout + repaired.stderr

    fixed = fresh_venv.python_c(
        "import json, flask_socketio, flask_socketio.extension\n"
        "from importlib import metadata\n"
        "from flask_socketio.test_client import SocketIOTestClient\n"
        "print(json.dumps([flask_socketio.__file__, SocketIOTestClient.__module__,"
        " sorted(d.metadata['Name'].lower() for d in metadata.distributions())]))"
    )
    assert fixed.returncode == 0, fixed.stderr
    location, owner, distributions = json.loads(fixed.stdout)
    assert location.startswith(str(fresh_venv.path) + "/")
    assert owner == "flask_socketio.testing"
    assert "flask-socketio-native" in distributions and "flask-socketio" not in distributions
