"""Doc section "Using Flask-Login with Flask-SocketIO": after ``login_user()`` in
an HTTP route, Socket.IO handlers see ``current_user``; the ``connect`` handler
rejects anonymous users; the ``authenticated_only`` decorator disconnects them.

The session cookie of a ``requests.Session`` that logged in is passed to the
Socket.IO client in the ``Cookie`` header.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
import requests
import socketio
from seedlib import TRANSPORTS, OrderedClient, Recorder, Server, connected_client, cookie_headers
from seedlib import token as unique

pytestmark = pytest.mark.timeout(30)


def login(server: Server, name: str) -> dict[str, str]:
    http = requests.Session()
    assert http.get(f"{server.url}/login/{name}", timeout=10).text == "logged in"
    return cookie_headers(http)


def test_connect_handler_rejects_anonymous_users(serve: Callable[..., Server]) -> None:
    server = serve("flask_login_connect")
    client = OrderedClient(reconnection=False)
    recorder = Recorder(client)
    try:
        with pytest.raises(socketio.exceptions.ConnectionError):
            client.connect(server.url, transports=["polling"], wait_timeout=10)
        assert recorder.wait_for("connect_error")
    finally:
        client.close()


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_logged_in_user_connects_and_is_announced(
    serve: Callable[..., Server], transport: str
) -> None:
    server = serve("flask_login_connect")
    alice, bob = "alice-" + unique(), "bob-" + unique()
    alice_headers, bob_headers = login(server, alice), login(server, bob)
    with connected_client(server, transport=transport, headers=alice_headers) as (a, a_log):
        assert a_log.wait_for("my response") == [({"message": alice + " has joined"},)]
        assert a.call("whoami", timeout=10) == alice
        with connected_client(server, headers=bob_headers) as (b, b_log):
            # The connect handler broadcasts: bob and alice both hear of bob.
            assert b_log.wait_for("my response") == [({"message": bob + " has joined"},)]
            assert a_log.wait_for("my response", count=2)[1] == ({"message": bob + " has joined"},)
            assert b.call("whoami", timeout=10) == bob


def test_authenticated_only_lets_users_through(serve: Callable[..., Server]) -> None:
    server = serve("flask_login_decorator")
    name = "carol-" + unique()
    with connected_client(server, headers=login(server, name)) as (client, recorder):
        client.emit("my event", {})
        assert recorder.wait_for("my response") == [({"message": name + " has joined"},)]
        assert client.connected


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_authenticated_only_disconnects_anonymous_users(
    serve: Callable[..., Server], transport: str
) -> None:
    server = serve("flask_login_decorator")
    name = "dave-" + unique()
    with (
        connected_client(server, transport=transport) as (anonymous, anonymous_log),
        connected_client(server, headers=login(server, name)) as (user, user_log),
    ):
        anonymous.emit("my event", {})
        anonymous_log.wait_for("disconnect")
        assert anonymous_log.names() == []
        # The user's own broadcast comes after anything the anonymous event sent.
        user.emit("my event", {})
        assert user_log.wait_for("my response") == [({"message": name + " has joined"},)]
