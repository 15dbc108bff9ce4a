"""Prometheus metrics, scraped over HTTP while real clients (python-socketio 5)
connect, emit and disconnect; in a Redis cluster (the message queue's
counters); and under gunicorn with two workers in prometheus_client's
multiprocess mode (a scrape adds up both). In process: the bounded labels,
the slow-consumer counter, a port of their own."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import flask
import pytest
import requests
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families
from werkzeug.test import Client

from flask_socketio import SocketIO
from flask_socketio.managers import Target
from flask_socketio.server import Server, WSGIApp
from flask_socketio.wire import engineio as eio
from tests.conftest import ROOT, require
from tests.operations.helpers import APP, client, wait_until


def parse(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Samples by (name, sorted labels)."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def scrape(url: str) -> dict:
    response = requests.get(f"{url}/metrics", timeout=5)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    return parse(response.text)


# -- live ---------------------------------------------------------------------------------


@pytest.fixture(scope="module", params=["threading", "gevent"])
def live(request, module_server_factory):
    if request.param != "threading":
        pytest.importorskip(request.param)
    return module_server_factory(APP, request.param)


def test_metrics_follow_real_clients(live) -> None:
    before = scrape(live.url)
    ws_a, ws_b = client(live.url), client(live.url)
    polling = client(live.url, transports=["polling"])
    try:
        assert ws_a.call("join", "lobby", timeout=5)
        assert ws_b.call("join", "lobby", timeout=5)
        assert ws_a.call("shout", {"room": "lobby", "text": "hi"}, timeout=5) == "sent"
        assert ws_a.call("slow", 0.2, timeout=5) == "done"
        polling.emit("boom")
        assert polling.call("pid", timeout=5)  # after boom: events of a client run in order
        now = scrape(live.url)

        def grew(name: str, **labels: str) -> float:
            return value(now, name, **labels) - value(before, name, **labels)

        assert value(now, "socketio_connected_clients", namespace="/", transport="websocket") == 2
        assert value(now, "socketio_connected_clients", namespace="/", transport="polling") == 1
        assert value(now, "socketio_engine_sessions", transport="polling") == 1
        assert grew("socketio_handshakes_total", transport="websocket") == 2
        assert grew("socketio_handshakes_total", transport="polling") == 1
        assert grew("socketio_connects_total", namespace="/") == 3
        assert grew("socketio_events_total", namespace="/", event="join") == 2
        assert grew("socketio_events_total", namespace="/", event="boom") == 1
        assert grew("socketio_event_errors_total", namespace="/", event="boom") == 1
        assert grew("socketio_event_errors_total", namespace="/", event="join") == 0
        slow = {"namespace": "/", "event": "slow"}
        assert grew("socketio_event_duration_seconds_count", **slow) == 1
        assert grew("socketio_event_duration_seconds_sum", **slow) >= 0.2  # it slept 0.2 s
        assert grew("socketio_event_duration_seconds_bucket", le="0.1", **slow) == 0
        # the shout reached the two clients in the lobby
        assert grew("socketio_emits_total", namespace="/") == 1
        assert grew("socketio_emit_recipients_sum", namespace="/") == 2
        assert grew("socketio_emit_recipients_bucket", namespace="/", le="1.0") == 0
        assert grew("socketio_emit_recipients_bucket", namespace="/", le="2.0") == 1
        for transport in ("websocket", "polling"):
            assert grew("socketio_packets_received_total", transport=transport) >= 2
            assert grew("socketio_packets_sent_total", transport=transport) >= 2
            assert grew("socketio_received_bytes_total", transport=transport) > 20
            assert grew("socketio_sent_bytes_total", transport=transport) > 20
    finally:
        ws_a.disconnect()
        ws_b.disconnect()
        polling.disconnect()

    def total(samples, name: str) -> float:
        """Over every reason: a client's close may reach the server as its
        "client disconnect" or, first, as the socket's "transport close"."""
        return sum(v for (n, _), v in samples.items() if n == name)

    def gone() -> bool:
        after = scrape(live.url)
        return (
            value(after, "socketio_connected_clients", namespace="/", transport="websocket") == 0
            and total(after, "socketio_disconnects_total")
            - total(before, "socketio_disconnects_total") == 3
            and total(after, "socketio_engine_disconnects_total")
            - total(before, "socketio_engine_disconnects_total") == 3
        )

    wait_until(gone, what="the clients counted out")


def test_message_queue_counters(cluster) -> None:
    one, two = cluster
    here, there = client(one.url), client(two.url)
    news = []
    there.on("news", news.append)
    try:
        before = scrape(two.url)
        assert here.call("shout", {"text": "to all"}, timeout=5) == "sent"
        wait_until(lambda: news == ["to all"], what="the broadcast through Redis")
        sender, receiver = scrape(one.url), scrape(two.url)
        assert value(sender, "socketio_mq_published_total", method="emit") >= 1
        assert value(receiver, "socketio_mq_received_total", method="emit") > value(
            before, "socketio_mq_received_total", method="emit"
        )
        assert value(sender, "socketio_mq_connected") == 1
        assert value(receiver, "socketio_mq_errors_total", direction="receive") == 0
    finally:
        here.disconnect()
        there.disconnect()


# -- in process --------------------------------------------------------------------------------


def local_app(**metrics):
    app = flask.Flask(__name__)
    socketio = SocketIO(app, async_mode="threading", metrics={"registry": CollectorRegistry(),
                                                                **metrics})
    return app, socketio


def local_scrape(app) -> dict:
    response = app.test_client().get("/metrics")
    assert response.status_code == 200
    return parse(response.get_data(as_text=True))


def test_event_names_and_namespaces_are_bounded() -> None:
    app, socketio = local_app(max_event_names=2, max_namespaces=2)

    @socketio.on("*", namespace="*")
    def any_event(*args):
        return "ok"

    client = socketio.test_client(app)
    for name in ("a", "b", "c", "d"):
        client.emit(name, callback=True)
    for namespace in ("/x", "/y"):
        socketio.test_client(app, namespace=namespace).emit("e", namespace=namespace)
    samples = local_scrape(app)
    events = {
        labels: count for (name, labels), count in samples.items()
        if name == "socketio_events_total"
    }
    assert events == {
        (("event", "a"), ("namespace", "/")): 1,
        (("event", "b"), ("namespace", "/")): 1,
        (("event", "other"), ("namespace", "/")): 2,
        (("event", "other"), ("namespace", "/x")): 1,  # "/": "/x" take the two namespaces
        (("event", "other"), ("namespace", "other")): 1,
    }


def test_slow_consumer_drops_and_close_are_counted() -> None:
    registry = CollectorRegistry()
    sio = Server(async_mode="threading", max_queue_size=5)
    from flask_socketio.metrics import Metrics

    metrics = Metrics(sio, registry=registry)
    http = Client(WSGIApp(sio, routes={"/metrics": metrics.wsgi_app}))
    opened = http.get("/socket.io/?EIO=4&transport=polling")
    sid = json.loads(eio.decode_payload(opened.data, 4, False)[0].data)["sid"]
    body, _ = eio.encode_payload([eio.Packet(eio.MESSAGE, "0")], 4, False, None)
    http.post(f"/socket.io/?EIO=4&transport=polling&sid={sid}", data=body)
    # the CONNECT is handled on the pool: wait for the CONNECT reply in the queue
    wait_until(lambda: len(sio.eio.sessions[sid].queue) == 1, what="connected")
    for n in range(4):  # nobody polls: the queue fills up (the CONNECT reply is in it)
        sio.emit_to(Target.of("/"), "tick", [n], volatile=True)
    samples = parse(http.get("/metrics").get_data(as_text=True))
    assert value(samples, "socketio_outgoing_queue_packets") == 5
    assert value(samples, "socketio_outgoing_queue_max_packets") == 5
    assert value(samples, "socketio_outgoing_queue_bytes") > 0
    sio.emit_to(Target.of("/"), "tick", [4], volatile=True)  # one over: that tick is dropped
    samples = parse(http.get("/metrics").get_data(as_text=True))
    assert value(samples, "socketio_dropped_packets_total") == 1
    assert value(samples, "socketio_slow_consumer_closes_total") == 0
    for n in range(5):  # each makes room by dropping a queued tick; the fifth finds none
        sio.emit("flood", n)
    samples = parse(http.get("/metrics").get_data(as_text=True))
    assert value(samples, "socketio_dropped_packets_total") == 5
    assert value(samples, "socketio_slow_consumer_closes_total") == 1
    assert value(samples, "socketio_engine_disconnects_total", reason="slow consumer") == 1


def test_metrics_on_a_port_of_their_own() -> None:
    app, socketio = local_app(port=0)
    try:
        socketio.test_client(app)
        assert socketio.metrics.port
        assert "/metrics" not in socketio.sockio_mw.routes  # a port, no route
        text = requests.get(f"http://127.0.0.1:{socketio.metrics.port}/metrics", timeout=5).text
        assert value(parse(text), "socketio_connects_total", namespace="/") == 1
    finally:
        socketio.metrics.close()


def test_metrics_need_no_option_they_do_not_know() -> None:
    with pytest.raises(TypeError, match="unknown metrics options: prefix"):
        local_app(prefix="app")


# -- gunicorn, two workers, multiprocess mode ----------------------------------------------------


def test_gunicorn_workers_add_up(tmp_path: Path) -> None:
    gunicorn = Path(sys.executable).parent / "gunicorn"
    require(gunicorn.exists(), "gunicorn (pip install -e '.[gunicorn]')")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    multiproc = tmp_path / "prometheus"
    multiproc.mkdir()
    env = {
        **os.environ,
        "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'src'}",
        "PROMETHEUS_MULTIPROC_DIR": str(multiproc),
        "SOCKETIO_ASYNC_MODE": "threading",
    }
    log = open(tmp_path / "gunicorn.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen(
        [str(gunicorn), "-c", str(Path(__file__).parent / "gunicorn_conf.py"), "-w", "2",
         "--threads", "20", "-b", f"127.0.0.1:{port}", APP],
        cwd=ROOT, env=env, stdout=log, stderr=log,
    )
    url = f"http://127.0.0.1:{port}"
    clients = []
    try:
        wait_until(lambda: _answers(url), timeout=20, what="gunicorn listening")
        pids = set()
        while len(pids) < 2 and len(clients) < 40:  # until both workers have clients
            clients.append(client(url))
            pids.add(clients[-1].call("pid", timeout=5))
        assert len(pids) == 2, "the connections all went to one worker"
        count = len(clients)

        def all_counted() -> bool:
            samples = scrape(url)
            return (
                value(samples, "socketio_connects_total", namespace="/") == count
                and value(samples, "socketio_connected_clients", namespace="/",
                          transport="websocket") == count
                and value(samples, "socketio_events_total", namespace="/", event="pid") == count
            )

        for _ in range(3):  # whichever worker answers, it adds up both
            wait_until(all_counted, timeout=15, what=f"{count} clients counted across workers")
    finally:
        for sio in clients:
            sio.disconnect()
        proc.send_signal(signal.SIGTERM)
        proc.wait(15)
        log.close()
    text = (tmp_path / "gunicorn.log").read_text(errors="replace")
    assert "Traceback" not in text, text[-3000:]


def _answers(url: str) -> bool:
    try:
        return requests.get(f"{url}/metrics", timeout=1).status_code == 200
    except requests.ConnectionError:
        time.sleep(0.1)
        return False
