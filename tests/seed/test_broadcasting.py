"""Doc section "Broadcasting": ``emit(..., broadcast=True)`` reaches every client
of the namespace, the sender included, exactly once; the context-free
``socketio.emit()`` / ``socketio.send()`` broadcast from a background task and
from an HTTP route (API reference ``SocketIO.emit``), per namespace.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack

import pytest
import requests
from seedlib import Recorder, Server, connected_client, token

pytestmark = pytest.mark.timeout(30)


def test_broadcast_reaches_every_client_once(serve: Callable[..., Server]) -> None:
    server = serve("broadcasting")
    first, second = {"id": token()}, {"id": token()}
    with ExitStack() as stack:
        clients = [
            stack.enter_context(connected_client(server, transport=transport))
            for transport in ("websocket", "websocket", "polling")
        ]
        sender = clients[0][0]
        # call() returns once the handler has returned, i.e. after its broadcast
        # was queued to everyone; the second broadcast is queued after the first.
        assert sender.call("my event", first, timeout=10) is None
        assert sender.call("my event", second, timeout=10) is None
        for _, recorder in clients:
            assert recorder.wait_for("my response", count=2) == [(first,), (second,)]


def test_broadcast_stays_in_its_namespace(serve: Callable[..., Server]) -> None:
    server = serve("broadcasting")
    data = {"id": token()}
    with (
        connected_client(server, namespaces=["/", "/chat"]) as (sender, sender_log),
        connected_client(server, namespaces=["/chat"]) as (chat_only, chat_log),
    ):
        assert sender.call("my event", data, timeout=10) is None
        assert sender_log.wait_for("my response") == [(data,)]
        # A marker broadcast on /chat, sent after the "/" broadcast.
        requests.get(server.url + "/ping", timeout=10).raise_for_status()
        chat_log.wait_for("ping event", namespace="/chat")
        assert chat_log.names("/chat") == ["ping event"]
        assert sender_log.wait_for("ping event", namespace="/chat") == [({"data": 42},)]


def _wait_all(recorders: list[Recorder], event: str, namespace: str = "/") -> None:
    for recorder in recorders:
        recorder.wait_for(event, namespace=namespace)


def test_socketio_emit_from_background_task(serve: Callable[..., Server]) -> None:
    server = serve("broadcasting")
    with ExitStack() as stack:
        recorders = [
            stack.enter_context(connected_client(server, transport=transport))[1]
            for transport in ("websocket", "polling")
        ]
        assert requests.get(server.url + "/background", timeout=10).text == "started"
        _wait_all(recorders, "some event")
        for recorder in recorders:
            assert recorder.received("some event")[0] == ({"data": 42},)


def test_socketio_emit_from_route_targets_namespace(serve: Callable[..., Server]) -> None:
    server = serve("broadcasting")
    with (
        connected_client(server, namespaces=["/chat"]) as (_, chat_log),
        connected_client(server, namespaces=["/"]) as (root, root_log),
    ):
        assert requests.get(server.url + "/ping", timeout=10).text == "pong"
        assert chat_log.wait_for("ping event", namespace="/chat")[0] == ({"data": 42},)
        # Marker on "/" sent after the /chat emit; nothing of /chat reaches "/".
        mark = {"id": token()}
        root.call("my event", mark, timeout=10)
        root_log.wait_for("my response")
        assert root_log.names("/") == ["my response"]


def test_socketio_send_from_route(serve: Callable[..., Server]) -> None:
    server = serve("broadcasting")
    with connected_client(server) as (_, first), connected_client(server) as (_, second):
        assert requests.get(server.url + "/announce", timeout=10).text == "sent"
        _wait_all([first, second], "message")
        assert first.received("message")[0] == ("announcement",)
        assert second.received("message")[0] == ("announcement",)
