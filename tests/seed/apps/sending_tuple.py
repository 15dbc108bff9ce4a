"""Doc section "Sending Messages": a tuple sends an event with several arguments.

Added: a ``connect`` handler on ``/chat`` (see ``sending_namespace.py``).
"""

import os

from flask import Flask

from flask_socketio import SocketIO, emit

ASYNC_MODE = os.environ.get('SEED_ASYNC_MODE', 'threading')

app = Flask(__name__)
app.config['SECRET_KEY'] = 'secret!'
socketio = SocketIO(app, async_mode=ASYNC_MODE)


@socketio.on('my event')
def handle_my_custom_event(json):
    emit('my response', ('foo', 'bar', json), namespace='/chat')


@socketio.on('connect', namespace='/chat')
def accept_chat():
    pass


if __name__ == '__main__':
    socketio.run(app)
