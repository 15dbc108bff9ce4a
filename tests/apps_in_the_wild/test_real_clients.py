"""The apps of this folder served in every async mode, driven by python-socketio clients.

Each app runs as ``python -m tests.serve tests.apps_in_the_wild.APP.app:app``
(a server per app and async mode); every test runs over websocket and over
polling.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable

import pytest
import requests
import socketio

from tests.integration.test_python_client import Recorder

WAIT = 10


@pytest.fixture(params=["websocket", "polling"])
def transport(request) -> str:
    return request.param


@pytest.fixture(scope="module")
def ticker(module_server_factory, async_mode):
    return module_server_factory("tests.apps_in_the_wild.ticker.app:app", async_mode)


@pytest.fixture(scope="module")
def notes(module_server_factory, async_mode):
    return module_server_factory("tests.apps_in_the_wild.notes.app:app", async_mode)


@pytest.fixture(scope="module")
def odd_options(module_server_factory, async_mode):
    return module_server_factory("tests.apps_in_the_wild.odd_options.app:app", async_mode)


def next_matching(recorder: Recorder, event: str, match: Callable[..., bool]) -> tuple:
    """The next `event` whose arguments satisfy `match`, skipping the others."""
    deadline = time.monotonic() + WAIT
    while True:
        args = recorder.get(event, timeout=max(0.01, deadline - time.monotonic()))
        if match(*args):
            return args


def data_is(text: str) -> Callable[[dict], bool]:
    return lambda response: response["data"] == text


def test_ticker_session_rooms_background_and_disconnect(ticker, transport) -> None:
    client = socketio.Client(reconnection=False)
    recorder = Recorder(client, "my_response", "my_pong")
    disconnected = threading.Event()
    client.on("disconnect", lambda *reason: disconnected.set())
    client.connect(ticker.url, transports=[transport], wait_timeout=WAIT)
    try:
        assert client.transport() == transport
        next_matching(recorder, "my_response", data_is("Connected"))
        (tick,) = next_matching(recorder, "my_response", data_is("Server generated event"))
        assert tick["count"] >= 1

        client.emit("my_event", {"data": "one"})
        assert next_matching(recorder, "my_response", data_is("one")) == (
            {"data": "one", "count": 1},)
        client.emit("my_event", {"data": "two"})
        assert next_matching(recorder, "my_response", data_is("two")) == (
            {"data": "two", "count": 2},)

        client.emit("join", {"room": "lobby"})
        (joined,) = next_matching(recorder, "my_response",
                                  lambda r: r["data"].startswith("In rooms:"))
        assert "lobby" in joined["data"].split(": ", 1)[1].split(", ")
        client.emit("my_room_event", {"data": "to the lobby", "room": "lobby"})
        next_matching(recorder, "my_response", data_is("to the lobby"))

        client.emit("my_ping")
        assert recorder.get("my_pong", timeout=WAIT) == ()

        # The server disconnects from the callback of its ack to "Disconnected!".
        client.emit("disconnect_request")
        next_matching(recorder, "my_response", data_is("Disconnected!"))
        assert disconnected.wait(WAIT)
    finally:
        client.disconnect()


def test_ticker_broadcast_reaches_every_transport(ticker) -> None:
    clients, recorders = [], []
    try:
        for transport in ("websocket", "polling"):
            client = socketio.Client(reconnection=False)
            recorders.append(Recorder(client, "my_response"))
            client.connect(ticker.url, transports=[transport], wait_timeout=WAIT)
            clients.append(client)
        clients[1].emit("my_broadcast_event", {"data": "everyone"})
        for recorder in recorders:
            next_matching(recorder, "my_response", data_is("everyone"))
    finally:
        for client in clients:
            client.disconnect()


def test_notes_login_over_http_then_boards(notes, transport) -> None:
    anonymous = socketio.Client(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        anonymous.connect(notes.url, namespaces=["/notes"], transports=[transport],
                          wait_timeout=WAIT)

    clients, recorders = [], []
    try:
        for user in (f"alice-{transport}", f"bob-{transport}"):
            http = requests.Session()
            assert http.post(notes.url + "/login", data={"user": user},
                             timeout=WAIT).json() == {"user": user}
            client = socketio.Client(reconnection=False, http_session=http)
            recorders.append(Recorder(client, "hello", "added", "typing", namespace="/notes"))
            client.connect(notes.url, namespaces=["/notes"], transports=[transport],
                           wait_timeout=WAIT)
            assert recorders[-1].get("hello", timeout=WAIT) == ({"user": user},)
            assert client.call("open", f"board-{transport}", namespace="/notes",
                               timeout=WAIT) == []
            clients.append(client)

        alice, bob = clients
        note = {"board": f"board-{transport}", "text": "milk", "by": f"alice-{transport}"}
        assert alice.call("add", {"board": note["board"], "text": "milk"}, namespace="/notes",
                          timeout=WAIT) == 1
        assert recorders[0].get("added", timeout=WAIT) == (note,)
        assert recorders[1].get("added", timeout=WAIT) == (note,)
        assert requests.get(f"{notes.url}/boards/{note['board']}", timeout=WAIT).json() == [note]

        bob.emit("typing", note["board"], namespace="/notes")
        assert recorders[0].get("typing", timeout=WAIT) == (f"bob-{transport}",)
        assert bob.call("open", note["board"], namespace="/notes", timeout=WAIT) == [note]
        assert recorders[1].empty("typing")
    finally:
        for client in clients:
            client.disconnect()


def test_odd_options_chat(odd_options, transport) -> None:
    heard: queue.Queue = queue.Queue()
    client = socketio.Client(reconnection=False)
    client.on("message", heard.put)
    client.connect(odd_options.url, transports=[transport], wait_timeout=WAIT)
    try:
        client.send("hello")
        assert heard.get(timeout=WAIT) == "hello"
        assert client.call("my event", {"text": "hi"}, timeout=WAIT) == "received"
    finally:
        client.disconnect()
