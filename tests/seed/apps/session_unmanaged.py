"""Doc section "Access to Flask's Context Globals" and the ``manage_session``
option: with server-side sessions (Flask-Session) and ``manage_session=False``,
HTTP routes and Socket.IO handlers share the user session both ways.

Added: everything but the ``SocketIO(app, manage_session=False)`` call.
"""

import os

from cachelib import SimpleCache
from flask import Flask, session
from flask_session import Session

from flask_socketio import SocketIO

ASYNC_MODE = os.environ.get('SEED_ASYNC_MODE', 'threading')

app = Flask(__name__)
app.config['SECRET_KEY'] = 'secret!'
app.config['SESSION_TYPE'] = 'cachelib'
app.config['SESSION_CACHELIB'] = SimpleCache()
Session(app)
socketio = SocketIO(app, manage_session=False, async_mode=ASYNC_MODE)


@app.route('/session/set/<value>')
def http_set(value):
    session['value'] = value
    return 'ok'


@app.route('/session/get')
def http_get():
    return session.get('value', '<none>')


@socketio.on('session get')
def socket_get():
    return session.get('value', '<none>')


@socketio.on('session set')
def socket_set(value):
    session['value'] = value
    return 'ok'


if __name__ == '__main__':
    socketio.run(app)
