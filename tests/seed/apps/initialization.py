"""Doc section "Initialization": the minimal app, plus the page that connects.

Added for the tests: ``async_mode`` from ``SEED_ASYNC_MODE`` (the tests run the
threading mode) and a ``/`` route serving the documentation's client page.
"""

import os

from flask import Flask, render_template

from flask_socketio import SocketIO

ASYNC_MODE = os.environ.get('SEED_ASYNC_MODE', 'threading')

app = Flask(__name__)
app.config['SECRET_KEY'] = 'secret!'
socketio = SocketIO(app, async_mode=ASYNC_MODE)  # doc: SocketIO(app)


@app.route('/')
def index():
    return render_template('index.html')


if __name__ == '__main__':
    socketio.run(app)
