"""The notes app's own test suite: Flask's test client logs in, Flask-SocketIO's connects."""

import pytest

from flask_socketio.test_client import SocketIOTestClient
from tests.apps_in_the_wild.notes.app import NOTES, app, socketio


@pytest.fixture(autouse=True)
def empty_boards():
    NOTES.clear()
    yield
    NOTES.clear()


def login(user):
    http = app.test_client()
    assert http.post("/login", data={"user": user}).get_json() == {"user": user}
    return http


def connect(user):
    http = login(user)
    client = SocketIOTestClient(app, socketio, namespace="/notes", flask_test_client=http)
    assert client.is_connected("/notes")
    return http, client


def test_anonymous_is_refused():
    client = socketio.test_client(app, namespace="/notes")
    assert not client.is_connected("/notes")


def test_hello_names_the_user():
    _, client = connect("alice")
    assert client.get_received("/notes") == [
        {"name": "hello", "args": [{"user": "alice"}], "namespace": "/notes"}]


def test_add_reaches_the_board_and_the_http_api():
    http, alice = connect("alice")
    _, bob = connect("bob")
    assert alice.emit("open", "todo", callback=True, namespace="/notes") == []
    assert bob.emit("open", "todo", callback=True, namespace="/notes") == []
    alice.get_received("/notes")
    bob.get_received("/notes")

    count = alice.emit("add", {"board": "todo", "text": "milk"}, callback=True,
                       namespace="/notes")
    assert count == 1
    note = {"board": "todo", "text": "milk", "by": "alice"}
    expected = [{"name": "added", "args": [note], "namespace": "/notes"}]
    assert alice.get_received("/notes") == expected
    assert bob.get_received("/notes") == expected
    assert http.get("/boards/todo").get_json() == [note]
    assert bob.emit("open", "todo", callback=True, namespace="/notes") == [note]


def test_typing_skips_the_typist():
    _, alice = connect("alice")
    _, bob = connect("bob")
    for client in (alice, bob):
        client.emit("open", "todo", namespace="/notes")
        client.get_received("/notes")
    alice.emit("typing", "todo", namespace="/notes")
    assert alice.get_received("/notes") == []
    assert bob.get_received("/notes") == [
        {"name": "typing", "args": ["alice"], "namespace": "/notes"}]


def test_other_boards_hear_nothing():
    _, alice = connect("alice")
    _, carol = connect("carol")
    alice.emit("open", "todo", namespace="/notes")
    carol.emit("open", "ideas", namespace="/notes")
    carol.get_received("/notes")
    alice.emit("add", {"board": "todo", "text": "eggs"}, namespace="/notes")
    assert carol.get_received("/notes") == []
