"""The documentation's rooms chat as a complete app.

Users pick a name, join and leave rooms, talk to a room, and send private
messages to one user (addressed by the sid of their connection, which is
also their personal room). A dropped connection is recovered: the messages
sent while a user was away arrive when it comes back.

    make demo                      # http://127.0.0.1:5000
    PORT=5001 python examples/chat/app.py

It runs in the gevent mode, the one docs/deployment.md recommends for new
deployments (eventlet is deprecated upstream): gevent's monkey patching comes
first, before any other import, so that every blocking call of the process
yields to the other connections.
"""

from gevent import monkey

monkey.patch_all()

import os  # noqa: E402
from pathlib import Path  # noqa: E402

from flask import Flask, abort, render_template, request, send_from_directory  # noqa: E402

from flask_socketio import SocketIO, emit, join_room, leave_room, rooms, send  # noqa: E402

HERE = Path(__file__).resolve().parent
CLIENT_DIR = HERE / "node_modules" / "socket.io-client" / "dist"

app = Flask(__name__)
app.config["SECRET_KEY"] = os.environ.get("SECRET_KEY", "change me in production")
# A user whose connection drops for a moment (a network blip, a phone changing
# networks) comes back with the same sid, rooms and name, and gets the
# messages sent meanwhile; the disconnect handler runs only if it does not
# come back within two minutes (see docs/recovery.md).
socketio = SocketIO(app, async_mode="gevent", connection_state_recovery=True)

users: dict[str, str] = {}  # sid -> username


def user_list() -> list[dict[str, str]]:
    return [{"sid": sid, "username": name} for sid, name in sorted(users.items(),
                                                                     key=lambda i: i[1])]


@app.route("/")
def index():
    return render_template("index.html")


@app.route("/socket.io.min.js")
def socketio_client():
    if not (CLIENT_DIR / "socket.io.min.js").exists():
        abort(404, "run `make demo` (it installs the Socket.IO client from npm)")
    return send_from_directory(CLIENT_DIR, "socket.io.min.js")


@socketio.on("connect")
def on_connect():
    emit("users", user_list())


@socketio.on("set_username")
def on_set_username(username):
    username = str(username).strip()[:32] or "anonymous"
    users[request.sid] = username
    emit("users", user_list(), broadcast=True)
    return {"sid": request.sid, "username": username}


@socketio.on("join")
def on_join(data):
    username = data["username"]
    room = data["room"]
    join_room(room)
    send(username + " has entered the room.", to=room)
    return sorted(r for r in rooms() if r != request.sid)


@socketio.on("leave")
def on_leave(data):
    username = data["username"]
    room = data["room"]
    leave_room(room)
    send(username + " has left the room.", to=room)
    return sorted(r for r in rooms() if r != request.sid)


@socketio.on("chat")
def on_chat(data):
    room = data["room"]
    if room not in rooms():
        return {"error": f"join {room} first"}
    emit("chat", {"room": room, "from": users.get(request.sid, "?"), "text": data["text"]},
         to=room)
    return {"ok": True}


@socketio.on("private")
def on_private(data):
    target = data["to"]
    if target not in users:
        return {"error": "no such user"}
    message = {"from": users.get(request.sid, "?"), "text": data["text"]}
    emit("private", message, to=target)
    return {"ok": True}


@socketio.on("disconnect")
def on_disconnect(reason):
    if users.pop(request.sid, None) is not None:
        emit("users", user_list(), broadcast=True)


if __name__ == "__main__":
    port = int(os.environ.get("PORT", "5000"))
    print(f"chat on http://127.0.0.1:{port}", flush=True)
    socketio.run(app, host="127.0.0.1", port=port)
