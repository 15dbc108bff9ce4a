"""Start a test app on 127.0.0.1 and an ephemeral port; print the port.

    python -m tests.serve tests.integration.apps.protocol_app:app [--async-mode MODE] [--port N]

MODE is one of:

- ``threading``: Werkzeug's threaded server (websocket on the taken-over socket);
- ``eventlet``: eventlet's WSGI server, after ``eventlet.monkey_patch()``;
- ``gevent``: gevent's pywsgi with our handler, after ``monkey.patch_all()``;
- ``gevent-websocket``: the same, with gevent-websocket's ``WebSocketHandler``
  answering upgrades (the app runs in the gevent async mode).

``--port`` binds that port instead of an ephemeral one (the protocol suites
of tests/conformance need 3000). Add ``--no-patch`` to run a green mode
without monkey patching. The app is a WSGI callable (a Flask app, or a
Socket.IO WSGIApp) and reads its async mode from ``SOCKETIO_ASYNC_MODE``.
The first line written to stdout is ``PORT <n>``: the fixture reads it.
"""

from __future__ import annotations

import os
import sys


def _requested_mode(argv: list[str]) -> tuple[str, bool]:
    mode = os.environ.get("SOCKETIO_ASYNC_MODE", "threading")
    for i, arg in enumerate(argv):
        if arg == "--async-mode" and i + 1 < len(argv):
            mode = argv[i + 1]
        elif arg.startswith("--async-mode="):
            mode = arg.split("=", 1)[1]
    return mode, "--no-patch" not in argv


# Monkey patching must come first, before anything imports socket or threading.
_MODE, _PATCH = _requested_mode(sys.argv)
if _PATCH and _MODE == "eventlet":
    import eventlet

    eventlet.monkey_patch()
elif _PATCH and _MODE in ("gevent", "gevent-websocket"):
    from gevent import monkey

    monkey.patch_all()

import argparse  # noqa: E402
import importlib  # noqa: E402

MODES = ("threading", "eventlet", "gevent", "gevent-websocket")


def load(spec: str):
    module_name, _, attr = spec.partition(":")
    module = importlib.import_module(module_name)
    return getattr(module, attr or "app")


def serve_threading(app, port: int = 0) -> None:
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", port, app, threaded=True)
    print("PORT", server.server_port, flush=True)
    server.serve_forever()


def serve_eventlet(app, port: int = 0) -> None:
    import eventlet
    import eventlet.wsgi

    from flask_socketio.drivers._green import no_delay
    from flask_socketio.drivers.eventlet import DEFAULT_MAX_CONNECTIONS

    listener = eventlet.listen(("127.0.0.1", port))
    no_delay(listener)
    print("PORT", listener.getsockname()[1], flush=True)
    eventlet.wsgi.server(
        listener, app, log_output=False, debug=False, max_size=DEFAULT_MAX_CONNECTIONS
    )


def serve_gevent(app, handler_class, port: int = 0) -> None:
    from gevent import pywsgi

    from flask_socketio.drivers._green import no_delay

    server = pywsgi.WSGIServer(("127.0.0.1", port), app, log=None, handler_class=handler_class)
    server.init_socket()
    no_delay(server.socket)  # as socketio.run() and gunicorn do
    server.start()
    print("PORT", server.server_port, flush=True)
    server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("app")
    parser.add_argument("--async-mode", choices=MODES, default=_MODE)
    parser.add_argument("--port", type=int, default=0, help="0: an ephemeral port")
    parser.add_argument("--no-patch", action="store_true", help="run a green mode unpatched")
    args = parser.parse_args()
    os.environ["SOCKETIO_ASYNC_MODE"] = "gevent" if args.async_mode.startswith("gevent") else (
        args.async_mode
    )
    app = load(args.app)
    if args.async_mode == "threading":
        serve_threading(app, args.port)
    elif args.async_mode == "eventlet":
        serve_eventlet(app, args.port)
    elif args.async_mode == "gevent":
        from flask_socketio.drivers.gevent import WSGIHandler

        serve_gevent(app, WSGIHandler, args.port)
    else:
        from geventwebsocket.handler import WebSocketHandler

        from flask_socketio.drivers.gevent import answering_connection_close

        serve_gevent(app, answering_connection_close(WebSocketHandler), args.port)


if __name__ == "__main__":
    main()
