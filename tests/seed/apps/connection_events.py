"""Doc section "Connection Events": ``connect`` and ``disconnect`` handlers on
``/chat``, and the same events on ``/`` ("sent individually on each namespace").

Added: the handlers on ``/``, printing which namespace connected/disconnected.
"""

import os

from flask import Flask, request

from flask_socketio import SocketIO, emit

ASYNC_MODE = os.environ.get('SEED_ASYNC_MODE', 'threading')

app = Flask(__name__)
app.config['SECRET_KEY'] = 'secret!'
socketio = SocketIO(app, async_mode=ASYNC_MODE)


@socketio.on('connect', namespace='/chat')
def test_connect():
    emit('my response', {'data': 'Connected'})


@socketio.on('disconnect', namespace='/chat')
def test_disconnect():
    print('Client disconnected')


@socketio.on('connect')
def connect_default():
    print('connect on ' + request.namespace)


@socketio.on('disconnect')
def disconnect_default():
    print('disconnect on ' + request.namespace)


if __name__ == '__main__':
    socketio.run(app)
