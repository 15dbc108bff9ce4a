"""``rediss://`` (TLS) and ``redis+sentinel://`` message queues: a TLS
redis-server with a throwaway certificate, and a Sentinel watching a private
redis-server, started by the test on ephemeral ports; two processes relay
broadcasts and forward polling requests through each."""

from __future__ import annotations

import queue
import shutil
import subprocess
import time
import uuid
from pathlib import Path

import pytest
import socketio

from tests.cluster.roundrobin import RoundRobinProxy
from tests.cluster.test_nginx import free_port
from tests.conftest import require, wait_for_port

REDIS = shutil.which("redis-server")
OPENSSL = shutil.which("openssl")


class Processes:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.started: list[subprocess.Popen] = []

    def start(self, *argv: str, port: int) -> None:
        log = open(self.directory / f"redis-{port}.log", "wb")  # noqa: SIM115
        self.started.append(subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT))
        try:
            wait_for_port(port, timeout=10)
        except TimeoutError:
            require(False, f"{argv[0]} did not start: "
                    f"{(self.directory / f'redis-{port}.log').read_text()[-500:]}")

    def stop(self) -> None:
        for proc in self.started:
            proc.terminate()
            proc.wait(5)


@pytest.fixture
def processes(tmp_path):
    require(REDIS is not None, "redis-server")
    started = Processes(tmp_path)
    yield started
    started.stop()


def tls_url(processes: Processes) -> str:
    require(OPENSSL is not None, "openssl")
    cert, key = processes.directory / "cert.pem", processes.directory / "key.pem"
    subprocess.run(
        [OPENSSL, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True, timeout=60,
    )
    port = free_port()
    processes.start(REDIS, "--port", "0", "--tls-port", str(port), "--bind", "127.0.0.1",
                    "--tls-cert-file", str(cert), "--tls-key-file", str(key),
                    "--tls-ca-cert-file", str(cert), "--tls-auth-clients", "no",
                    "--save", "", "--appendonly", "no", port=port)
    return f"rediss://127.0.0.1:{port}/0?ssl_cert_reqs=required&ssl_ca_certs={cert}"


def sentinel_url(processes: Processes) -> str:
    master = free_port()
    processes.start(REDIS, "--port", str(master), "--bind", "127.0.0.1", "--save", "",
                    "--appendonly", "no", port=master)
    sentinel = free_port()
    conf = processes.directory / "sentinel.conf"
    conf.write_text(
        f"port {sentinel}\nbind 127.0.0.1\ndir {processes.directory}\n"
        f"sentinel monitor service-{master} 127.0.0.1 {master} 1\n"
    )
    processes.start(REDIS, str(conf), "--sentinel", port=sentinel)
    return f"redis+sentinel://127.0.0.1:{sentinel}/service-{master}/0"


@pytest.mark.parametrize("make_url", [tls_url, sentinel_url], ids=["rediss", "sentinel"])
def test_relay_and_forwarding_through(make_url, processes, server_factory):
    url = make_url(processes)
    env = {"MESSAGE_QUEUE": url, "CHANNEL": f"test-{uuid.uuid4().hex[:8]}"}
    one, two = (server_factory("tests.cluster.cluster_app:app", **env) for _ in range(2))
    time.sleep(0.5)  # both listen
    inboxes = [queue.Queue(), queue.Queue()]
    direct = socketio.Client(reconnection=False)
    direct.on("news", lambda *args: inboxes[0].put(args))
    direct.connect(one.url, transports=["websocket"], wait_timeout=10)
    spread = socketio.Client(reconnection=False)
    spread.on("news", lambda *args: inboxes[1].put(args))
    with RoundRobinProxy([one.port, two.port]) as proxy:
        spread.connect(proxy.url, transports=["polling"], wait_timeout=10)
        try:
            for sender, text in ((direct, "from one"), (spread, "from the spread one")):
                assert sender.call("broadcast", text, timeout=10) == "sent"
                for inbox in inboxes:
                    assert inbox.get(timeout=10) == (text,)
            assert proxy.backends_of(spread.eio.sid) == {0, 1}
        finally:
            spread.disconnect()
            direct.disconnect()
