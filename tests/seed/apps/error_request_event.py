"""Doc section "Error Handling": ``request.event`` inside the default error
handler (the event name and its arguments), verbatim.
"""

import os

from flask import Flask, request

from flask_socketio import SocketIO

ASYNC_MODE = os.environ.get('SEED_ASYNC_MODE', 'threading')

app = Flask(__name__)
app.config['SECRET_KEY'] = 'secret!'
socketio = SocketIO(app, async_mode=ASYNC_MODE)


@socketio.on("my error event")
def on_my_event(data):
    raise RuntimeError()


@socketio.on_error_default
def default_error_handler(e):
    print(request.event["message"]) # "my error event"
    print(request.event["args"])   # (data,)


if __name__ == '__main__':
    socketio.run(app)
