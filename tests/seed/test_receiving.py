"""Doc section "Receiving Messages": unnamed string and JSON events, named events
with one or several arguments of any JSON/bytes type, namespaces, ``on_event``,
and handler return values delivered to the client's acknowledgement callback.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from seedlib import TRANSPORTS, Server, ack_args, connected_client, simple_client

pytestmark = pytest.mark.timeout(30)


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_unnamed_string_message(serve: Callable[..., Server], transport: str) -> None:
    server = serve("receiving_unnamed")
    with connected_client(server, transport=transport) as (client, _):
        client.send("hello server")
        server.wait_for_output("received message: hello server")


def test_unnamed_json_message(serve: Callable[..., Server]) -> None:
    server = serve("receiving_unnamed")
    with connected_client(server) as (client, _):
        # The handler's ack (none: it returns nothing) arrives after it has run.
        assert ack_args(client, "json", {"user": "alice", "tags": [1, 2]}) == ()
    assert "received json: {'user': 'alice', 'tags': [1, 2]}" in server.stdout()


@pytest.mark.parametrize(
    "data",
    ["a string", b"\x00\x01bytes\xff", 42, {"key": [1, "two", None, True]}, [1, 2.5]],
    ids=["str", "bytes", "int", "dict", "list"],
)
def test_named_event_data_types(serve: Callable[..., Server], data: Any) -> None:
    server = serve("receiving_unnamed")
    with simple_client(server) as client:
        assert client.call("my event", data, timeout=10) is None
    assert "received json: " + str(data) in server.stdout()


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_named_event_with_several_arguments(serve: Callable[..., Server], transport: str) -> None:
    server = serve("receiving_multiple_args")
    with connected_client(server, transport=transport) as (client, _):
        assert ack_args(client, "my event", "foo", "bar", "baz") == ()
    assert "received args: foobarbaz" in server.stdout()


def test_named_event_on_namespace(serve: Callable[..., Server]) -> None:
    server = serve("receiving_namespace")
    with connected_client(server, namespaces=["/test"]) as (client, _):
        assert ack_args(client, "my event", {"ns": "test"}, namespace="/test") == ()
    assert "received json: {'ns': 'test'}" in server.stdout()


def test_on_event_registers_handlers(serve: Callable[..., Server]) -> None:
    server = serve("on_event")
    with connected_client(server, namespaces=["/test", "/chat"]) as (client, _):
        # An event without a handler gets no ack at all, so an ack proves that
        # on_event registered my_function_handler on /test.
        assert ack_args(client, "my event", {"x": 1}, namespace="/test") == ()
        assert ack_args(client, "my event", {"y": 2}, namespace="/chat") == ()
    out = server.stdout()
    assert "received json: {'y': 2}" in out
    assert "{'x': 1}" not in out


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_return_values_become_ack_arguments(serve: Callable[..., Server], transport: str) -> None:
    server = serve("acks")
    with connected_client(server, transport=transport) as (client, _):
        # "the client callback function will be invoked with two arguments, 'one' and 2"
        assert ack_args(client, "my event", {"data": 1}) == ("one", 2)
        # "If a handler function does not return any values, the client callback
        # function will be invoked without arguments."
        assert ack_args(client, "my silent event", {"data": 2}) == ()
        assert ack_args(client, "my echo", {"data": 3}) == ({"data": 3},)
        assert client.call("my event", {"data": 4}, timeout=10) == ("one", 2)
    out = server.stdout()
    assert "received json: {'data': 1}" in out
    assert "received json: {'data': 2}" in out
