"""Doc section "Using Flask-Login with Flask-SocketIO": the custom
``authenticated_only`` decorator that disconnects anonymous users.

Added: the ``User`` model, the login manager and the ``/login/<name>`` route.
Every client may connect here, so the decorator decides.
"""

import os

from flask import Flask
from flask_login import LoginManager, UserMixin, login_user

from flask_socketio import SocketIO

ASYNC_MODE = os.environ.get('SEED_ASYNC_MODE', 'threading')

app = Flask(__name__)
app.config['SECRET_KEY'] = 'secret!'
socketio = SocketIO(app, async_mode=ASYNC_MODE)
login_manager = LoginManager(app)


class User(UserMixin):
    def __init__(self, name):
        self.id = name
        self.name = name


@login_manager.user_loader
def load_user(user_id):
    return User(user_id)


@app.route('/login/<name>')
def login(name):
    login_user(User(name))
    return 'logged in'


# The documentation's example, verbatim from here on (its imports included).
import functools  # noqa: E402

from flask import request  # noqa: E402, F401
from flask_login import current_user  # noqa: E402

from flask_socketio import disconnect, emit  # noqa: E402


def authenticated_only(f):
    @functools.wraps(f)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            disconnect()
        else:
            return f(*args, **kwargs)
    return wrapped


@socketio.on('my event')
@authenticated_only
def handle_my_custom_event(data):
    emit('my response', {'message': '{0} has joined'.format(current_user.name)},  # noqa: UP030, UP032
         broadcast=True)


if __name__ == '__main__':
    socketio.run(app)
