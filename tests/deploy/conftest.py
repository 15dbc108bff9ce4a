"""Fixtures of the packaging tests: the distribution, built once, and fresh venvs.

``built`` runs ``python -m build`` on the working tree once per session (sdist,
then the wheel from the sdist, as PyPI's users get them); ``fresh_venv`` makes
an empty venv (with pip) in the test's tmp folder::

    def test_installs(built, fresh_venv):
        fresh_venv.pip("install", built.wheel)
        assert fresh_venv.python_c("import flask_socketio").returncode == 0

Both need the registry (build's isolated environment, the dependencies) or
pip's cache.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import ROOT, require

#: The environment of the processes run in a venv: nothing of the test venv leaks in.
CLEAN_ENV = {
    **{k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")},
    "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    "PYTHONUNBUFFERED": "1",
}


def run(args: list[str], cwd: Path, timeout: float = 120) -> str:
    """Run `args`; return stdout and stderr together, or fail the test with them."""
    done = subprocess.run(args, cwd=cwd, env=CLEAN_ENV, capture_output=True, text=True,
                          timeout=timeout)
    output = done.stdout + done.stderr
    if done.returncode != 0:
        pytest.fail(f"{' '.join(args)} exited {done.returncode}:\n{output[-5000:]}")
    return output


@dataclass
class Built:
    sdist: Path
    wheel: Path
    log: str  # what `python -m build` printed


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    require(importlib.util.find_spec("build") is not None,
            "the build package is not installed (pip install -e '.[test]')")
    out = tmp_path_factory.mktemp("dist")
    log = run([sys.executable, "-m", "build", "--outdir", str(out), str(ROOT)], cwd=out,
              timeout=300)
    (sdist,), (wheel,) = out.glob("*.tar.gz"), out.glob("*.whl")
    return Built(sdist, wheel, log)


@dataclass
class Venv:
    path: Path

    @property
    def python(self) -> Path:
        return self.path / "bin" / "python"

    def pip(self, *args: str | Path) -> str:
        return run([str(self.python), "-m", "pip", *map(str, args)], cwd=self.path.parent,
                   timeout=300)

    def python_c(self, code: str) -> subprocess.CompletedProcess[str]:
        """``python -c code`` from outside the repository, so only the venv is imported."""
        return subprocess.run([str(self.python), "-c", code], cwd=self.path.parent,
                              env=CLEAN_ENV, capture_output=True, text=True, timeout=60)


@pytest.fixture
def fresh_venv(tmp_path: Path) -> Venv:
    venv = Venv(tmp_path / "venv")
    run([sys.executable, "-m", "venv", str(venv.path)], cwd=tmp_path)
    return venv
