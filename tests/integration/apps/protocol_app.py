"""A bare Socket.IO server (no Flask) exercising the protocol core.

Tunables come from the environment so one module serves every test:
PING_INTERVAL, PING_TIMEOUT, MAX_BUFFER, CORS (comma list, or '*').
"""

from __future__ import annotations

import os
import threading

from flask_socketio.server import ConnectionRefusedError, Namespace, Server, WSGIApp

cors = os.environ.get("CORS", "*")
sio = Server(
    async_mode=os.environ.get("SOCKETIO_ASYNC_MODE", "threading"),
    cors_allowed_origins=cors if cors in ("*", "") else cors.split(","),
    ping_interval=float(os.environ.get("PING_INTERVAL", "25")),
    ping_timeout=float(os.environ.get("PING_TIMEOUT", "20")),
    max_http_buffer_size=int(os.environ.get("MAX_BUFFER", "1000000")),
    connect_timeout=float(os.environ.get("CONNECT_TIMEOUT", "45")),
)
app = WSGIApp(sio)

_lock = threading.Lock()
disconnects: list[list[str]] = []
acks: dict[str, list] = {}


@sio.on("connect")
def connect(sid, environ, auth):
    if auth and auth.get("token") == "bad":
        raise ConnectionRefusedError("Not authorized", {"reason": "bad token"})
    if auth and auth.get("token") == "false":
        return False
    sio.emit("welcome", {"sid": sid, "auth": auth}, to=sid)


@sio.on("disconnect")
def disconnect(sid, reason):
    with _lock:
        disconnects.append([sid, reason])


@sio.on("echo")
def echo(sid, *args):
    return args


@sio.on("emit_back")
def emit_back(sid, *args):
    """Emit to the client with a callback; the client's ack is kept for `get_ack`."""

    def got(*values):
        with _lock:
            acks[sid] = list(values)

    sio.emit("server_event", args, to=sid, callback=got)


@sio.on("call_back")
def call_back(sid, *args):
    return sio.call("server_event", args, to=sid, timeout=5)


@sio.on("slow")
def slow(sid, seconds):
    """Keeps its client's reader busy for a while (see test_long_handlers)."""
    sio.sleep(seconds)
    return seconds


@sio.on("slow_call")
def slow_call(sid, seconds):
    sio.sleep(seconds)
    return sio.call("server_event", ("after", seconds), to=sid, timeout=5)


@sio.on("get_ack")
def get_ack(sid):
    return acks.get(sid)


@sio.on("broadcast")
def broadcast(sid, data, include_self=True):
    sio.emit("news", data, skip_sid=None if include_self else sid)
    return "sent"


@sio.on("join")
def join(sid, room):
    sio.enter_room(sid, room)
    return sio.rooms(sid)


@sio.on("leave")
def leave(sid, room):
    sio.leave_room(sid, room)
    return sio.rooms(sid)


@sio.on("to_room")
def to_room(sid, room, data, skip_me=False):
    sio.emit("room_msg", data, to=room, skip_sid=sid if skip_me else None)
    return "sent"


@sio.on("close_room")
def close_room(sid, room):
    sio.close_room(room)
    return "closed"


@sio.on("kick")
def kick(sid):
    sio.disconnect(sid)


@sio.on("disconnects")
def get_disconnects(sid):
    with _lock:
        return list(disconnects)


@sio.on("boom")
def boom(sid):
    raise RuntimeError("handler failure on purpose")


class Chat(Namespace):
    def on_connect(self, sid, environ):
        self.emit("welcome", "chat", to=sid)

    def on_echo(self, sid, data):
        return f"chat:{data}"

    def on_disconnect(self, sid, reason):
        with _lock:
            disconnects.append([sid, reason, "/chat"])


sio.register_namespace(Chat("/chat"))


@sio.on("connect", namespace="/private")
def private_connect(sid, environ, auth):
    if not auth or auth.get("key") != "open sesame":
        raise ConnectionRefusedError("Forbidden namespace")
