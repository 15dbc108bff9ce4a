"""The cluster benchmark's app: runs unchanged on our flask_socketio and on
Flask-SocketIO 5.x, several processes on one message queue.

BENCH_MQ is the message queue URL, BENCH_CHANNEL its channel. Events:

- ``join`` (room)                 -> joins `room`, acks it
- ``flood`` ({room, count, id})   -> `count` emits of ``news`` [stamp, id, n] to
  `room`, as fast as possible; acks `count` once they have returned
- ``bcast`` ({room, seq})         -> one emit of ``news`` [stamp, "b", seq]

`stamp` is the server's wall clock in ms when it emitted: the clients (on the
same machine) take the latency from it.
"""

import os
import time

from flask import Flask

from flask_socketio import SocketIO, join_room

app = Flask(__name__)
socketio = SocketIO(
    app,
    async_mode=os.environ.get("BENCH_ASYNC_MODE", "gevent"),
    message_queue=os.environ["BENCH_MQ"],
    channel=os.environ.get("BENCH_CHANNEL", "bench-cluster"),
)


@app.get("/health")
def health() -> str:
    return "ok"


@socketio.on("join")
def on_join(room):
    join_room(room)
    return room


@socketio.on("flood")
def on_flood(spec):
    room, count, ident = spec["room"], int(spec["count"]), spec["id"]
    for n in range(count):
        socketio.emit("news", [time.time() * 1000, ident, n], to=room)
    return count


@socketio.on("bcast")
def on_bcast(spec):
    socketio.emit("news", [time.time() * 1000, "b", spec["seq"]], to=spec["room"])
    return spec["seq"]
