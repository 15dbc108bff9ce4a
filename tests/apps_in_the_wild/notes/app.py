"""Shared sticky notes: log in over HTTP, then add notes to boards in real time."""

import os

from flask import Flask, jsonify, request, session

from flask_socketio import ConnectionRefusedError, Namespace, SocketIO, emit, join_room

app = Flask(__name__)
app.config["SECRET_KEY"] = os.environ.get("SECRET_KEY", "dev")
socketio = SocketIO(app, async_mode=os.environ.get("SOCKETIO_ASYNC_MODE"))

NOTES = {}  # board -> list of notes


@app.post("/login")
def login():
    session["user"] = request.form["user"]
    return {"user": session["user"]}


@app.get("/boards/<board>")
def board(board):
    return jsonify(NOTES.get(board, []))


class NotesNamespace(Namespace):
    def on_connect(self, auth=None):
        if "user" not in session:
            raise ConnectionRefusedError("login first")
        emit("hello", {"user": session["user"]})

    def on_open(self, board):
        join_room(board)
        return NOTES.get(board, [])

    def on_add(self, data):
        note = {"board": data["board"], "text": data["text"], "by": session["user"]}
        NOTES.setdefault(data["board"], []).append(note)
        emit("added", note, to=data["board"])
        return len(NOTES[data["board"]])

    def on_typing(self, board):
        emit("typing", session["user"], to=board, include_self=False)


socketio.on_namespace(NotesNamespace("/notes"))


if __name__ == "__main__":
    socketio.run(app)
