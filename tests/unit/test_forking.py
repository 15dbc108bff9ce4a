"""A forked process makes its own broker connections and never closes its
parent's: closing a redis-py client takes its pool's lock, which a parent's
thread may hold at the fork (gunicorn --preload workers hung so)."""

from __future__ import annotations

import os
import select
import threading
import time

import pytest

pytest.importorskip("redis")

URL = "redis://127.0.0.1:6379/0"


def forked_reopen_finishes(reopen_in_child, client_of) -> bool:
    """Fork while a thread holds `client`'s pool lock; in the child, call
    `reopen_in_child` and collect garbage. Whether the child got through."""
    import gc

    from tests.cluster.test_cluster import port_open
    from tests.conftest import require

    require(port_open(6379), "redis on 127.0.0.1:6379")
    client_of().ping()  # the pool holds a connection, as a listener's does
    pool = client_of().connection_pool  # (no reference to the client kept here)
    held, release = threading.Event(), threading.Event()

    def holder() -> None:
        with pool._lock:
            held.set()
            release.wait(5)

    thread = threading.Thread(target=holder)
    thread.start()
    held.wait()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report, then leave without any cleanup
        try:
            reopen_in_child()
            gc.collect()
            os.write(write, b"ok")
        finally:
            os._exit(0)
    release.set()
    thread.join()
    os.close(write)
    ready, _, _ = select.select([read], [], [], 5)
    answer = os.read(read, 2) if ready else b""
    os.close(read)
    if not answer:
        os.kill(pid, 9)
    os.waitpid(pid, 0)
    return answer == b"ok"


def test_a_forked_redis_manager_leaves_its_parents_client_alone() -> None:
    from flask_socketio.managers.redis import RedisManager

    manager = RedisManager(URL, channel=f"fork-{time.time_ns()}")
    assert forked_reopen_finishes(manager._reopen, lambda: manager._redis)


def test_a_forked_forwarding_bus_leaves_its_parents_client_alone() -> None:
    from flask_socketio.managers.forward_bus import RedisBus

    bus = RedisBus(URL, "fork")
    assert forked_reopen_finishes(bus.reopen, lambda: bus._redis)
