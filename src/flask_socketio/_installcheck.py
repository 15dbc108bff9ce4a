"""Refuse to run beside the ``flask-socketio`` distribution.

Flask-SocketIO and this package install the same ``flask_socketio/`` folder.
Installed together, the one installed last overwrites the other's files
(``__init__.py``, ``namespace.py``, ``test_client.py``), and uninstalling either
deletes files the other needs. Nothing in pip prevents it, so the package
checks at import (one metadata lookup) and names the commands that repair the
environment:

>>> check_installation()  # nothing happens without flask-socketio installed
>>> print(repair_command("python", "dist/x.whl"))
python -m pip uninstall -y flask-socketio flask-socketio-native && python -m pip install dist/x.whl
"""

from __future__ import annotations

import json
import shlex
import sys
from importlib import metadata
from urllib.parse import unquote, urlsplit

#: The distribution that shares our import package (any spelling: lookups normalize).
OTHER = "flask-socketio"
OURS = "flask-socketio-native"


def repair_command(python: str, source: str) -> str:
    """The shell command that removes both distributions, then installs ours from `source`."""
    pip = f"{shlex.quote(python)} -m pip"
    return f"{pip} uninstall -y {OTHER} {OURS} && {pip} install {source}"


def install_source() -> str:
    """What to give ``pip install`` to get this package back: where it came from.

    pip records a wheel, a folder or a VCS URL (PEP 610's ``direct_url.json``);
    an install from an index records nothing and is reinstalled by name.
    """
    try:
        recorded = metadata.distribution(OURS).read_text("direct_url.json")
        direct = json.loads(recorded) if recorded else {}
    except (metadata.PackageNotFoundError, ValueError):
        direct = {}
    url = direct.get("url")
    if not isinstance(url, str):
        return OURS
    parts = urlsplit(url)
    location = unquote(parts.path) if parts.scheme == "file" else url
    vcs = direct.get("vcs_info")
    if isinstance(vcs, dict):
        revision = vcs.get("requested_revision") or vcs.get("commit_id")
        location = f"{vcs.get('vcs', 'git')}+{url}" + (f"@{revision}" if revision else "")
    source = shlex.quote(location)
    if (direct.get("dir_info") or {}).get("editable"):
        source = f"-e {source}"
    return source


def check_installation() -> None:
    """Raise ImportError when ``flask-socketio`` is installed in this environment too."""
    try:
        other = metadata.distribution(OTHER)
    except metadata.PackageNotFoundError:
        return
    raise ImportError(
        f"{OTHER} {other.version} is installed in this environment as well as {OURS}. "
        "Both install the same flask_socketio/ folder: their files overwrite each other, "
        "and uninstalling either deletes files of the other. Remove both, then install "
        f"{OURS} again:\n\n    {repair_command(sys.executable, install_source())}\n"
    )
