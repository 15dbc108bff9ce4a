"""Doc section "Sending Messages": server-side acknowledgement callbacks.

The documentation's ``ack`` uses the Python 2 statement ``print '...'``; here it
is ``print('...')``. Added: ``my event with args``, whose callback receives the
arguments the client passes to its callback ("these are provided as arguments to
the server-side callback as well").
"""

import os

from flask import Flask

from flask_socketio import SocketIO, emit

ASYNC_MODE = os.environ.get('SEED_ASYNC_MODE', 'threading')

app = Flask(__name__)
app.config['SECRET_KEY'] = 'secret!'
socketio = SocketIO(app, async_mode=ASYNC_MODE)


def ack():
    print('message was received!')  # doc: print 'message was received!'


@socketio.on('my event')
def handle_my_custom_event(json):
    emit('my response', json, callback=ack)


def ack_with_args(*args):
    print('client acknowledged with: ' + repr(args))


@socketio.on('my event with args')
def handle_my_event_with_args(json):
    emit('my response', json, callback=ack_with_args)


if __name__ == '__main__':
    socketio.run(app)
