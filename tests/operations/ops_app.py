"""A Flask app with every operations option on, for the tests of
tests/operations and tests/browser (the admin UI in Chromium).

Environment: SOCKETIO_ASYNC_MODE; MESSAGE_QUEUE and CHANNEL (a cluster);
SERVER_ID (the admin UI's name of the process); CORS_ORIGIN (the origin the
admin UI is served from); ADMIN_MODE ('development' or 'production').

Events: ``join`` (room) -> joins, acks the rooms; ``shout`` ({room, text})
-> ``news`` to the room (everyone without one), acks "sent"; ``slow`` (seconds) -> sleeps, acks
"done"; ``boom`` -> raises; ``pid`` -> the process id.
"""

from __future__ import annotations

import os

from flask import Flask

from flask_socketio import SocketIO, join_room, rooms

# bcrypt, cost 4 (fast logins in tests), of "changeit".
PASSWORD_HASH = "$2b$04$Ohf4.ZowltxrrpPjuMXGEOSfpvY5wFqYPM8p4q7SRYZwa61U3B3P."

app = Flask(__name__)
options: dict = {}
if os.environ.get("MESSAGE_QUEUE"):
    options["message_queue"] = os.environ["MESSAGE_QUEUE"]
    options["channel"] = os.environ.get("CHANNEL", "flask-socketio")
socketio = SocketIO(
    app,
    async_mode=os.environ.get("SOCKETIO_ASYNC_MODE", "threading"),
    cors_allowed_origins=os.environ.get("CORS_ORIGIN"),
    admin_ui={
        "auth": {"type": "basic", "username": "admin", "password": PASSWORD_HASH},
        "mode": os.environ.get("ADMIN_MODE", "development"),
        "server_id": os.environ.get("SERVER_ID") or None,
        "server_stats_interval": 0.5,
    },
    # Gauges sampled every second in prometheus_client's multiprocess mode.
    metrics={"sample_interval": 1},
    health_check="/healthz",
    **options,
)


@socketio.on("join")
def on_join(room):
    join_room(room)
    return sorted(rooms())


@socketio.on("shout")
def on_shout(message):
    socketio.emit("news", message["text"], to=message.get("room"))
    return "sent"


@socketio.on("slow")
def on_slow(seconds):
    socketio.sleep(seconds)
    return "done"


@socketio.on("boom")
def on_boom():
    raise ValueError("boom")


@socketio.on("pid")
def on_pid():
    return os.getpid()
