"""A python-socketio server (the real package, not ours) on a message queue,
with the handlers of cluster_app: MESSAGE_QUEUE and CHANNEL pick the relay.

Run by the interop tests beside our servers, in threading mode; its clients
use polling (python-socketio's websocket needs simple-websocket's glue).
"""

from __future__ import annotations

import os

import socketio

url = os.environ["MESSAGE_QUEUE"]
if url.startswith("redis"):
    manager = socketio.RedisManager(url, channel=os.environ["CHANNEL"])
else:
    manager = socketio.KombuManager(url, channel=os.environ["CHANNEL"])
sio = socketio.Server(client_manager=manager, async_mode="threading")
app = socketio.WSGIApp(sio)


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
