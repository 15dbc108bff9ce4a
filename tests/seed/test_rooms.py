"""Doc section "Rooms": ``join_room()`` / ``leave_room()`` with ``send(...,
room=room)``, ``to=``, the personal room named after ``request.sid``, and the
context-free ``socketio.emit()`` / ``socketio.send()`` with a room.

Room names are unique per test; the module's tests share one server.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
import requests
from seedlib import TRANSPORTS, Server, connected_client, token

pytestmark = pytest.mark.timeout(30)


def messages(recorder_events: list[tuple[object, ...]]) -> list[object]:
    return [args[0] for args in recorder_events]


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_join_and_leave_announce_to_the_room_only(
    serve: Callable[..., Server], transport: str
) -> None:
    server = serve("rooms")
    lobby, kitchen = "lobby-" + token(), "kitchen-" + token()
    with (
        connected_client(server, transport=transport) as (alice, alice_log),
        connected_client(server, transport=transport) as (bob, bob_log),
        connected_client(server, transport=transport) as (carol, carol_log),
    ):
        # call() returns after the handler ran: its send() is queued by then.
        alice.call("join", {"username": "alice", "room": lobby}, timeout=10)
        bob.call("join", {"username": "bob", "room": lobby}, timeout=10)
        carol.call("join", {"username": "carol", "room": kitchen}, timeout=10)
        assert messages(alice_log.wait_for("message", count=2)) == [
            "alice has entered the room.",
            "bob has entered the room.",
        ]
        assert messages(bob_log.wait_for("message")) == ["bob has entered the room."]
        assert messages(carol_log.wait_for("message")) == ["carol has entered the room."]

        alice.call("leave", {"username": "alice", "room": lobby}, timeout=10)
        assert messages(bob_log.wait_for("message", count=2)) == [
            "bob has entered the room.",
            "alice has left the room.",
        ]
        # Markers sent after everything above: alice (who left before the
        # announcement) and carol (another room) got nothing more.
        alice.call("join", {"username": "alice", "room": kitchen}, timeout=10)
        assert messages(alice_log.wait_for("message", count=3)) == [
            "alice has entered the room.",
            "bob has entered the room.",
            "alice has entered the room.",
        ]
        assert messages(carol_log.wait_for("message", count=2)) == [
            "carol has entered the room.",
            "alice has entered the room.",
        ]


def test_emit_to_room_with_to_argument(serve: Callable[..., Server]) -> None:
    server = serve("rooms")
    room = "to-" + token()
    with (
        connected_client(server) as (alice, alice_log),
        connected_client(server) as (bob, bob_log),
        connected_client(server) as (carol, carol_log),
    ):
        alice.call("join", {"username": "alice", "room": room}, timeout=10)
        bob.call("join", {"username": "bob", "room": room}, timeout=10)
        # carol is not in the room but sends to it: she does not receive it.
        carol.call("shout", {"room": room, "message": "hi room"}, timeout=10)
        assert alice_log.wait_for("shout") == [("hi room",)]
        assert bob_log.wait_for("shout") == [("hi room",)]
        carol.call("join", {"username": "carol", "room": room}, timeout=10)
        carol_log.wait_for("message")
        assert carol_log.names() == ["message"]


def test_personal_room_is_the_sid(serve: Callable[..., Server]) -> None:
    server = serve("rooms")
    with (
        connected_client(server) as (alice, alice_log),
        connected_client(server) as (bob, bob_log),
    ):
        bob_sid = bob.call("my sid", timeout=10)
        # request.sid is the sid the client got for the namespace.
        assert bob_sid == bob.get_sid("/")
        assert alice.call("my sid", timeout=10) == alice.get_sid("/") != bob_sid
        alice.call("whisper", {"sid": bob_sid, "message": "psst"}, timeout=10)
        assert bob_log.wait_for("whisper") == [("psst",)]
        # Marker: alice's own room gets a message after the whisper.
        alice.call("whisper", {"sid": alice.get_sid("/"), "message": "self"}, timeout=10)
        assert alice_log.wait_for("whisper") == [("self",)]


def test_context_free_emit_and_send_to_room(serve: Callable[..., Server]) -> None:
    server = serve("rooms")
    room, other = "notify-" + token(), "other-" + token()
    with (
        connected_client(server) as (alice, alice_log),
        connected_client(server, transport="polling") as (bob, bob_log),
    ):
        alice.call("join", {"username": "alice", "room": room}, timeout=10)
        bob.call("join", {"username": "bob", "room": other}, timeout=10)
        assert requests.get(f"{server.url}/notify/{room}", timeout=10).text == "ok"
        assert alice_log.wait_for("notice") == [({"room": room},)]
        assert messages(alice_log.wait_for("message", count=2))[-1] == "notice for " + room
        requests.get(f"{server.url}/notify/{other}", timeout=10).raise_for_status()
        assert bob_log.wait_for("notice") == [({"room": other},)]
        assert bob_log.names() == ["message", "notice", "message"]
