"""Start the benchmark app on 127.0.0.1 and an ephemeral port.

    BENCH_ASYNC_MODE=threading|eventlet|gevent python benchmarks/serve.py

Prints two lines on stdout before serving, which run.py waits for:

    IMPL <path of the flask_socketio package that was imported>
    PORT <port>
"""

import os
import sys

ASYNC_MODE = os.environ.get("BENCH_ASYNC_MODE", "threading")

# Monkey patching has to happen before anything imports socket or threading,
# and it is what a real eventlet/gevent deployment does, so both
# implementations get it the same way.
if ASYNC_MODE == "eventlet":
    import eventlet

    eventlet.monkey_patch()
elif ASYNC_MODE == "gevent":
    from gevent import monkey

    monkey.patch_all()

import importlib  # noqa: E402
import logging  # noqa: E402
import socket  # noqa: E402

# BENCH_APP picks the app module of benchmarks/ (cluster.py runs cluster_app).
_app_module = importlib.import_module(os.environ.get("BENCH_APP", "app"))
app, socketio = _app_module.app, _app_module.socketio
from harness.limits import raise_open_files_limit  # noqa: E402

import flask_socketio  # noqa: E402


def free_port() -> int:
    """An ephemeral port on 127.0.0.1 that is free right now.

    socketio.run() takes a port number, not a socket, so the port is picked
    here and bound again by the server a moment later; on a machine that only
    runs this benchmark nothing takes it in between.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main() -> None:
    # Werkzeug logs every request at INFO level even with log_output=False;
    # that would bill both implementations for log formatting.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    # One file descriptor per connection (two per polling client): the `curve`
    # scenario holds 10,000.
    raise_open_files_limit()
    port = free_port()
    print("IMPL", os.path.dirname(flask_socketio.__file__), flush=True)
    print("PORT", port, flush=True)
    socketio.run(
        app,
        host="127.0.0.1",
        port=port,
        allow_unsafe_werkzeug=True,
        log_output=False,
    )


if __name__ == "__main__":
    sys.exit(main())
