"""Doc section "Access to Flask's Context Globals": server-side sessions
(Flask-Session) with the default ``manage_session=True``.

The documentation says HTTP changes to a server-side session "can be seen by
SocketIO handlers, as long as the session is not modified in the SocketIO
handlers". In Flask-SocketIO 5.x the Socket.IO handlers get a copy of the
session made when the connection's first handler runs, so later HTTP changes
are not seen, modified or not; ``manage_session=False`` shares the session (see
``session_unmanaged.py``).
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
socketio = SocketIO(app, async_mode=ASYNC_MODE)


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
