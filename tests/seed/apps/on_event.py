"""Doc section "Receiving Messages": ``socketio.on_event`` (non-decorator
registration), plus the API reference's ``on_event`` example on ``/chat``.
"""

import os

from flask import Flask

from flask_socketio import SocketIO

ASYNC_MODE = os.environ.get('SEED_ASYNC_MODE', 'threading')

app = Flask(__name__)
app.config['SECRET_KEY'] = 'secret!'
socketio = SocketIO(app, async_mode=ASYNC_MODE)


def my_function_handler(data):
    pass


socketio.on_event('my event', my_function_handler, namespace='/test')


# API reference, SocketIO.on_event
def on_foo_event(json):
    print('received json: ' + str(json))


socketio.on_event('my event', on_foo_event, namespace='/chat')


if __name__ == '__main__':
    socketio.run(app)
