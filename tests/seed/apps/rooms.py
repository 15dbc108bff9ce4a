"""Doc section "Rooms": ``join_room()`` / ``leave_room()`` with a username and a
room, ``send(..., room=...)``; the personal room named after ``request.sid``;
the context-free ``socketio.send()`` / ``socketio.emit()`` with a room.

``room=`` is the documentation's spelling; Flask-SocketIO 5.x documents ``to=``
and keeps ``room=`` as an alias. Added: ``shout`` (``emit(..., to=room)``),
``whisper`` (a message to one client through its personal room), ``my sid`` and
the ``/notify/<room>`` route.
"""

import os

from flask import Flask, request

from flask_socketio import SocketIO, emit, join_room, leave_room, send

ASYNC_MODE = os.environ.get('SEED_ASYNC_MODE', 'threading')

app = Flask(__name__)
app.config['SECRET_KEY'] = 'secret!'
socketio = SocketIO(app, async_mode=ASYNC_MODE)


@socketio.on('join')
def on_join(data):
    username = data['username']
    room = data['room']
    join_room(room)
    send(username + ' has entered the room.', room=room)


@socketio.on('leave')
def on_leave(data):
    username = data['username']
    room = data['room']
    leave_room(room)
    send(username + ' has left the room.', room=room)


@socketio.on('shout')
def on_shout(data):
    emit('shout', data['message'], to=data['room'])


@socketio.on('whisper')
def on_whisper(data):
    emit('whisper', data['message'], room=data['sid'])


@socketio.on('my sid')
def my_sid():
    return request.sid


@app.route('/notify/<room>')
def notify(room):
    socketio.emit('notice', {'room': room}, room=room)
    socketio.send('notice for ' + room, to=room)
    return 'ok'


if __name__ == '__main__':
    socketio.run(app)
