"""Doc section "Sending Messages": ``send()`` and ``emit()`` bounce received
events back to the client that sent them.
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
    send(message)


@socketio.on('json')
def handle_json(json):
    send(json, json=True)


@socketio.on('my event')
def handle_my_custom_event(json):
    emit('my response', json)


if __name__ == '__main__':
    socketio.run(app)
