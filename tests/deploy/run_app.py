"""`python run_app.py MODE PORT [patch] [reload] [ssl]`: echo_app served by socketio.run().

With ``patch`` the mode's monkey patching comes first; with ``reload`` the
reloader is on; with ``ssl`` it serves HTTPS with the ``CERTFILE`` and
``KEYFILE`` of the environment. ``GET /stop`` calls ``socketio.stop()``.
"""

import sys

MODE, PORT = sys.argv[1], int(sys.argv[2])
if "patch" in sys.argv[3:]:
    if MODE == "eventlet":
        import eventlet

        eventlet.monkey_patch()
    else:
        from gevent import monkey

        monkey.patch_all()

import os  # noqa: E402

os.environ["SOCKETIO_ASYNC_MODE"] = MODE
from echo_app import app, socketio  # noqa: E402


@app.route("/stop")
def stop():
    socketio.stop()
    return "stopping"


if __name__ == "__main__":
    options = {}
    if "ssl" in sys.argv[3:]:
        options = {"certfile": os.environ["CERTFILE"], "keyfile": os.environ["KEYFILE"]}
    socketio.run(app, host="127.0.0.1", port=PORT, use_reloader="reload" in sys.argv[3:],
                 log_output=True, **options)
