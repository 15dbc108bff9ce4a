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
    import socketio

    client = socketio.Client(reconnection=False)
    client.connect(server.url, wait_timeout=10)
    try:
        assert client.transport() == "websocket"
    finally:
        client.disconnect()


def test_page_loads_client_and_emits_on_connect(serve: Callable[..., Server]) -> None:
    server = serve("initialization")
    page = requests.get(server.url + "/", timeout=10)
    assert page.status_code == 200
    assert "io.connect('http://' + document.domain + ':' + location.port)" in page.text
    assert "socket.emit('my event'" in page.text
    # What the page does once connected: an event nobody handles is ignored and
    # the connection stays usable.
    with connected_client(server) as (client, recorder):
        client.emit("my event", {"data": "I'm connected!"})
        assert client.connected
        assert recorder.names() == []


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_init_app_style(serve: Callable[..., Server], transport: str) -> None:
    server = serve("init_app_factory")
    with connected_client(server, transport=transport) as (client, recorder):
        assert ack_args(client, "my event", {"a": 1}) == ("registered before init_app",)
        assert ack_args(client, "late event", [1, 2]) == ("registered after init_app",)
        assert recorder.wait_for("late response") == [([1, 2],)]
    server.wait_for_output("received json: {'a': 1}")
