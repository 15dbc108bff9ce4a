"""Doc section "Sending Messages": ``send()`` and ``emit()`` with ``namespace=``.

Flask-SocketIO 5.x disagrees with the documentation here: a client has a
different sid on each namespace (Socket.IO protocol 5), and ``send()``/``emit()``
address ``request.sid``, the sid of the *incoming* namespace ("/"), so these
replies on ``/chat`` reach nobody; the documentation promises them to the
sender (see ``test_sending.py``).

Added: a ``connect`` handler on ``/chat``. Flask-SocketIO 5.x (python-socketio
5.x) refuses connections to a namespace that has no handlers unless it is listed
in ``namespaces=``; without it a client could not join ``/chat`` to receive
these messages.
"""

import os

from flask import Flask

from flask_socketio import SocketIO, emit, send

ASYNC_MODE = os.environ.get('SEED_ASYNC_MODE', 'threading')

app = Flask(__name__)
app.config['SECRET_KEY'] = 'secret!'
socketio = SocketIO(app, async_mode=ASYNC_MODE)


@socketio.on('message')
def handle_message(message):
    send(message, namespace='/chat')


@socketio.on('my event')
def handle_my_custom_event(json):
    emit('my response', json, namespace='/chat')


@socketio.on('connect', namespace='/chat')
def accept_chat():
    pass


if __name__ == '__main__':
    socketio.run(app)
