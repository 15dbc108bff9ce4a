"""Doc section "API Reference": the examples of ``join_room`` / ``leave_room``
(username from the session), ``disconnect`` (a banned user), ``rooms``,
``close_room``, ``on_error(namespace=...)``, ``on_error_default``,
``SocketIO.start_background_task`` and ``SocketIO.sleep``.

Added: the ``/login/<username>`` route that fills the session, ``is_banned``,
and the ``my rooms``, ``close``, ``fail`` and ``background`` events. The
reference's ``join_room`` example uses ``room=``; 5.x docstrings use ``to=``.
"""

import os

from flask import Flask, session

from flask_socketio import (
    SocketIO,
    close_room,
    disconnect,
    emit,
    join_room,
    leave_room,
    rooms,
    send,
)

ASYNC_MODE = os.environ.get('SEED_ASYNC_MODE', 'threading')

app = Flask(__name__)
app.config['SECRET_KEY'] = 'secret!'
socketio = SocketIO(app, async_mode=ASYNC_MODE)


@app.route('/login/<username>')
def login(username):
    session['username'] = username
    return 'ok'


def is_banned(username):
    return username == 'mallory'


@socketio.on('join')
def on_join(data):
    username = session['username']
    room = data['room']
    join_room(room)
    send(username + ' has entered the room.', room=room)


@socketio.on('leave')
def on_leave(data):
    username = session['username']
    room = data['room']
    leave_room(room)
    send(username + ' has left the room.', room=room)


@socketio.on('message')
def receive_message(msg):
    if is_banned(session['username']):
        disconnect()
    else:
        send(msg)


@socketio.on('my rooms')
def my_rooms():
    return sorted(rooms())


@socketio.on('close')
def on_close(data):
    close_room(data['room'])
    emit('closed', data['room'])


@socketio.on('my event', namespace='/chat')
def handle_my_custom_event(json):
    print('received json: ' + str(json))


@socketio.on('fail', namespace='/chat')
def fail_chat(data):
    raise ValueError('chat failure')


@socketio.on('fail')
def fail(data):
    raise ValueError('default failure')


@socketio.on_error(namespace='/chat')
def chat_error_handler(e):
    print('An error has occurred: ' + str(e))


@socketio.on_error_default
def error_handler(e):
    print('An error has occurred: ' + str(e))


def multiply(a, b, results):
    socketio.sleep(0)
    results.append(a * b)


@socketio.on('background')
def background(data):
    results = []
    task = socketio.start_background_task(multiply, data, b=3, results=results)
    task.join()
    return results[0]


if __name__ == '__main__':
    socketio.run(app)
