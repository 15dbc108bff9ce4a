"""A chat room set up from a tutorial: options meant for ``run()`` given to the constructor.

Flask-SocketIO 5.x hands unknown options down to python-engineio, which
ignores them, so apps like this one run there unchanged.
"""

import os

from flask import Flask, request

from flask_socketio import SocketIO, emit, send

app = Flask(__name__)
app.config["SECRET_KEY"] = "mysecret"
socketio = SocketIO(
    app,
    async_mode=os.environ.get("SOCKETIO_ASYNC_MODE"),
    cors_allowed_origins="*",
    ping_timeout=60,
    ping_interval=25,
    upgrade_timeout=20,
    max_http_buffer_size=10_000_000,
    log_output=True,
    debug=True,
    allow_unsafe_werkzeug=True,
)


@app.route("/")
def index():
    return "chat server is running"


@socketio.on("message")
def handle_message(msg):
    print("Message: " + msg)
    send(msg, broadcast=True)


@socketio.on("my event")
def handle_my_custom_event(json):
    emit("my response", {**json, "from": request.sid}, broadcast=True)
    return "received"


if __name__ == "__main__":
    socketio.run(app, host="0.0.0.0", port=5000, debug=True, allow_unsafe_werkzeug=True)
