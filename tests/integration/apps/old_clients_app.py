"""`protocol_app` plus what the old-client tests need.

- ``ALLOW_EIO3=0`` in the environment refuses EIO=3 clients.
- ``encode_counts(marker)`` tells how often the costly encodings ran for
  packets holding `marker`: Socket.IO packets (``socketio``), websocket frames
  (``ws_frames``) and v3 polling entries (``v3_entries``, the UTF-16 length of
  a ``<length>:<packet>`` entry is computed once per entry). A broadcast to a
  room of old and new clients must encode once per form, not once per client.
"""

from __future__ import annotations

import os
import threading
from collections import Counter
from typing import Any

from flask_socketio.engine import session_websocket
from flask_socketio.wire import engineio as wire_engineio
from flask_socketio.wire import socketio as wire_socketio

from . import protocol_app

sio = protocol_app.sio
app = protocol_app.app
sio.eio.configure(allow_eio3=os.environ.get("ALLOW_EIO3", "1") != "0")

_counts: Counter[tuple[str, str]] = Counter()
_markers: set[str] = set()
_count_lock = threading.Lock()


def _count(kind: str, value: Any) -> None:
    text = value if isinstance(value, str) else repr(value)
    for marker in list(_markers):
        if marker in text:
            with _count_lock:
                _counts[(kind, marker)] += 1


def _wrap(module: Any, name: str, kind: str, describe: Any) -> None:
    original = getattr(module, name)

    def counting(*args: Any, **kwargs: Any) -> Any:
        _count(kind, describe(*args))
        return original(*args, **kwargs)

    setattr(module, name, counting)


# The server and the session look these functions up in their modules at call time
# (`ws_frame`, the session's websocket frames, in session_websocket).
_wrap(wire_socketio, "encode", "socketio", lambda packet, *_: packet.data)
_wrap(session_websocket, "frame_message", "ws_frames", lambda data: data)
_wrap(wire_engineio, "utf16_len", "v3_entries", lambda text: text)


@sio.on("watch_encodes")
def watch_encodes(sid, marker):
    """Start counting the encodings of packets that hold `marker`."""
    _markers.add(marker)
    return "watching"


@sio.on("encode_counts")
def encode_counts(sid, marker):
    with _count_lock:
        return {kind: n for (kind, m), n in _counts.items() if m == marker}


@sio.on("to_room_binary")
def to_room_binary(sid, room, data):
    sio.emit("room_msg", (data, b"\x00\x01\xfe\xff"), to=room)
    return "sent"
