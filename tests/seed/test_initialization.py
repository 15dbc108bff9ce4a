"""Doc section "Initialization": ``SocketIO(app)``, the ``init_app()`` style,
``socketio.run()`` and the page that loads the client and connects.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
import requests
from seedlib import TRANSPORTS, Server, ack_args, connected_client, simple_client

pytestmark = pytest.mark.timeout(30)


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_client_connects_to_minimal_app(serve: Callable[..., Server], transport: str) -> None:
    server = serve("initialization")
    with simple_client(server, transport=transport) as client:
        assert client.connected
        assert isinstance(client.sid, str) and client.sid
        assert client.client.transport() == transport


def test_default_client_upgrades_to_websocket(serve: Callable[..., Server]) -> None:
    # The documentation says the Werkzeug server only supports long-polling; with
    # Flask-SocketIO 5.x and simple-websocket the threading mode upgrades.
    server = serve("initialization")
    with connected_client(server, transport="polling") as (client, _):
        assert client.transport() == "polling"
    with connected_client(server, transport=None) as (client, _):
        assert client.transport() == "websocket"


def test_page_loads_client_and_emits_on_connect(serve: Callable[..., Server]) -> None:
    server = serve("initialization")
    page = requests.get(server.url + "/", timeout=10)
    assert page.status_code == 200
    assert "io.connect('http://' + document.domain + ':' + location.port)" in page.text
    assert "socket.emit('my event'" in page.text
    # What the page does once connected: this app has no handler for the event,
    # which is ignored (no ack, no error) while the connection stays up.
    with connected_client(server) as (client, _):
        client.emit("my event", {"data": "I'm connected!"})
        assert client.connected


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_init_app_style(serve: Callable[..., Server], transport: str) -> None:
    server = serve("init_app_factory")
    with connected_client(server, transport=transport) as (client, recorder):
        assert ack_args(client, "my event", {"a": 1}) == ("registered before init_app",)
        assert ack_args(client, "late event", [1, 2]) == ("registered after init_app",)
        assert recorder.wait_for("late response") == [([1, 2],)]
    server.wait_for_output("received json: {'a': 1}")


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_flask_run_command(serve: Callable[..., Server], transport: str) -> None:
    # "$ FLASK_APP=my_app.py flask run". Flask-SocketIO 5.x no longer ships its
    # own `flask run` command (the documentation says it does); Flask's command
    # serves the app, whose wsgi_app SocketIO wrapped, on the Werkzeug server.
    server = serve("init_app_factory", flask_run=True)
    with connected_client(server, transport=transport) as (client, _):
        assert ack_args(client, "my event", {}) == ("registered before init_app",)
