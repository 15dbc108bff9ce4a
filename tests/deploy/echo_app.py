"""The app the production commands serve: a plain Flask-SocketIO application.

``SocketIO(app)`` detects its async mode, as in the documentation, unless
``SOCKETIO_ASYNC_MODE`` names one (gunicorn's threaded worker needs
``threading`` when eventlet or gevent is installed too).
"""

import os

from flask import Flask

from flask_socketio import SocketIO, emit

app = Flask(__name__)
socketio = SocketIO(app, async_mode=os.environ.get("SOCKETIO_ASYNC_MODE") or None)


@app.route("/")
def index():
    return {"async_mode": socketio.async_mode}


@socketio.on("echo")
def echo(data):
    return data


@socketio.on("shout")
def shout(data):
    emit("shouted", data, broadcast=True)
    return "sent"


# uWSGI's --wsgi-file looks for a callable named `application` (or give --callable app).
application = app
