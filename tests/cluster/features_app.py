"""A Flask app of a cluster, for connection state recovery and broadcast
acks across processes: MESSAGE_QUEUE and CHANNEL pick the relay,
RECOVERY_SECONDS the recovery window."""

from __future__ import annotations

import os
import threading

from flask import Flask, request, session

from flask_socketio import SocketIO, emit, join_room

app = Flask(__name__)
app.config["SECRET_KEY"] = "cluster-recovery"
socketio = SocketIO(
    app,
    async_mode=os.environ.get("SOCKETIO_ASYNC_MODE", "threading"),
    message_queue=os.environ["MESSAGE_QUEUE"],
    channel=os.environ["CHANNEL"],
    connection_state_recovery={
        "max_disconnection_duration": float(os.environ.get("RECOVERY_SECONDS", "30")),
    },
)

_lock = threading.Lock()
#: sid -> what its connect and disconnect handlers saw in this process, in order.
log: dict[str, list[str]] = {}


def note(sid: str, what: str) -> None:
    with _lock:
        log.setdefault(sid, []).append(what)


@socketio.on("connect")
def connect(auth=None):
    note(request.sid, f"connect recovered={request.recovered}")
    session.setdefault("visits", 0)
    session["visits"] += 1


@socketio.on("disconnect")
def disconnect(reason):
    note(request.sid, f"disconnect {reason}")


@socketio.on("join")
def join(room):
    join_room(room)
    socketio.server.get_session(request.sid).setdefault("rooms", []).append(room)
    return room


@socketio.on("whoami")
def whoami():
    return {
        "sid": request.sid,
        "visits": session["visits"],
        "joined": socketio.server.get_session(request.sid).get("rooms"),
    }


@socketio.on("notes")
def notes(sid):
    with _lock:
        return list(log.get(sid, []))


@socketio.on("send")
def send_numbered(to, first, count):
    """Emit `count` numbered events to `to` (a sid or a room), from this process."""
    for n in range(first, first + count):
        socketio.emit("numbered", n, to=to)
    return count


@socketio.on("ask")
def ask(room, timeout):
    """Ask everyone in `room`, on every process, to vote; ack with who
    answered what, and who did not."""
    acks = socketio.emit_with_ack("vote", "lunch?", to=room, timeout=timeout)
    return {"responses": dict(acks), "missing": sorted(acks.missing)}


@socketio.on("ask_later")
def ask_later(room, timeout):
    """The same with a callback: the result comes back as a 'tally' event."""
    sid = request.sid

    def tally(acks):
        emit("tally", {"responses": dict(acks), "missing": sorted(acks.missing)}, to=sid)

    socketio.emit_with_ack("vote", "dinner?", to=room, timeout=timeout, callback=tally)
    return "asked"


@socketio.on("peers")
def peers():
    """How many other processes this one knows of (for broadcast acks and recovery)."""
    return socketio.server.cluster_acks.peer_count()
