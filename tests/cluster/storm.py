"""Four tasks emit at once through one message-queue manager, then exit.

    python -m tests.cluster.storm MODE URL CHANNEL COUNT

MODE is threading, eventlet or gevent (monkey patched first). Each task
emits ``{"task": i, "n": k}`` for k in range(COUNT); the test reads the
channel at the wire and checks each task's messages arrive whole and in order.
"""

from __future__ import annotations

import sys

MODE = sys.argv[1]
if MODE == "gevent":
    from gevent import monkey

    monkey.patch_all()
elif MODE == "eventlet":
    import eventlet

    eventlet.monkey_patch()

from flask_socketio.managers import from_url  # noqa: E402
from flask_socketio.server import Server  # noqa: E402

TASKS = 4


def main(url: str, channel: str, count: int) -> None:
    manager = from_url(url, channel=channel, write_only=True)
    server = Server(client_manager=manager, async_mode=MODE)

    def emit_all(task: int) -> None:
        for n in range(count):
            server.emit("storm", {"task": task, "n": n})
            if n % 100 == 0:
                server.sleep(0)  # let the other tasks in, in green modes too

    tasks = [server.driver.spawn(emit_all, i) for i in range(TASKS)]
    for task in tasks:
        task.join(120)
    assert manager.flush(120), "the outbox did not drain"
    print("done", flush=True)


if __name__ == "__main__":
    main(sys.argv[2], sys.argv[3], int(sys.argv[4]))
