"""Doc section "Sending Messages": a tuple sends an event with several arguments.

Added: a ``connect`` handler on ``/chat`` and ``my tuple event``, the same emit
without ``namespace=``. In Flask-SocketIO 5.x the documentation's reply on
``/chat`` reaches nobody (see ``sending_namespace.py``), so the tuple expansion
is also observed through ``my tuple event``.
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


@socketio.on('my tuple event')
def handle_my_tuple_event(json):
    emit('my response', ('foo', 'bar', json))


@socketio.on('connect', namespace='/chat')
def accept_chat():
    pass


if __name__ == '__main__':
    socketio.run(app)
