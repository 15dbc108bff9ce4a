"""Doc section "Class-Based Namespaces": ``MyCustomNamespace`` on ``/test``.

Added to the class: ``on_shout`` (the namespace's own ``emit``, which defaults
to its namespace), ``on_both`` and the decorated ``both`` handler on the same
namespace ("only the decorated function handler is invoked").
"""

import os

from flask import Flask

from flask_socketio import Namespace, SocketIO, emit

ASYNC_MODE = os.environ.get('SEED_ASYNC_MODE', 'threading')

app = Flask(__name__)
app.config['SECRET_KEY'] = 'secret!'
socketio = SocketIO(app, async_mode=ASYNC_MODE)


class MyCustomNamespace(Namespace):
    def on_connect(self):
        pass

    def on_disconnect(self):
        pass

    def on_my_event(self, data):
        emit('my_response', data)

    def on_shout(self, data):
        self.emit('shout', data)

    def on_both(self, data):
        return 'class-based'


socketio.on_namespace(MyCustomNamespace('/test'))


@socketio.on('both', namespace='/test')
def both(data):
    return 'decorated'


if __name__ == '__main__':
    socketio.run(app)
