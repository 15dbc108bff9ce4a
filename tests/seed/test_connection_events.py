"""Doc section "Connection Events": ``connect`` / ``disconnect`` handlers per
namespace, ``emit()`` from a connect handler, a connect handler returning
``False`` to reject the client, and (Flask-SocketIO 5.x) the ``auth`` argument
and ``ConnectionRefusedError``.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
import socketio
from seedlib import TRANSPORTS, OrderedClient, Recorder, Server, connected_client

pytestmark = pytest.mark.timeout(30)


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_connect_handler_emits_to_the_new_client(
    serve: Callable[..., Server], transport: str
) -> None:
    server = serve("connection_events")
    with connected_client(server, namespaces=["/chat"], transport=transport) as (_, recorder):
        assert recorder.wait_for("my response", namespace="/chat") == [({"data": "Connected"},)]


def test_connect_and_disconnect_fire_on_each_namespace(serve: Callable[..., Server]) -> None:
    server = serve("connection_events", fresh=True)
    with connected_client(server, namespaces=["/", "/chat"]) as (_, recorder):
        recorder.wait_for("my response", namespace="/chat")
        server.wait_for_output("connect on /")
    server.wait_for_output("Client disconnected")
    lines = server.wait_for_output("disconnect on /").splitlines()
    assert lines.count("connect on /") == 1
    assert lines.count("disconnect on /") == 1
    assert lines.count("Client disconnected") == 1


def _connect_error(
    server: Server, namespace: str, auth: object = None, transport: str = "websocket"
) -> tuple[object, ...]:
    """Connect, expect the rejection, and return the ``connect_error`` arguments."""
    client = OrderedClient(reconnection=False)
    recorder = Recorder(client, [namespace])
    try:
        with pytest.raises(socketio.exceptions.ConnectionError):
            client.connect(
                server.url,
                namespaces=[namespace],
                transports=[transport],
                auth=auth,
                wait_timeout=10,
            )
        return recorder.wait_for("connect_error", namespace=namespace)[0]
    finally:
        client.close()


def test_connect_returning_false_rejects(serve: Callable[..., Server]) -> None:
    server = serve("connection_auth")
    # The client sees the rejection; the reason is the 5.x default message.
    assert _connect_error(server, "/") == ({"message": "Connection rejected by server"},)
    assert _connect_error(server, "/", transport="polling") == (
        {"message": "Connection rejected by server"},
    )
    assert _connect_error(server, "/", auth={"token": "wrong", "user": "eve"}) == (
        {"message": "Connection rejected by server"},
    )


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_connect_with_auth_accepts(serve: Callable[..., Server], transport: str) -> None:
    server = serve("connection_auth")
    auth = {"token": "secret-token", "user": "alice-" + transport}
    with connected_client(server, transport=transport, auth=auth) as (client, _):
        assert client.call("echo", {"ok": True}, timeout=10) == {"ok": True}
    assert "accepted alice-" + transport in server.stdout()


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_connection_refused_error_reason_reaches_client(
    serve: Callable[..., Server], transport: str
) -> None:
    server = serve("connection_auth")
    error = _connect_error(server, "/refuse", transport=transport)
    assert error == ({"message": "unauthorized!"},)


def test_simple_client_rejection_raises(serve: Callable[..., Server]) -> None:
    server = serve("connection_auth")
    client = socketio.SimpleClient()
    with pytest.raises(socketio.exceptions.ConnectionError):
        client.connect(server.url, transports=["websocket"], wait_timeout=10)
