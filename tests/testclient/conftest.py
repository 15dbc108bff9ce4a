"""Fixtures for the in-process test client suite: a fresh Flask app and its
``SocketIO`` (threading mode, so that no async framework is picked up) per test.
"""

from __future__ import annotations

import pytest
from flask import Flask

from flask_socketio import SocketIO


@pytest.fixture
def app() -> Flask:
    app = Flask(__name__)
    app.config["SECRET_KEY"] = "secret!"
    app.config["TESTING"] = True
    return app


@pytest.fixture
def socketio(app: Flask) -> SocketIO:
    return SocketIO(app, async_mode="threading")


def pytest_report_header() -> str:
    import flask_socketio

    return f"test client: flask_socketio from {flask_socketio.__file__}"
