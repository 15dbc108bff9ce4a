"""Where Flask-SocketIO 5.x keeps its test client, for code that imports it from here.

The class lives in `flask_socketio.testing`; this module only re-exports it, so
``from flask_socketio.test_client import SocketIOTestClient`` keeps working.

>>> from flask import Flask
>>> from flask_socketio import SocketIO
>>> from flask_socketio.test_client import SocketIOTestClient
>>> app = Flask(__name__)
>>> socketio = SocketIO(app, async_mode="threading")
>>> SocketIOTestClient(app, socketio).is_connected()
True
"""

from .testing import SocketIOTestClient

__all__ = ["SocketIOTestClient"]
