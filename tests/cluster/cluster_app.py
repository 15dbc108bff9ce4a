"""A bare Socket.IO server in a cluster: MESSAGE_QUEUE and CHANNEL pick the
relay, MQ_OPTIONS (JSON) gives the manager's options; FORWARD_POLLING=0 turns
the forwarding of polling requests off."""

from __future__ import annotations

import json
import logging
import os

from flask_socketio.managers import from_url
from flask_socketio.server import Server, WSGIApp

if os.environ.get("LOG_LEVEL"):  # e.g. INFO: what the forwarder says of each request
    logging.basicConfig(level=os.environ["LOG_LEVEL"],
                        format="%(process)d %(asctime)s %(name)s %(message)s")

manager = from_url(
    os.environ["MESSAGE_QUEUE"],
    channel=os.environ["CHANNEL"],
    **json.loads(os.environ.get("MQ_OPTIONS", "{}")),
)
sio = Server(
    client_manager=manager,
    async_mode=os.environ.get("SOCKETIO_ASYNC_MODE", "threading"),
    # None: the default (on with a message queue)
    forward_polling=None if os.environ.get("FORWARD_POLLING", "1") == "1" else False,
)
app = WSGIApp(sio)


@sio.on("peers")
def peers(sid):
    """How many other processes this one knows listen, and whether it does."""
    return {"subscribed": manager.subscribed, "peers": len(manager.peers)}


@sio.on("burst")
def burst(sid, room, prefix, count):
    """Emit `count` numbered messages to `room` (None: everyone), as fast as
    possible; returns how many emits returned (none may raise)."""
    done = 0
    for n in range(count):
        sio.emit("news", f"{prefix}-{n}", to=room)
        done += 1
    return done


@sio.on("broadcast")
def broadcast(sid, data):
    sio.emit("news", data)
    return "sent"


@sio.on("join")
def join(sid, room, who=None):
    sio.enter_room(who or sid, room)
    return "joined"


@sio.on("leave")
def leave(sid, room, who=None):
    sio.leave_room(who or sid, room)
    return "left"


@sio.on("to_room")
def to_room(sid, room, data):
    sio.emit("news", data, to=room)
    return "sent"


@sio.on("call_to")
def call_to(sid, target, data):
    return sio.call("question", data, to=target, timeout=5)


@sio.on("kick")
def kick(sid, target):
    sio.disconnect(target)
    return "kicked"


@sio.on("close_room")
def close_room(sid, room):
    sio.close_room(room)
    return "closed"


@sio.on("pid")
def pid(sid):
    return os.getpid()
