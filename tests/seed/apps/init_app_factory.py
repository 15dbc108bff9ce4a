"""Doc section "Initialization": the ``init_app()`` style (application factory).

Handlers are registered on the ``SocketIO`` object both before and after
``init_app()`` is called; both must be dispatched.
"""

import os

from flask import Flask

from flask_socketio import SocketIO, emit

ASYNC_MODE = os.environ.get('SEED_ASYNC_MODE', 'threading')

socketio = SocketIO()


@socketio.on('my event')
def handle_my_custom_event(json):
    print('received json: ' + str(json))
    return 'registered before init_app'


def create_app():
    app = Flask(__name__)
    app.config['SECRET_KEY'] = 'secret!'
    socketio.init_app(app, async_mode=ASYNC_MODE)
    return app


app = create_app()


@socketio.on('late event')
def handle_late_event(json):
    emit('late response', json)
    return 'registered after init_app'


if __name__ == '__main__':
    socketio.run(app)
