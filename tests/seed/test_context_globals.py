"""Doc section "Access to Flask's Context Globals": ``current_app``, ``g``,
``request.sid``, ``request.namespace`` and ``request.event`` in handlers;
``before_request`` not run for Socket.IO events; the user session forked for
Socket.IO handlers (``manage_session=True``, the default) and shared with HTTP
routes when server-side sessions are used with ``manage_session=False``.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
import requests
from seedlib import TRANSPORTS, Server, connected_client, cookie_headers, token

pytestmark = pytest.mark.timeout(30)


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_request_globals_in_handlers(serve: Callable[..., Server], transport: str) -> None:
    server = serve("context_globals")
    mark = token()
    with connected_client(server, namespaces=["/", "/chat"], transport=transport) as (client, _):
        root = client.call("context", (mark, 2), timeout=10)
        chat = client.call("context", mark, namespace="/chat", timeout=10)
        assert root == {
            "sid": client.get_sid("/"),
            "namespace": "/",
            "event": {"message": "context", "args": [mark, 2]},
            "app": "context_globals",
            "before_request_ran": False,
        }
        assert chat["sid"] == client.get_sid("/chat")
        assert chat["namespace"] == "/chat"
        assert chat["event"] == {"message": "context", "args": [mark]}
    # before_request runs for HTTP requests (and only those).
    requests.get(server.url + "/session/get", timeout=10)
    lines = server.stdout().splitlines()
    assert "before_request /session/get" in lines
    assert not [line for line in lines if "socket.io" in line]


def test_each_client_has_its_own_sid(serve: Callable[..., Server]) -> None:
    server = serve("context_globals")
    with connected_client(server) as (alice, _), connected_client(server) as (bob, _):
        alice_sid = alice.call("context", timeout=10)["sid"]
        bob_sid = bob.call("context", timeout=10)["sid"]
        assert alice_sid != bob_sid
        assert alice.call("context", timeout=10)["sid"] == alice_sid


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_session_is_forked_for_socketio_handlers(
    serve: Callable[..., Server], transport: str
) -> None:
    server = serve("context_globals")
    http = requests.Session()
    http.get(server.url + "/session/set/from-http", timeout=10).raise_for_status()
    headers = cookie_headers(http)
    with connected_client(server, transport=transport, headers=headers) as (client, _):
        # A copy of the session at connection time...
        assert client.call("session get", timeout=10) == "from-http"
        # ...modified by a handler, kept for later handlers of this connection...
        assert client.call("session set", "from-socket", timeout=10) == "ok"
        assert client.call("session get", timeout=10) == "from-socket"
        # ...but HTTP routes do not see it, and their changes are not seen here.
        assert http.get(server.url + "/session/get", timeout=10).text == "from-http"
        http.get(server.url + "/session/set/http-again", timeout=10).raise_for_status()
        assert client.call("session get", timeout=10) == "from-socket"
    # A new connection copies the session as it is then.
    with connected_client(server, headers=cookie_headers(http)) as (client, _):
        assert client.call("session get", timeout=10) == "http-again"


def test_session_forks_are_per_connection(serve: Callable[..., Server]) -> None:
    server = serve("context_globals")
    http = requests.Session()
    http.get(server.url + "/session/set/shared", timeout=10).raise_for_status()
    headers = cookie_headers(http)
    with (
        connected_client(server, headers=headers) as (first, _),
        connected_client(server, headers=headers) as (second, _),
    ):
        first.call("session set", "first-only", timeout=10)
        assert second.call("session get", timeout=10) == "shared"
        assert first.call("session get", timeout=10) == "first-only"


def test_server_side_session_shared_without_manage_session(serve: Callable[..., Server]) -> None:
    server = serve("session_unmanaged")
    http = requests.Session()
    http.get(server.url + "/session/set/from-http", timeout=10).raise_for_status()
    with connected_client(server, headers=cookie_headers(http)) as (client, _):
        assert client.call("session get", timeout=10) == "from-http"
        # HTTP changes made after the connection are seen by Socket.IO handlers...
        http.get(server.url + "/session/set/http-later", timeout=10).raise_for_status()
        assert client.call("session get", timeout=10) == "http-later"
        # ...and Socket.IO changes are seen by HTTP routes.
        assert client.call("session set", "from-socket", timeout=10) == "ok"
        assert http.get(server.url + "/session/get", timeout=10).text == "from-socket"


def test_server_side_session_with_managed_session_is_a_copy(serve: Callable[..., Server]) -> None:
    # The documentation says HTTP changes to a server-side session are seen by
    # Socket.IO handlers as long as these do not modify it. In Flask-SocketIO 5.x
    # (manage_session=True) the handlers work on a copy made when the first
    # handler of the connection runs: 5.x behaviour asserted here.
    server = serve("session_server_side")
    http = requests.Session()
    http.get(server.url + "/session/set/from-http", timeout=10).raise_for_status()
    with connected_client(server, headers=cookie_headers(http)) as (client, _):
        assert client.call("session get", timeout=10) == "from-http"
        http.get(server.url + "/session/set/http-later", timeout=10).raise_for_status()
        assert client.call("session get", timeout=10) == "from-http"
