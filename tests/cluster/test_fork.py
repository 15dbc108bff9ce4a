"""A manager created before a fork works in the children: gunicorn --preload
with two workers imports the app (and its message-queue manager) once in the
master, then forks. Clients spread over the workers (the kernel hands each
connection to either) reach each other through the relay, and polling
clients, whose requests land on either worker, through forwarding."""

from __future__ import annotations

import os
import queue
import re
import subprocess
import sys
import time
import uuid

import socketio

from tests.cluster.test_cluster import QUEUES, port_open
from tests.conftest import ROOT, require


def start_gunicorn(tmp_path, env):
    log = tmp_path / "gunicorn.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--preload", "-w", "2", "--threads", "20",
         "--graceful-timeout", "5",
         "-b", "127.0.0.1:0", "tests.cluster.cluster_app:app"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=open(log, "wb"),  # noqa: SIM115
        env={**os.environ, **env, "PYTHONPATH": f"{ROOT}:{ROOT / 'src'}",
             "SOCKETIO_ASYNC_MODE": "threading"},
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        text = log.read_text()
        booted = len(re.findall(r"Booting worker", text))
        port = re.search(r"Listening at: http://127.0.0.1:(\d+)", text)
        if port and booted >= 2:
            return proc, f"http://127.0.0.1:{port.group(1)}", log
        time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"gunicorn did not start:\n{log.read_text()}")


def test_preloaded_manager_works_in_forked_workers(tmp_path):
    url, port = QUEUES["redis"]
    require(port_open(port), f"redis on 127.0.0.1:{port}")
    env = {"MESSAGE_QUEUE": url, "CHANNEL": f"test-{uuid.uuid4().hex[:8]}"}
    proc, server, log = start_gunicorn(tmp_path, env)
    clients = []
    try:
        by_pid: dict[int, list] = {}
        for n in range(16):
            transports = ["polling"] if n % 4 == 3 else ["websocket"]
            sio = socketio.Client(reconnection=False)
            inbox: queue.Queue = queue.Queue()
            sio.on("news", lambda *args, q=inbox: q.put(args))
            sio.connect(server, transports=transports, wait_timeout=10)
            clients.append((sio, inbox))
            by_pid.setdefault(sio.call("pid", timeout=10), []).append((sio, inbox))
            if len(by_pid) == 2 and n >= 7:
                break
        require(len(by_pid) == 2, "the kernel gave every connection to one worker")
        # A worker starts listening at its first client: wait until both do
        # (and the master's listener, made before the fork, still does).
        import redis

        channel = env["CHANNEL"]
        watcher = redis.Redis.from_url(url)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            counts = dict(watcher.pubsub_numsub(channel, f"{channel}.forward.all"))
            if min(counts.values()) >= 3:
                break
            time.sleep(0.05)
        watcher.close()
        pids = list(by_pid)
        for sender_pid in pids:
            sender = by_pid[sender_pid][0][0]
            text = f"from {sender_pid}"
            assert sender.call("broadcast", text, timeout=10) == "sent"
            for _, inbox in clients:
                assert inbox.get(timeout=10) == (text,)
    except BaseException:
        print(f"gunicorn's log:\n{log.read_text()}")  # shown by pytest with the failure
        raise
    finally:
        for sio, _ in clients:
            sio.disconnect()
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
