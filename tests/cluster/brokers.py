"""Brokers a test may break: a private redis-server, and a TCP relay in front
of the shared RabbitMQ whose connections the test cuts (the shared broker
itself is never stopped: other people use it).

>>> with private_redis(tmp_path) as broker:  # doctest: +SKIP
...     broker.down(); broker.up()
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

from tests.conftest import wait_for_port
from tests.tcprelay import TCPRelay


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PrivateRedis:
    """A redis-server of our own on an ephemeral port: killed and started again."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen[bytes] | None = None
        self.up()

    def up(self) -> None:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--dir", str(self.directory)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port, 10)

    def down(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(5)
            self.proc = None

    def close(self) -> None:
        self.down()


@contextlib.contextmanager
def private_redis(directory: Path) -> Iterator[PrivateRedis]:
    if shutil.which("redis-server") is None:
        raise FileNotFoundError("redis-server")
    broker = PrivateRedis(directory)
    try:
        yield broker
    finally:
        broker.close()


@contextlib.contextmanager
def rabbitmq_relay(port: int = 5672) -> Iterator[TCPRelay]:
    relay = TCPRelay(port, "amqp://guest:guest@127.0.0.1:{port}//")
    try:
        yield relay
    finally:
        relay.close()
