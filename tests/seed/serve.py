"""Serve one seed app module on 127.0.0.1 and a free ephemeral port.

Usage: ``python serve.py path/to/app_module.py``

The module must expose ``app`` (the Flask application) and ``socketio`` (its
``SocketIO``). The chosen port is printed as ``SEED_PORT=<n>`` on stdout before
the server starts; the apps read the async mode from ``SEED_ASYNC_MODE``
(``threading`` unless set). ``socketio.run(app, port=0)`` is not supported, so
the port is picked here by binding a socket to port 0 and releasing it; the
fixture retries if another process takes the port in between.
"""

from __future__ import annotations

import importlib.util
import socket
import sys
from pathlib import Path
from types import ModuleType


def load_module(path: Path) -> ModuleType:
    sys.path.insert(0, str(path.parent))
    spec = importlib.util.spec_from_file_location(path.stem, path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module
    spec.loader.exec_module(module)
    return module


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main() -> None:
    module = load_module(Path(sys.argv[1]).resolve())
    port = free_port()
    print(f"SEED_PORT={port}", flush=True)
    module.socketio.run(module.app, host="127.0.0.1", port=port, allow_unsafe_werkzeug=True)


if __name__ == "__main__":
    main()
