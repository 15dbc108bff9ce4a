"""``socketio.run(app)`` in the green modes (the documentation's "embedded
server"), patched and unpatched: it serves websocket and polling, logs requests
when asked, warns when unpatched, and ``socketio.stop()`` ends it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
import socketio

from tests.conftest import ROOT, require
from tests.deploy.test_production_commands import HERE, free_port


def start(tmp_path: Path, *args: str, **env: str) -> tuple[subprocess.Popen, str, Path]:
    port = free_port()
    log_path = tmp_path / "server.log"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE), str(ROOT / "src")]),
           "PYTHONWARNINGS": "ignore", **env}
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([sys.executable, "run_app.py", args[0], str(port), *args[1:]],
                                cwd=HERE, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"{'https' if 'ssl' in args else 'http'}://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            requests.get(url + "/", timeout=2, verify=False)
            return proc, url, log_path
        except requests.RequestException:
            if proc.poll() is not None:
                break
            time.sleep(0.2)
    proc.kill()
    raise AssertionError(f"server did not start:\n{log_path.read_text()}")


@pytest.mark.parametrize("mode", ["eventlet", "gevent"])
@pytest.mark.parametrize("patched", [True, False], ids=["patched", "unpatched"])
def test_run_serves_and_stops(tmp_path, mode, patched):
    proc, url, log_path = start(tmp_path, mode, *(["patch"] if patched else []))
    try:
        assert requests.get(url + "/", timeout=5).json() == {"async_mode": mode}
        for transports in (["websocket"], ["polling"]):
            client = socketio.Client(reconnection=False)
            client.connect(url, transports=transports, wait_timeout=10)
            assert client.call("echo", transports[0], timeout=10) == transports[0]
            client.disconnect()
        assert requests.get(url + "/stop", timeout=5).text == "stopping"
        assert proc.wait(15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    log = log_path.read_text()
    assert "GET /socket.io/?transport=polling" in log  # log_output=True
    assert ("without monkey patching" in log) != patched, log
    assert "Traceback" not in log, log


@pytest.mark.parametrize("mode", ["eventlet", "gevent"])
def test_run_with_reloader(tmp_path, mode):
    proc, url, log_path = start(tmp_path, mode, "reload")
    try:
        client = socketio.Client(reconnection=False)
        client.connect(url, transports=["websocket"], wait_timeout=10)
        assert client.call("echo", "reloaded", timeout=10) == "reloaded"
        client.disconnect()
    finally:
        proc.terminate()
        proc.wait(15)
    assert "Traceback" not in log_path.read_text()


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
@pytest.mark.parametrize("mode", ["eventlet", "gevent"])
def test_run_with_ssl_options(tmp_path, mode):
    require(shutil.which("openssl") is not None, "openssl is not installed")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    proc, url, log_path = start(tmp_path, mode, "patch", "ssl", CERTFILE=str(cert),
                                KEYFILE=str(key))
    try:
        for transports in (["websocket"], ["polling"]):
            session = requests.Session()
            session.verify = False  # the certificate is self-signed
            session.trust_env = False  # else REQUESTS_CA_BUNDLE overrides verify
            client = socketio.Client(reconnection=False, ssl_verify=False, http_session=session)
            client.connect(url, transports=transports, wait_timeout=10)
            assert client.call("echo", "secure", timeout=10) == "secure"
            client.disconnect()
    finally:
        proc.terminate()
        proc.wait(15)
    assert "Traceback" not in log_path.read_text()
