"""Doc section "Access to Flask's Context Globals": ``current_app``, ``g``,
``request.sid``, ``request.namespace``, ``request.event``, ``session`` (forked
for Socket.IO handlers with the default ``manage_session=True``) and
``before_request`` hooks not running for Socket.IO events.

The documentation shows no code for this section; every handler here is added.
"""

import os

from flask import Flask, current_app, g, request, session

from flask_socketio import SocketIO

ASYNC_MODE = os.environ.get('SEED_ASYNC_MODE', 'threading')

app = Flask(__name__)
app.config['SECRET_KEY'] = 'secret!'
socketio = SocketIO(app, async_mode=ASYNC_MODE)


@app.before_request
def mark_request():
    g.before_request_ran = True
    print('before_request ' + request.path)


@app.route('/session/set/<value>')
def http_set(value):
    session['value'] = value
    return 'ok'


@app.route('/session/get')
def http_get():
    return session.get('value', '<none>')


def describe():
    return {
        'sid': request.sid,
        'namespace': request.namespace,
        'event': {'message': request.event['message'], 'args': list(request.event['args'])},
        'app': current_app.name,
        'before_request_ran': g.get('before_request_ran', False),
    }


@socketio.on('context')
def context(*args):
    return describe()


@socketio.on('context', namespace='/chat')
def context_chat(*args):
    return describe()


@socketio.on('session get')
def socket_get():
    return session.get('value', '<none>')


@socketio.on('session set')
def socket_set(value):
    session['value'] = value
    return 'ok'


if __name__ == '__main__':
    socketio.run(app)
