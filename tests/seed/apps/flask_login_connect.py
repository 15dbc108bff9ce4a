"""Doc section "Using Flask-Login with Flask-SocketIO": a ``connect`` handler
that admits only users logged in through Flask-Login.

Added: the ``User`` model (with the ``name`` the example uses), the login
manager, the ``/login/<name>`` route and a ``whoami`` event.
"""

import os

from flask import Flask
from flask_login import LoginManager, UserMixin, current_user, login_user

from flask_socketio import SocketIO, emit

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


@socketio.on('connect')
def connect_handler():
    if current_user.is_authenticated:
        emit('my response',
             {'message': '{0} has joined'.format(current_user.name)},  # noqa: UP030, UP032
             broadcast=True)
    else:
        return False # not allowed here


@socketio.on('whoami')
def whoami():
    return current_user.name


if __name__ == '__main__':
    socketio.run(app)
