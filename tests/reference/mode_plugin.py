"""A pytest plugin for the vendored suite's process: pins its async mode, reports it.

``SocketIO(app)`` in the vendored file picks the async mode by detection, so
the mode is chosen by hiding the libraries of the modes before it:
``REFERENCE_ASYNC_MODE=threading`` hides eventlet and gevent (as in
Flask-SocketIO's own CI, which installs neither), ``gevent`` hides eventlet,
``eventlet`` hides nothing. At the end the mode the suite's app ran in and the
package it imported are written, as JSON, to ``REFERENCE_REPORT``::

    REFERENCE_ASYNC_MODE=threading REFERENCE_REPORT=mode.json \\
        python -m pytest -p tests.reference.mode_plugin test_socketio.py
"""

from __future__ import annotations

import json
import os
import sys

HIDDEN = {"threading": ("eventlet", "gevent", "geventwebsocket"), "gevent": ("eventlet",)}

for _name in HIDDEN.get(os.environ.get("REFERENCE_ASYNC_MODE", ""), ()):
    sys.modules[_name] = None  # type: ignore[assignment]  # import and find_spec fail


def pytest_sessionfinish(session) -> None:
    suite = sys.modules.get("test_socketio")
    package = sys.modules.get("flask_socketio")
    with open(os.environ["REFERENCE_REPORT"], "w") as report:
        json.dump({
            "async_mode": getattr(getattr(suite, "socketio", None), "async_mode", None),
            "package": getattr(package, "__file__", None),
        }, report)
