"""Socket.IO for Flask, on its own Engine.IO/Socket.IO server stack.

>>> from flask import Flask
>>> from flask_socketio import SocketIO, emit
>>> app = Flask(__name__)
>>> socketio = SocketIO(app, async_mode="threading")
>>> @socketio.on("my event")
... def handle_my_custom_event(json):
...     emit("my response", json)
"""

from ._installcheck import check_installation

check_installation()  # first: beside Flask-SocketIO the modules below may be its files

from .context import call, close_room, disconnect, emit, join_room, leave_room, rooms, send
from .extension import SocketIO
from .namespace import Namespace
from .server import ConnectionRefusedError
from .testing import SocketIOTestClient

__all__ = [
    "ConnectionRefusedError",
    "Namespace",
    "SocketIO",
    "SocketIOTestClient",
    "call",
    "close_room",
    "disconnect",
    "emit",
    "join_room",
    "leave_room",
    "rooms",
    "send",
]
