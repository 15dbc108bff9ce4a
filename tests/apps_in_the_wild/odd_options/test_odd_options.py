"""The chat room's own test suite (Flask-SocketIO test client).

The app is imported by a fixture, not at the top: were its constructor to raise
on the options it passes, these tests must fail, not the collection.
"""

import importlib

import pytest


@pytest.fixture
def chat():
    return importlib.import_module("tests.apps_in_the_wild.odd_options.app")


def test_message_is_broadcast(chat):
    alice = chat.socketio.test_client(chat.app)
    bob = chat.socketio.test_client(chat.app)
    alice.send("hello")
    assert bob.get_received() == [{"name": "message", "args": "hello", "namespace": "/"}]
    assert alice.get_received() == [{"name": "message", "args": "hello", "namespace": "/"}]


def test_custom_event_acks_and_broadcasts(chat):
    alice = chat.socketio.test_client(chat.app)
    bob = chat.socketio.test_client(chat.app)
    assert alice.emit("my event", {"text": "hi"}, callback=True) == "received"
    (received,) = bob.get_received()
    assert received["name"] == "my response" and received["args"][0]["text"] == "hi"
