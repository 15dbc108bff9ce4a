"""The health endpoints: readiness (/healthz) fails while the message queue
is unreachable and passes again once it is back; liveness (/healthz/live)
does not depend on it. The broker goes down through a TCP relay to the shared
Redis that the test cuts and restores (Redis itself is never stopped)."""

from __future__ import annotations

import socket
import uuid

import flask
import pytest
import requests

from flask_socketio import SocketIO
from tests.conftest import require
from tests.operations.helpers import APP, redis_up, wait_until
from tests.tcprelay import TCPRelay


def health(url: str, path: str = "/healthz") -> tuple[int, dict]:
    response = requests.get(url + path, timeout=5)
    assert response.headers["Content-Type"] == "application/health+json"
    assert response.headers["Cache-Control"] == "no-store"
    return response.status_code, response.json()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_ready_and_live_without_a_message_queue(server_factory) -> None:
    server = server_factory(APP)
    assert health(server.url) == (200, {
        "status": "pass", "checks": {"server": {"status": "pass", "sessions": 0}}})
    assert health(server.url, "/healthz/live") == (200, {"status": "pass"})
    head = requests.head(server.url + "/healthz", timeout=5)
    assert head.status_code == 200 and head.content == b""


def test_ready_fails_while_the_broker_is_unreachable(server_factory) -> None:
    nowhere = free_port()  # nothing listens there
    server = server_factory(APP, MESSAGE_QUEUE=f"redis://127.0.0.1:{nowhere}/0")
    status, report = health(server.url)
    assert status == 503 and report["status"] == "fail"
    assert report["checks"]["message_queue"] == {
        "status": "fail", "kind": "redis", "channel": "flask-socketio"}
    assert report["checks"]["server"]["status"] == "pass"
    assert health(server.url, "/healthz/live")[0] == 200


def test_ready_follows_the_broker_down_and_up(server_factory) -> None:
    require(redis_up(), "redis on 127.0.0.1:6379")
    proxy = TCPRelay(6379)
    channel = f"health-{uuid.uuid4().hex[:8]}"
    server = server_factory(
        APP, MESSAGE_QUEUE=f"redis://127.0.0.1:{proxy.port}/0", CHANNEL=channel)
    try:
        wait_until(lambda: health(server.url)[0] == 200, timeout=20, what="ready")
        proxy.down()
        wait_until(lambda: health(server.url)[0] == 503, timeout=30, what="not ready")
        assert health(server.url)[1]["checks"]["message_queue"]["status"] == "fail"
        assert health(server.url, "/healthz/live")[0] == 200
        proxy.up()
        wait_until(lambda: health(server.url)[0] == 200, timeout=45, what="ready again")
    finally:
        proxy.close()


def test_ready_with_rabbitmq(server_factory) -> None:
    with socket.socket() as sock:
        sock.settimeout(1)
        require(sock.connect_ex(("127.0.0.1", 5672)) == 0, "rabbitmq on 127.0.0.1:5672")
    server = server_factory(APP, MESSAGE_QUEUE="amqp://guest:guest@127.0.0.1:5672//",
                            CHANNEL=f"health-{uuid.uuid4().hex[:8]}")
    wait_until(lambda: health(server.url)[0] == 200, timeout=20, what="ready")
    assert health(server.url)[1]["checks"]["message_queue"]["kind"] == "kombu"


# -- in process ----------------------------------------------------------------------------


def test_application_checks_and_a_stopping_server() -> None:
    app = flask.Flask(__name__)
    state = {"db": True}

    def database():
        if not state["db"]:
            raise ConnectionError("database unreachable")
        return {"latency_ms": 1}

    socketio = SocketIO(app, async_mode="threading",
                        health_check={"path": "/ready", "checks": {"db": database}})

    @app.before_request
    def login_required():
        return "login first", 401  # the health check is answered before Flask

    http = app.test_client()
    answer = http.get("/ready")
    assert answer.status_code == 200
    assert answer.json["checks"]["db"] == {"status": "pass", "latency_ms": 1}
    state["db"] = False
    answer = http.get("/ready")
    assert answer.status_code == 503
    assert answer.json["checks"]["db"] == {
        "status": "fail", "error": "ConnectionError: database unreachable"}
    state["db"] = True
    socketio.server.shutdown()  # what socketio.stop() does first
    answer = http.get("/ready")
    assert answer.status_code == 503 and answer.json["checks"]["server"]["status"] == "fail"
    assert http.get("/ready/live").status_code == 200
    assert http.get("/elsewhere").status_code == 401


def test_health_check_options_are_checked() -> None:
    with pytest.raises(TypeError, match="unknown health_check options: paht"):
        SocketIO(flask.Flask(__name__), async_mode="threading", health_check={"paht": "/x"})
