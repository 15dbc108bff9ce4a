"""A page using socket.io-client 1.3.7's browser bundle (as old CDN links
serve it), for tests/browser/test_old_client_browser.py."""

from __future__ import annotations

import os
import threading
from pathlib import Path

from flask import Flask, send_file

from flask_socketio import SocketIO

BUNDLE = Path(__file__).resolve().parent / "node_modules/socket.io-client-v13/socket.io.js"

app = Flask(__name__)
socketio = SocketIO(app, async_mode=os.environ.get("SOCKETIO_ASYNC_MODE", "threading"))
_lock = threading.Lock()
connects = 0

PAGE = """<!doctype html><title>waiting</title>
<script src="/socket.io-1.3.7.js"></script>
<script>
var socket = io(location.origin, {transports: [TRANSPORTS]});
socket.on("connect", function () {
  socket.emit("echo", "hello", function (answer) { document.title = "echo:" + answer; });
});
</script>"""


@app.route("/")
def page():
    transports = os.environ.get("OLD_CLIENT_TRANSPORTS", "'polling'")
    return PAGE.replace("TRANSPORTS", transports)


@app.route("/socket.io-1.3.7.js")
def bundle():
    return send_file(BUNDLE, mimetype="text/javascript")


@app.route("/connects")
def count():
    return str(connects)


@socketio.on("connect")
def connect():
    global connects
    with _lock:
        connects += 1


@socketio.on("echo")
def echo(data):
    return data
