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


# Run as a script, this is the documentation's start-up. With Flask-SocketIO 5.x
# on the Werkzeug server (no eventlet/gevent) and no terminal on stdin, run()
# raises RuntimeError unless allow_unsafe_werkzeug=True is passed, as the tests'
# launcher (serve.py) does.
if __name__ == '__main__':
    socketio.run(app)
