"""The benchmark app: one file that runs unchanged on our flask_socketio and on
Flask-SocketIO 5.x, so both are measured doing exactly the same work.

It uses only the public Flask-SocketIO API. The load generator talks to it:

- ``echo``  (data)          -> ack with ``data``
- ``echo_emit`` (data)     -> ``emit('echo_emit', data)`` back to the sender
- ``join``  (room)          -> joins ``room``, ack with ``room``
- ``bcast`` ({room?, ...})  -> ``socketio.emit('news', message, to=room)``,
  i.e. to every client when ``room`` is missing or null; ack with the
  number of the message (``seq``) once the emit has returned
- ``POST /bcast?room=R``    -> the same broadcast, triggered over plain HTTP
- ``GET /health``           -> 200 once the server accepts requests

``BENCH_METRICS=1`` turns on our Prometheus metrics (``metrics=True``, on
``/metrics``), ``BENCH_ADMIN=production|development`` our admin UI
(``auth=False``) and ``BENCH_RECOVERY=1`` connection state recovery, to
measure what they cost (docs/performance.md); none exists in
Flask-SocketIO, so the reference ignores them. ``BENCH_MESSAGE_QUEUE=URL``
relays through a message queue (a channel of the process's own), as a
one-process cluster: with Redis and ``BENCH_RECOVERY=1``, recovery keeps
its log in Redis.
"""

import importlib.util
import os

from flask import Flask, request

from flask_socketio import SocketIO, emit, join_room

ASYNC_MODE = os.environ.get("BENCH_ASYNC_MODE", "threading")
# The defaults (25 s, 20 s) unless a soak asks for a longer ping timeout.
PING_TIMEOUT = (
    {"ping_timeout": float(os.environ["BENCH_PING_TIMEOUT"])}
    if os.environ.get("BENCH_PING_TIMEOUT")
    else {}
)

operations: dict = {}
if importlib.util.find_spec("flask_socketio.operations") is not None:  # ours
    if os.environ.get("BENCH_METRICS"):
        operations["metrics"] = True
    if os.environ.get("BENCH_ADMIN"):
        operations["admin_ui"] = {"auth": False, "mode": os.environ["BENCH_ADMIN"]}
    if os.environ.get("BENCH_RECOVERY"):
        operations["connection_state_recovery"] = True
if os.environ.get("BENCH_MESSAGE_QUEUE"):
    operations["message_queue"] = os.environ["BENCH_MESSAGE_QUEUE"]
    operations["channel"] = f"bench-{os.getpid()}"

app = Flask(__name__)
socketio = SocketIO(
    app, async_mode=ASYNC_MODE, cors_allowed_origins="*", **PING_TIMEOUT, **operations
)


@app.get("/health")
def health() -> str:
    return "ok"


@app.post("/bcast")
def http_broadcast() -> dict:
    room = request.args.get("room")
    message = {"seq": -1, "room": room, "data": request.get_data(as_text=True)}
    socketio.emit("news", message, to=room)
    return {"sent": True}


@socketio.on("echo")
def on_echo(data: object) -> object:
    return data


@socketio.on("join")
def on_join(room: str) -> str:
    join_room(room)
    return room


@socketio.on("bcast")
def on_broadcast(message: dict) -> object:
    socketio.emit("news", message, to=message.get("room"))
    return message.get("seq")


@socketio.on("echo_emit")
def on_echo_emit(data: object) -> None:
    # The other common reply style: an event back to the sender (the context
    # function `emit`) instead of an ack. Handy for a manual check of that path.
    emit("echo_emit", data)
