"""Doc section "Class-Based Namespaces": ``on_<event>`` methods of a
``flask_socketio.Namespace`` subclass handle the namespace's events, unknown
events are ignored, the instance's ``emit()`` defaults to its namespace, and a
decorated handler wins over a method for the same event.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from seedlib import TRANSPORTS, Server, ack_args, connected_client, token

pytestmark = pytest.mark.timeout(30)


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_method_handles_event(serve: Callable[..., Server], transport: str) -> None:
    server = serve("class_namespace")
    data = {"id": token()}
    with connected_client(server, namespaces=["/test"], transport=transport) as (client, log):
        client.emit("my_event", data, namespace="/test")
        assert log.wait_for("my_response", namespace="/test") == [(data,)]


def test_event_without_method_is_ignored(serve: Callable[..., Server]) -> None:
    server = serve("class_namespace")
    data = {"id": token()}
    with connected_client(server, namespaces=["/test"]) as (client, log):
        # Nothing runs and nothing is sent back; Flask-SocketIO 5.x still answers
        # an ack request, without arguments (after anything a handler had sent).
        assert ack_args(client, "no_such_event", data, namespace="/test") == ()
        assert log.names("/test") == []
        client.emit("my_event", data, namespace="/test")
        assert log.wait_for("my_response", namespace="/test") == [(data,)]


def test_namespace_emit_defaults_to_its_namespace(serve: Callable[..., Server]) -> None:
    server = serve("class_namespace")
    data = {"id": token()}
    with (
        connected_client(server, namespaces=["/", "/test"]) as (alice, alice_log),
        connected_client(server, namespaces=["/test"]) as (_, bob_log),
    ):
        alice.emit("shout", data, namespace="/test")
        assert alice_log.wait_for("shout", namespace="/test") == [(data,)]
        assert bob_log.wait_for("shout", namespace="/test") == [(data,)]
        assert alice_log.names("/") == []


def test_decorated_handler_wins_over_method(serve: Callable[..., Server]) -> None:
    server = serve("class_namespace")
    with connected_client(server, namespaces=["/test"]) as (client, _):
        assert ack_args(client, "both", {}, namespace="/test") == ("decorated",)
