"""Doc section "Receiving Messages": unnamed string and JSON events, named events
with one or several arguments of any JSON/bytes type, namespaces, ``on_event``,
and handler return values delivered to the client's acknowledgement callback.

The documentation's handlers print what they receive; the tests read the
server's stdout. Every payload carries a unique token, since a module's tests
share one server per app.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from seedlib import TRANSPORTS, Server, ack_args, connected_client, simple_client, token

pytestmark = pytest.mark.timeout(30)


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_unnamed_string_message(serve: Callable[..., Server], transport: str) -> None:
    server = serve("receiving_unnamed")
    text = "hello " + token()
    with connected_client(server, transport=transport) as (client, _):
        client.send(text)
        server.wait_for_output("received message: " + text)


def test_unnamed_json_message(serve: Callable[..., Server]) -> None:
    server = serve("receiving_unnamed")
    data = {"user": token(), "tags": [1, 2]}
    with connected_client(server) as (client, _):
        # The ack (empty: the handler returns nothing) is sent after the handler ran.
        assert ack_args(client, "json", data) == ()
    assert "received json: " + str(data) in server.stdout()


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
    mark = token()
    with connected_client(server, transport=transport) as (client, _):
        assert ack_args(client, "my event", "foo", "bar", mark) == ()
    assert "received args: foobar" + mark in server.stdout()


def test_named_event_on_namespace(serve: Callable[..., Server]) -> None:
    server = serve("receiving_namespace")
    data = {"ns": token()}
    with connected_client(server, namespaces=["/test"]) as (client, _):
        assert ack_args(client, "my event", data, namespace="/test") == ()
    assert "received json: " + str(data) in server.stdout()


def test_on_event_registers_handlers(serve: Callable[..., Server]) -> None:
    server = serve("on_event")
    quiet, loud = {"x": token()}, {"y": token()}
    with connected_client(server, namespaces=["/test", "/chat"]) as (client, _):
        # An event without a handler gets no ack at all, so these acks prove that
        # on_event registered both handlers on their namespaces.
        assert ack_args(client, "my event", quiet, namespace="/test") == ()
        assert ack_args(client, "my event", loud, namespace="/chat") == ()
    out = server.stdout()
    assert "received json: " + str(loud) in out
    assert quiet["x"] not in out


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_return_values_become_ack_arguments(serve: Callable[..., Server], transport: str) -> None:
    server = serve("acks")
    mark = token()
    with connected_client(server, transport=transport) as (client, _):
        # "the client callback function will be invoked with two arguments, 'one' and 2"
        assert ack_args(client, "my event", {"data": mark}) == ("one", 2)
        # "If a handler function does not return any values, the client callback
        # function will be invoked without arguments."
        assert ack_args(client, "my silent event", {"silent": mark}) == ()
        assert ack_args(client, "my echo", {"echo": mark}) == ({"echo": mark},)
        assert client.call("my event", {"call": mark}, timeout=10) == ("one", 2)
    out = server.stdout()
    assert "received json: " + str({"data": mark}) in out
    assert "received json: " + str({"silent": mark}) in out
