"""The ticker's own test suite, written against the Flask-SocketIO test client."""

import time

import pytest

from tests.apps_in_the_wild.ticker.app import app, socketio


@pytest.fixture
def client():
    client = socketio.test_client(app)
    yield client
    if client.is_connected():
        client.disconnect()


def responses(client):
    return [r["args"][0] for r in client.get_received() if r["name"] == "my_response"]


def test_connect(client):
    assert client.is_connected()
    assert responses(client) == [{"data": "Connected", "count": 0}]


def test_my_event_counts_per_session(client):
    client.get_received()
    client.emit("my_event", {"data": "one"})
    client.emit("my_event", {"data": "two"})
    mine = [r for r in responses(client) if r["data"] != "Server generated event"]
    assert mine == [{"data": "one", "count": 1}, {"data": "two", "count": 2}]


def test_rooms(client):
    other = socketio.test_client(app)
    client.emit("join", {"room": "lobby"})
    assert any(r["data"].startswith("In rooms:") and "lobby" in r["data"]
               for r in responses(client))
    other.get_received()
    other.emit("my_room_event", {"data": "hi lobby", "room": "lobby"})
    assert {"data": "hi lobby", "count": 1} in responses(client)
    assert {"data": "hi lobby", "count": 1} not in responses(other)
    other.disconnect()


def test_ping(client):
    client.get_received()
    client.emit("my_ping")
    assert "my_pong" in [r["name"] for r in client.get_received()]


def test_background_thread_pushes_events(client):
    deadline = time.monotonic() + 10
    ticks = []
    while not ticks and time.monotonic() < deadline:
        socketio.sleep(0.1)
        ticks = [r for r in responses(client) if r["data"] == "Server generated event"]
    assert ticks and ticks[0]["count"] >= 1
