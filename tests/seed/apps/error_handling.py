"""Doc section "Error Handling": ``on_error()``, ``on_error('/chat')`` and
``on_error_default``.

The documentation's handlers have ``pass`` bodies; here each returns a string
naming itself and the exception, which Flask-SocketIO sends as the ack of the
failed event. Added: ``fail`` handlers on ``/``, ``/chat`` and ``/other``.
"""

import os

from flask import Flask

from flask_socketio import SocketIO

ASYNC_MODE = os.environ.get('SEED_ASYNC_MODE', 'threading')

app = Flask(__name__)
app.config['SECRET_KEY'] = 'secret!'
socketio = SocketIO(app, async_mode=ASYNC_MODE)


@socketio.on_error()          # Handles the default namespace
def error_handler(e):
    return 'error_handler: ' + type(e).__name__ + ': ' + str(e)


@socketio.on_error('/chat') # handles the '/chat' namespace
def error_handler_chat(e):
    return 'error_handler_chat: ' + type(e).__name__ + ': ' + str(e)


@socketio.on_error_default # handles all namespaces without an explicit error handler
def default_error_handler(e):
    return 'default_error_handler: ' + type(e).__name__ + ': ' + str(e)


@socketio.on('fail')
def fail(data):
    raise ValueError('failed on / with ' + str(data))


@socketio.on('fail', namespace='/chat')
def fail_chat(data):
    raise KeyError(data)


@socketio.on('fail', namespace='/other')
def fail_other(data):
    raise RuntimeError('failed on /other')


@socketio.on('fine', namespace='/other')
def fine(data):
    return data


if __name__ == '__main__':
    socketio.run(app)
