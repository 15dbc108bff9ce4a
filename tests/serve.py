"""Start a test app on 127.0.0.1 and an ephemeral port; print the port.

    python -m tests.serve tests.integration.apps.protocol_app:app [--async-mode threading]

The app is a WSGI callable (a Flask app, or a Socket.IO WSGIApp). The first
line written to stdout is ``PORT <n>``: the fixture reads it.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys


def load(spec: str):
    module_name, _, attr = spec.partition(":")
    module = importlib.import_module(module_name)
    return getattr(module, attr or "app")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("app")
    parser.add_argument("--async-mode", default=os.environ.get("SOCKETIO_ASYNC_MODE", "threading"))
    args = parser.parse_args()
    os.environ["SOCKETIO_ASYNC_MODE"] = args.async_mode
    app = load(args.app)
    if args.async_mode == "threading":
        from werkzeug.serving import make_server

        server = make_server("127.0.0.1", 0, app, threaded=True)
        print("PORT", server.server_port, flush=True)
        server.serve_forever()
    else:
        sys.exit(f"unsupported async mode {args.async_mode}")


if __name__ == "__main__":
    main()
