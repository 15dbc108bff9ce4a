"""Doc section "Receiving Messages": values returned by a handler become the
arguments of the client's acknowledgement callback.

Added: ``my silent event``, a handler that returns nothing ("the client callback
function will be invoked without arguments"), and ``my echo``, which returns one
value.
"""

import os

from flask import Flask

from flask_socketio import SocketIO

ASYNC_MODE = os.environ.get('SEED_ASYNC_MODE', 'threading')

app = Flask(__name__)
app.config['SECRET_KEY'] = 'secret!'
socketio = SocketIO(app, async_mode=ASYNC_MODE)


@socketio.on('my event')
def handle_my_custom_event(json):
    print('received json: ' + str(json))
    return 'one', 2


@socketio.on('my silent event')
def handle_my_silent_event(json):
    print('received json: ' + str(json))


@socketio.on('my echo')
def handle_my_echo(data):
    return data


if __name__ == '__main__':
    socketio.run(app)
