"""Doc section "Connection Events": a ``connect`` handler that returns ``False``
rejects the connection; Flask-SocketIO 5.x also passes the client's ``auth``
data to the handler and accepts ``ConnectionRefusedError`` with a reason.

The ``auth`` argument and ``ConnectionRefusedError`` are 5.x API, not in the
documentation's text.
"""

import os

from flask import Flask

from flask_socketio import ConnectionRefusedError, SocketIO

ASYNC_MODE = os.environ.get('SEED_ASYNC_MODE', 'threading')

app = Flask(__name__)
app.config['SECRET_KEY'] = 'secret!'
socketio = SocketIO(app, async_mode=ASYNC_MODE)


@socketio.on('connect')
def connect(auth):
    if not auth or auth.get('token') != 'secret-token':
        return False
    print('accepted ' + auth['user'])


@socketio.on('connect', namespace='/refuse')
def refuse_connect():
    raise ConnectionRefusedError('unauthorized!')


@socketio.on('echo')
def echo(data):
    return data


if __name__ == '__main__':
    socketio.run(app)
