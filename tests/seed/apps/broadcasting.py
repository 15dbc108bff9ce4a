"""Doc section "Broadcasting": ``broadcast=True`` and the context-free
``socketio.emit()`` / ``socketio.send()`` used from a background task and from
an HTTP route (API reference, ``SocketIO.emit``).

Added: routes that trigger the server-originated messages, and a ``connect``
handler on ``/chat`` so clients can join it.
"""

import os

from flask import Flask

from flask_socketio import SocketIO, emit

ASYNC_MODE = os.environ.get('SEED_ASYNC_MODE', 'threading')

app = Flask(__name__)
app.config['SECRET_KEY'] = 'secret!'
socketio = SocketIO(app, async_mode=ASYNC_MODE)


@socketio.on('my event')
def handle_my_custom_event(data):
    emit('my response', data, broadcast=True)


def some_function():
    socketio.emit('some event', {'data': 42})


@app.route('/background')
def start_background():
    socketio.start_background_task(some_function)
    return 'started'


# API reference, SocketIO.emit
@app.route('/ping')
def ping():
    socketio.emit('ping event', {'data': 42}, namespace='/chat')
    return 'pong'


# API reference, SocketIO.send
@app.route('/announce')
def announce():
    socketio.send('announcement')
    return 'sent'


@socketio.on('connect', namespace='/chat')
def accept_chat():
    pass


if __name__ == '__main__':
    socketio.run(app)
