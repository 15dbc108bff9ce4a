"""What connection state recovery adds to one emit, besides the deliveries:
``socketio.emit(..., to=room)`` to a room with no client in this process, with
recovery off, on (memory), and behind a Redis message queue without and with
recovery (its log in Redis). Threading mode; prints the median wall and CPU
microseconds per emit of 5 runs. Needs Redis on 127.0.0.1:6379 (keys and
channels of its own).

    .venv/bin/python benchmarks/recovery_emit.py
"""

from __future__ import annotations

import functools
import time
import timeit
import uuid

from flask import Flask

from flask_socketio import SocketIO

EMITS = 20_000


def build(recovery: bool, message_queue: bool) -> SocketIO:
    options: dict = {}
    if message_queue:
        options = {"message_queue": "redis://127.0.0.1:6379/0",
                   "channel": f"bench-{uuid.uuid4().hex[:8]}"}
    return SocketIO(Flask(__name__), async_mode="threading",
                    connection_state_recovery=recovery or None, **options)


def main() -> None:
    for label, recovery, message_queue in [
        ("off", False, False), ("memory", True, False),
        ("redis queue, off", False, True), ("redis queue, recovery", True, True),
    ]:
        socketio = build(recovery, message_queue)
        count = EMITS // 10 if message_queue else EMITS
        wall, cpu = [], []
        for _ in range(5):
            start = time.process_time()
            emit = functools.partial(socketio.emit, "news", {"n": 1}, to="r")
            seconds = timeit.timeit(emit, number=count)
            cpu.append((time.process_time() - start) / count * 1e6)
            wall.append(seconds / count * 1e6)
        print(f"{label:24s} µs per emit: wall {sorted(wall)[2]:6.1f}  CPU {sorted(cpu)[2]:6.1f}",
              flush=True)


if __name__ == "__main__":
    main()
