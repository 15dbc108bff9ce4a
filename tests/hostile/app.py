"""The Flask app the hostile-input catalogue attacks (see docs/security.md).

An echo with ack, rooms, a broadcast to a room and a flood of one, an emit
that asks the client for an ack, and the counts the tests read to see that
what an attack left behind is gone again. Every log line of the
``flask_socketio`` loggers from INFO up goes to stderr: the server's log
file, where the tests look for the line about each incident.

Short deadlines so that abandoned handshakes end within the tests (a
namespace must be joined within 1 s), and a small outgoing queue bound so
that a slow reader crosses it quickly.
"""

from __future__ import annotations

import logging
import os
import re

from flask import Flask, request

from flask_socketio import SocketIO, emit, join_room, rooms

#: Routine activity that the server may log at INFO beside the incidents, on
#: the same loggers (packets, events, rooms, as python-socketio logs them):
#: kept out of the log, where the tests look for the line about each incident.
ROUTINE = re.compile(
    r"(Sending|Received) packet |^(emitting|received) event |^received ack |"
    r" is (entering|leaving) room | is closing \[|^Disconnecting |"
    r"^\S+ (connected to|disconnected from) |"
    r"Received request to upgrade|Upgrade to websocket successful|^Server initialized"
)


def _incident(record: logging.LogRecord) -> bool:
    return not ROUTINE.search(record.getMessage())


logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
logging.root.handlers[0].addFilter(_incident)
for server_logger in ("werkzeug", "geventwebsocket.handler"):
    logging.getLogger(server_logger).setLevel(logging.WARNING)  # no line per request

#: The bounded outgoing queue of each session, in packets.
MAX_QUEUE = 100

app = Flask(__name__)
socketio = SocketIO(
    app,
    async_mode=os.environ.get("SOCKETIO_ASYNC_MODE", "threading"),
    logger=True,
    engineio_logger=True,
    cors_allowed_origins=["http://good.example"],
    connect_timeout=1.0,
    max_queue_size=MAX_QUEUE,
)
answers: dict[str, list] = {}


@socketio.on("echo")
def echo(*args):
    return args


@socketio.on("join")
def join(room):
    join_room(room)
    return len(rooms())


@socketio.on("to_room")
def to_room(room, data):
    emit("room_msg", data, to=room)
    return "sent"


@socketio.on("flood")
def flood(room, size, count):
    """`count` messages of `size` characters to a room, as fast as the server takes them."""
    data = "x" * size
    for _ in range(count):
        emit("room_msg", data, to=room)
    return "flooded"


@socketio.on("ask")
def ask():
    """Emit ``question`` with a callback; the answers are kept for ``answers``."""
    sid = request.sid
    emit("question", "?", callback=lambda *args: answers.setdefault(sid, []).append(args))


@socketio.on("answers")
def get_answers():
    return answers.get(request.sid, [])


@socketio.on("stats")
def stats():
    """Engine.IO sessions and room memberships in "/" (the attacks must not leave any)."""
    server = socketio.server
    memberships = sum(len(members) for members in server.manager.rooms.get("/", {}).values())
    return {"sessions": len(server.eio.sessions), "memberships": memberships}


@socketio.on("connect", namespace="/chat")
def chat_connect(auth=None):
    return True
