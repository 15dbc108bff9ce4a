"""Doc section "Error Handling": ``on_error()`` for the default namespace,
``on_error('/chat')``, ``on_error_default`` for the others; the error handler
receives the exception and its return value becomes the failed event's ack;
``request.event`` inside the default error handler.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from seedlib import TRANSPORTS, Server, ack_args, connected_client, token

pytestmark = pytest.mark.timeout(30)

NAMESPACES = ["/", "/chat", "/other"]


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_each_namespace_uses_its_error_handler(
    serve: Callable[..., Server], transport: str
) -> None:
    server = serve("error_handling")
    with connected_client(server, namespaces=NAMESPACES, transport=transport) as (client, _):
        assert ack_args(client, "fail", "x") == ("error_handler: ValueError: failed on / with x",)
        assert ack_args(client, "fail", "key", namespace="/chat") == (
            "error_handler_chat: KeyError: 'key'",
        )
        assert ack_args(client, "fail", "x", namespace="/other") == (
            "default_error_handler: RuntimeError: failed on /other",
        )


def test_connection_survives_handler_errors(serve: Callable[..., Server]) -> None:
    server = serve("error_handling")
    with connected_client(server, namespaces=NAMESPACES) as (client, _):
        for _ in range(3):
            ack_args(client, "fail", "x", namespace="/other")
        assert ack_args(client, "fine", {"ok": 1}, namespace="/other") == ({"ok": 1},)
        assert client.connected


def test_request_event_in_default_error_handler(serve: Callable[..., Server]) -> None:
    server = serve("error_request_event")
    data = {"id": token()}
    with connected_client(server) as (client, _):
        # The error handler returns nothing: an empty ack, sent after it printed.
        assert ack_args(client, "my error event", data) == ()
    lines = server.stdout().splitlines()
    # print(request.event["message"]) then print(request.event["args"]): (data,)
    index = lines.index(repr((data,)))
    assert lines[index - 1] == "my error event"
