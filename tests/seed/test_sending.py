"""Doc section "Sending Messages": ``send()`` / ``emit()`` replies to the sender,
``namespace=`` on both, a tuple sent as several arguments, and server-side
acknowledgement callbacks (``emit(..., callback=ack)``).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from seedlib import IS_REFERENCE, TRANSPORTS, Server, ack_args, connected_client, token

pytestmark = pytest.mark.timeout(30)


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_send_bounces_unnamed_message(serve: Callable[..., Server], transport: str) -> None:
    server = serve("sending_bounce")
    text = "bounce " + token()
    with connected_client(server, transport=transport) as (client, recorder):
        client.send(text)
        assert recorder.wait_for("message") == [(text,)]


def test_send_json_bounces_json_event(serve: Callable[..., Server]) -> None:
    server = serve("sending_bounce")
    data = {"id": token(), "nested": {"list": [1, 2, 3]}}
    with connected_client(server) as (client, recorder):
        client.emit("json", data)
        assert recorder.wait_for("json") == [(data,)]


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_emit_replies_with_named_event(serve: Callable[..., Server], transport: str) -> None:
    server = serve("sending_bounce")
    data = {"id": token()}
    with connected_client(server, transport=transport) as (client, recorder):
        client.emit("my event", data)
        assert recorder.wait_for("my response") == [(data,)]


# The documentation: "send() and emit() use the namespace of the incoming message
# by default. A different namespace can be specified with the optional namespace
# argument", replying to the sender. Flask-SocketIO 5.x gives a client a different
# sid on each namespace (Socket.IO protocol 5) and send()/emit() address
# request.sid, the sender's sid on the incoming namespace, so these replies on
# /chat reach nobody there. The tests assert the documented behaviour, expected
# to fail (strictly) against the reference.
NAMESPACE_REPLY_5X = "Flask-SocketIO 5.x: the reply on another namespace reaches nobody"


@pytest.mark.xfail(IS_REFERENCE, reason=NAMESPACE_REPLY_5X, raises=AssertionError, strict=True)
def test_send_and_emit_to_another_namespace(serve: Callable[..., Server]) -> None:
    server = serve("sending_namespace")
    text, data = "to chat " + token(), {"id": token()}
    with connected_client(server, namespaces=["/", "/chat"]) as (client, recorder):
        # The handler's ack is sent after its send()/emit(), on the same
        # connection, so what they delivered is recorded by then.
        assert ack_args(client, "message", text) == ()
        assert ack_args(client, "my event", data) == ()
        assert recorder.names("/") == []
        assert recorder.received("message", namespace="/chat") == [(text,)]
        assert recorder.received("my response", namespace="/chat") == [(data,)]


def test_tuple_is_sent_as_several_arguments(serve: Callable[..., Server]) -> None:
    server = serve("sending_tuple")
    data = {"id": token()}
    with connected_client(server, namespaces=["/", "/chat"]) as (client, recorder):
        client.emit("my tuple event", data)
        assert recorder.wait_for("my response") == [("foo", "bar", data)]


@pytest.mark.xfail(IS_REFERENCE, reason=NAMESPACE_REPLY_5X, raises=AssertionError, strict=True)
def test_tuple_sent_to_another_namespace(serve: Callable[..., Server]) -> None:
    server = serve("sending_tuple")
    data = {"id": token()}
    with connected_client(server, namespaces=["/", "/chat"]) as (client, recorder):
        assert ack_args(client, "my event", data) == ()
        assert recorder.names("/") == []
        assert recorder.received("my response", namespace="/chat") == [("foo", "bar", data)]


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_server_callback_runs_when_client_acknowledges(
    serve: Callable[..., Server], transport: str
) -> None:
    server = serve("sending_callback", fresh=True)
    with connected_client(
        server, transport=transport, replies={"my response": lambda data: None}
    ) as (client, recorder):
        client.emit("my event", {"n": 1})
        assert recorder.wait_for("my response") == [({"n": 1},)]
        server.wait_for_output("message was received!")


def test_server_callback_receives_client_ack_arguments(serve: Callable[..., Server]) -> None:
    server = serve("sending_callback")
    mark = token()
    with connected_client(server, replies={"my response": lambda data: (data["id"], 2)}) as (
        client,
        recorder,
    ):
        client.emit("my event with args", {"id": mark})
        recorder.wait_for("my response")
        server.wait_for_output("client acknowledged with: " + repr((mark, 2)))


def test_handlers_reply_only_to_the_sender(serve: Callable[..., Server]) -> None:
    server = serve("sending_bounce")
    first, second = {"id": token()}, {"id": token()}
    with connected_client(server) as (alice, alice_log), connected_client(server) as (bob, bob_log):
        assert ack_args(alice, "my event", first) == ()
        assert ack_args(bob, "my event", second) == ()
        assert alice_log.wait_for("my response") == [(first,)]
        assert bob_log.wait_for("my response") == [(second,)]
