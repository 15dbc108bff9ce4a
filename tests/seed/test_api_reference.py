"""Doc section "API Reference": the examples of ``join_room`` / ``leave_room``
with the username from the session, ``disconnect()`` of a banned user,
``rooms()``, ``close_room()``, ``on_error(namespace=...)``,
``on_error_default``, ``SocketIO.start_background_task`` and ``SocketIO.sleep``.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
import requests
from seedlib import Server, ack_args, connected_client, cookie_headers, token

pytestmark = pytest.mark.timeout(30)


def login(server: Server, username: str) -> dict[str, str]:
    http = requests.Session()
    http.get(f"{server.url}/login/{username}", timeout=10).raise_for_status()
    return cookie_headers(http)


def test_join_and_leave_with_session_username(serve: Callable[..., Server]) -> None:
    server = serve("api_reference")
    room = "room-" + token()
    alice, bob = "alice-" + token(), "bob-" + token()
    with (
        connected_client(server, headers=login(server, alice)) as (a, a_log),
        connected_client(server, headers=login(server, bob)) as (b, _),
    ):
        a.call("join", {"room": room}, timeout=10)
        b.call("join", {"room": room}, timeout=10)
        b.call("leave", {"room": room}, timeout=10)
        assert [args[0] for args in a_log.wait_for("message", count=3)] == [
            alice + " has entered the room.",
            bob + " has entered the room.",
            bob + " has left the room.",
        ]


def test_rooms_lists_personal_room_and_joined_rooms(serve: Callable[..., Server]) -> None:
    server = serve("api_reference")
    room = "room-" + token()
    with connected_client(server, headers=login(server, "erin")) as (client, _):
        sid = client.get_sid("/")
        assert client.call("my rooms", timeout=10) == [sid]
        client.call("join", {"room": room}, timeout=10)
        assert client.call("my rooms", timeout=10) == sorted([sid, room])
        client.call("leave", {"room": room}, timeout=10)
        assert client.call("my rooms", timeout=10) == [sid]


def test_close_room_removes_everyone(serve: Callable[..., Server]) -> None:
    server = serve("api_reference")
    room = "room-" + token()
    with (
        connected_client(server, headers=login(server, "frank")) as (a, a_log),
        connected_client(server, headers=login(server, "grace")) as (b, _),
    ):
        a.call("join", {"room": room}, timeout=10)
        b.call("join", {"room": room}, timeout=10)
        b.call("close", {"room": room}, timeout=10)
        assert a.call("my rooms", timeout=10) == [a.get_sid("/")]
        assert b.call("my rooms", timeout=10) == [b.get_sid("/")]
        assert [args[0] for args in a_log.received("message")] == [
            "frank has entered the room.",
            "grace has entered the room.",
        ]


def test_banned_user_is_disconnected(serve: Callable[..., Server]) -> None:
    server = serve("api_reference")
    with (
        connected_client(server, headers=login(server, "mallory")) as (mallory, mallory_log),
        connected_client(server, headers=login(server, "heidi")) as (heidi, heidi_log),
    ):
        mallory.send("let me in")
        mallory_log.wait_for("disconnect")
        assert mallory_log.names() == []
        heidi.send("hello")
        assert heidi_log.wait_for("message") == [("hello",)]


def test_error_handlers_from_reference(serve: Callable[..., Server]) -> None:
    server = serve("api_reference")
    data = {"id": token()}
    with connected_client(server, namespaces=["/", "/chat"], headers=login(server, "ivan")) as (
        client,
        _,
    ):
        assert ack_args(client, "my event", data, namespace="/chat") == ()
        assert ack_args(client, "fail", "x", namespace="/chat") == ()
        assert ack_args(client, "fail", "x") == ()
    lines = server.stdout().splitlines()
    assert "received json: " + str(data) in lines
    assert "An error has occurred: chat failure" in lines
    assert "An error has occurred: default failure" in lines


def test_start_background_task_and_sleep(serve: Callable[..., Server]) -> None:
    server = serve("api_reference")
    with connected_client(server, headers=login(server, "judy")) as (client, _):
        assert client.call("background", 14, timeout=10) == 42
