"""drivers.headers reads a header block as http.client does, within the same limits."""

from __future__ import annotations

import http.client
import io
import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flask_socketio.drivers.headers import BadHeaders, read_headers

TOKEN = st.text(alphabet=string.ascii_letters + string.digits + "-", min_size=1, max_size=20)
VALUE = st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=40)


def block(pairs: list[tuple[str, str]]) -> bytes:
    return b"".join(f"{k}: {v}\r\n".encode("latin-1") for k, v in pairs) + b"\r\nbody"


@given(st.lists(st.tuples(TOKEN, VALUE), max_size=30))
def test_same_answers_as_the_standard_library(pairs: list[tuple[str, str]]) -> None:
    ours = read_headers(io.BytesIO(block(pairs)))
    theirs = http.client.parse_headers(io.BytesIO(block(pairs)))
    for name, _ in pairs:
        for asked in (name, name.lower(), name.upper()):
            assert ours.get(asked) == theirs.get(asked)
    assert ours.items() == [(k, v.strip()) for k, v in theirs.items()]
    assert ours.get("absent-header", "x") == "x"


def test_stops_at_the_blank_line_and_leaves_the_body() -> None:
    rfile = io.BytesIO(b"Content-Type: text/plain\r\nContent-Length: 4\r\n\r\nbody")
    headers = read_headers(rfile)
    assert headers.typeheader == "text/plain"
    assert headers.getheader("content-length") == "4"
    assert rfile.read() == b"body"


def test_first_of_repeated_names_and_delete_removes_all() -> None:
    headers = read_headers(io.BytesIO(b"X-A: 1\r\nx-a: 2\r\nHost: h\r\n\r\n"))
    assert headers["X-A"] == "1"
    assert "x-A" in headers
    del headers["X-a"]
    assert "X-A" not in headers and headers["x-a"] is None
    assert list(headers.headers) == ["Host: h\r\n"]


def test_a_folded_line_continues_the_value() -> None:
    headers = read_headers(io.BytesIO(b"X-Long: one\r\n two\r\n\tthree\r\n\r\n"))
    assert headers.get("x-long") == "one two three"


@pytest.mark.parametrize(
    "raw",
    [
        b"X: " + b"a" * 70000 + b"\r\n\r\n",
        b"".join(b"X-%d: 1\r\n" % i for i in range(101)) + b"\r\n",
        b"no colon here\r\n\r\n",
        b"Space Before : colon\r\n\r\n",
        b": no name\r\n\r\n",
        b" folded first\r\n\r\n",
    ],
    ids=["long-line", "101-headers", "no-colon", "space-before-colon", "no-name", "fold-first"],
)
def test_what_is_not_http_is_refused(raw: bytes) -> None:
    with pytest.raises(BadHeaders):
        read_headers(io.BytesIO(raw))


def test_a_hundred_headers_are_allowed() -> None:
    raw = b"".join(b"X-%d: %d\r\n" % (i, i) for i in range(100)) + b"\r\n"
    assert read_headers(io.BytesIO(raw)).get("x-99") == "99"
