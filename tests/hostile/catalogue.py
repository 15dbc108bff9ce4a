"""The catalogue of hostile input (docs/security.md), as data.

Each entry says what is sent, over which transport and protocol generation,
and the answer the server must give, written as a short string:

- ``400/3``: HTTP 400 with the Engine.IO error body ``{"code":3,...}``; ``413``,
  ``431``, ...: that HTTP status; ``no answer``: the connection closed without one;
- ``101 open`` / ``101 close 1000``: the upgrade was answered, then the first frame;
- after a request made on a session (``{sid}`` in it): the session's state
  once answered, ``open`` (it still answers an echo) or ``closed``;
- on a websocket: ``open``, ``close <code>`` (the close frame the server sent),
  ``eof`` (the socket closed without one) or ``silent`` (nothing, in time);
- ``nonstandard-json`` is added when anything the server sent holds NaN or
  Infinity, which no JSON parser but Python's accepts.

Alternatives are separated by ``|``, ``*`` matches anything. Scenarios
(floods, slow readers, slowloris) are functions that return their answer.

``python -m tests.hostile.report`` prints what the server answers and logs
today for each entry, and writes the tables of docs/security.md.
"""

from __future__ import annotations

import fnmatch
import json
import re
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import socketio

from tests.hostile.clients import (
    TIMEOUT,
    Polling,
    Raw,
    WebSocket,
    http,
    request,
    upgrade_headers,
)
from tests.wire import v3_binary_payload, wait_for_log, ws_frame

APP = "tests.hostile.app:app"
MODES = ("threading", "eventlet", "gevent", "gevent-websocket")
MAX_BUFFER = 1_000_000  # the default max_http_buffer_size
PH = '{"_placeholder":true,"num":0}'
ISSUE = "issue 12"


@dataclass(frozen=True)
class Entry:
    """One kind of hostile input and the answer it must get."""

    id: str
    group: str
    what: str  # what is sent, for the docs
    transport: str  # http, polling, websocket, tcp
    eio: int | None
    send: Any  # bytes (an HTTP request), tuple (websocket messages) or a scenario
    expect: str | dict[str, str]  # per async mode where they differ
    log: str | dict[str, str] | None  # a regex the log must gain (per mode); None: no line due
    xfail: str | dict[str, str] | None = None  # why today's answer is wrong (per mode)
    timeout: float = TIMEOUT

    def expected(self, mode: str) -> str:
        return self.expect if isinstance(self.expect, str) else self.expect[mode]

    def log_line(self, mode: str) -> str | None:
        return self.log.get(mode) if isinstance(self.log, dict) else self.log

    def wrong_today(self, mode: str) -> str | None:
        """Why the server answers this wrongly today in `mode` (issue 12), if it does."""
        return self.xfail.get(mode) if isinstance(self.xfail, dict) else self.xfail


def matches(expected: str, observed: str) -> bool:
    return any(fnmatch.fnmatchcase(observed, alt.strip()) for alt in expected.split("|"))


# -- running an entry ---------------------------------------------------------------


@dataclass
class Context:
    """What an entry runs against; `close` ends what it opened."""

    server: Any  # tests.conftest.LiveServer
    mode: str
    bystander: socketio.Client
    cleanups: list[Callable[[], None]] = field(default_factory=list)

    @property
    def port(self) -> int:
        return self.server.port

    def ws(self, eio: int = 4, **options: Any) -> WebSocket:
        client = WebSocket(self.port, eio, **options)
        self.cleanups.append(client.close)
        return client

    def polling(self, eio: int = 4, **options: Any) -> Polling:
        return Polling(self.port, eio, **options)

    def stats(self) -> dict[str, int]:
        return self.bystander.call("stats", timeout=TIMEOUT)

    def log_until_now(self, since: int) -> str:
        """The server log from `since` up to now: a request with a unique EIO
        value leaves a line, and once it is there every line of what was
        answered before has been written."""
        mark = f"mark-{time.monotonic_ns()}"
        http(self.port, get(f"EIO={mark}&transport=polling"))
        tail = wait_for_log(self.server, mark, since=since)
        return tail[: tail.index(mark)]

    def settle_log(self, quiet: float = 0.1, timeout: float = 1.0) -> None:
        """Wait until the log has not grown for `quiet` seconds (at most `timeout`)."""
        deadline = time.monotonic() + timeout
        size, since = len(self.server.log()), time.monotonic()
        while time.monotonic() < deadline and time.monotonic() - since < quiet:
            time.sleep(0.02)
            if len(self.server.log()) != size:
                size, since = len(self.server.log()), time.monotonic()

    def unharmed(self) -> None:
        """The server runs, the bystander is served, and a new client gets in."""
        assert self.server.proc.poll() is None, "the server process died"
        assert self.bystander.call("echo", "alive", timeout=TIMEOUT) == "alive"
        fresh = socketio.Client(reconnection=False)
        fresh.connect(self.server.url, transports=["websocket"], wait_timeout=TIMEOUT)
        try:
            assert fresh.call("echo", "new", timeout=TIMEOUT) == "new"
        finally:
            fresh.disconnect()

    def close(self) -> None:
        while self.cleanups:
            try:
                self.cleanups.pop()()
            except OSError:
                pass


def run(entry: Entry, ctx: Context) -> tuple[str, str]:
    """Run an entry: the server's answer, and what the server logged meanwhile."""
    since = len(ctx.server.log())
    try:
        answer = observe(entry, ctx)
    finally:
        ctx.close()
        ctx.log_until_now(since)  # the next entry's log starts after this one's
    if entry.wrong_today(ctx.mode):
        # Today's wrong answers may log a traceback after the answer (the
        # WSGI server logs an escaped exception once it has responded): let
        # it land here rather than in the next entry's log.
        ctx.settle_log()
    pattern = entry.log_line(ctx.mode)
    right = matches(entry.expected(ctx.mode), answer)
    if right and pattern and not re.search(pattern, ctx.server.log()[since:]):
        # A few lines follow the answer (a close frame goes out, then the
        # line): give them a moment.
        _wait(lambda: re.search(pattern, ctx.server.log()[since:]) is not None, 1)
    return answer, ctx.server.log()[since:]


def observe(entry: Entry, ctx: Context) -> str:
    """Send the entry's input; return the server's answer."""
    if callable(entry.send):
        return entry.send(ctx)
    if entry.transport == "websocket":
        client = ctx.ws(entry.eio)
        client.send(*entry.send)
        return client.state(entry.timeout) + _nonstandard(client.received)
    data: bytes = entry.send
    if b"{sid}" not in data:
        return http(ctx.port, data, entry.timeout).answer()
    session = ctx.polling(entry.eio)
    answer = http(ctx.port, data.replace(b"{sid}", session.sid.encode()), entry.timeout).answer()
    state = session.state()
    return f"{answer} {state}" + _nonstandard(session.received)


def _nonstandard(received: list) -> str:
    """' nonstandard-json' if a message the server sent holds NaN or Infinity."""

    def refuse(name: str) -> None:
        raise ValueError(name)

    for message in received:
        text = message.decode("utf-8", "replace") if isinstance(message, bytes) else message
        start = text.find("[")
        if start < 0:
            continue
        try:
            json.loads(text[start:], parse_constant=refuse)
        except ValueError as exc:
            if str(exc) in ("NaN", "Infinity", "-Infinity"):
                return " nonstandard-json"
    return ""


# -- builders ---------------------------------------------------------------------


def get(query: str, *headers: str, method: str = "GET") -> bytes:
    return request(method, query, headers=headers)


def post(query: str, body: bytes, *headers: str) -> bytes:
    return request("POST", query, body, headers)


def session_post(eio: int, body: bytes | str, *headers: str, extra: str = "") -> bytes:
    """A POST to a joined polling session of generation `eio`."""
    data = body.encode() if isinstance(body, str) else body
    return post(f"EIO={eio}&transport=polling&sid={{sid}}{extra}", data, *headers)


def masked(head: int, payload: bytes = b"", **options: Any) -> Raw:
    return Raw(ws_frame(head, payload, **options))


def nested(depth: int, inner: str) -> str:
    return "[" * depth + inner + "]" * depth


# -- scenarios ----------------------------------------------------------------------


def _flood(flooder: WebSocket, room: str, size: int, count: int) -> bool:
    """Have `flooder` send `count` messages to `room`; False if its handler
    did not come back (ack) in time."""
    try:
        flooder.call("flood", room, size, count)
    except TimeoutError:
        return False
    return True


def slow_reader_in_room(ctx: Context) -> str:
    """A websocket client in a room stops reading while the room is flooded, in
    rounds that a reading client takes in its stride (50 x 64 KiB, less than the
    queue bound and the socket buffers), until the slow one is far behind."""
    rounds, per_round = 8, 50
    slow = ctx.ws(sockopt=((socket.SOL_SOCKET, socket.SO_RCVBUF, 4096),))
    slow.call("join", "slow-room")
    received = 0
    lock = threading.Lock()

    def on_message(data: str) -> None:
        nonlocal received
        with lock:
            received += 1

    ctx.bystander.on("room_msg", on_message)
    ctx.cleanups.append(lambda: ctx.bystander.on("room_msg", lambda data: None))
    ctx.bystander.call("join", "slow-room", timeout=TIMEOUT)
    flooder = ctx.ws()
    for sent in range(per_round, rounds * per_round + 1, per_round):
        if not _flood(flooder, "slow-room", 65536, per_round):
            return "emitter blocked"
        if not _wait(lambda want=sent: received >= want):
            return f"room starved ({received} of {sent})"
    return "room served, slow " + slow.wait_for(lambda text: False, 10)


def idle_poller_in_room(ctx: Context) -> str:
    """A polling client in a room never polls while the room is flooded."""
    idle = ctx.polling()
    idle.post(idle.payload('421["join","idle-room"]'))
    idle.wait_for(lambda packet: packet.startswith("431"))
    returned = _flood(ctx.ws(), "idle-room", 10, 150)
    return f"emitter {'returned' if returned else 'blocked'}, idle session {idle.state()}"


def namespace_flood(ctx: Context) -> str:
    """CONNECT to 2,000 namespaces that do not exist, in one write."""
    client = ctx.ws()
    client.send(*(masked(0x81, f"40/ns{i},".encode()) for i in range(2000)))
    state = client.state()
    refused = sum(1 for m in client.received if re.match(rb'44/ns\d+,\{"message":"Invalid', m))
    return f"{refused} refused, {state}"


def room_flood(ctx: Context) -> str:
    """Join 5,000 rooms through the app's join event, then leave by disconnecting."""
    before = ctx.stats()["memberships"]
    client = ctx.ws()
    client.send(*(masked(0x81, f'42["join","flood-{i}"]'.encode()) for i in range(5000)))
    state = client.state()
    rooms = client.call("join", "flood-0")[0] - 1  # less its own sid's room
    client.close()
    left = _wait(lambda: ctx.stats()["memberships"] <= before)
    return f"in {rooms} rooms, {state}, " + ("released" if left else "kept after disconnect")


def abandoned_handshakes(ctx: Context) -> str:
    """Open 100 polling sessions and 10 websockets, and never join a namespace."""
    before = ctx.stats()["sessions"]
    for _ in range(100):
        Polling(ctx.port, connect=False)
    sockets = [ctx.ws(connect=False) for _ in range(10)]
    ends = {ws.wait_for(lambda text: False, 10) for ws in sockets}
    reaped = _wait(lambda: ctx.stats()["sessions"] <= before, 10)
    return f"websockets {'/'.join(sorted(ends))}, polling {'reaped' if reaped else 'kept'}"


def slowloris_headers(ctx: Context) -> str:
    """20 connections each send half a request's headers, then nothing."""
    for _ in range(20):
        sock = socket.create_connection(("127.0.0.1", ctx.port), timeout=TIMEOUT)
        ctx.cleanups.append(sock.close)
        for byte in b"GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\nX-Slow: ":
            sock.send(bytes([byte]))
    ctx.unharmed()  # while they hang
    return "held, others served"


def slow_post_body(ctx: Context) -> str:
    """A POST that announces 100 bytes, sends a complete packet (21 bytes) and
    then nothing; later the client goes away."""
    session = ctx.polling()
    sock = socket.create_connection(("127.0.0.1", ctx.port), timeout=TIMEOUT)
    ctx.cleanups.append(sock.close)
    body = b'420["echo","partial"]'
    data = session_post(4, body, "Content-Length: 100")
    sock.sendall(data.replace(b"{sid}", session.sid.encode()))
    state = session.state()
    ctx.unharmed()  # while it hangs
    sock.close()
    cut = session.wait_for(lambda packet: packet == '430["partial"]')
    return f"held, session {state}; cut off: " + ("body handled" if cut == "found" else cut)


def duplicate_ack(ctx: Context) -> str:
    """The server asks (emit with a callback); the client acks twice."""
    client = ctx.ws()
    client.send('42["ask"]')
    client.wait_for(lambda text: text.startswith(b"42") and b'"question"' in text)
    ack_id = re.match(rb"42(\d+)", client.received[-1]).group(1).decode()
    client.send(f'43{ack_id}["first"]', f'43{ack_id}["second"]')
    state = client.state()  # both acks were read by now; callbacks run on their own

    def taken() -> int:
        return len(client.call("answers")[0])

    _wait(lambda: taken() > 0)
    return f"{taken()} of 2 acks taken, {state}"


def second_get(ctx: Context) -> str:
    """Two long-polling GETs at once on one session."""
    session = ctx.polling()
    answers: list[str] = []
    threads = [threading.Thread(target=lambda: answers.append(session.get().answer()))
               for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT)
    return f"{', '.join(sorted(answers))} {session.state()}"


def upgrade_bad_probe(ctx: Context) -> str:
    """Upgrade a polling session but send `2hello` instead of `2probe`."""
    session = ctx.polling()
    client = ctx.ws(upgrade=session.sid)
    client.send("2hello")
    ended = client.wait_for(lambda text: False)
    return f"websocket {ended}, polling {session.state()}"


def polling_after_upgrade(ctx: Context) -> str:
    """After a completed upgrade, a polling GET and a second websocket on the same sid."""
    session = ctx.polling()
    client = ctx.ws(upgrade=session.sid)
    client.send("2probe")
    client.wait_for(lambda text: text == b"3probe")
    client.send("5")
    answer = session.get().answer()
    again = http(ctx.port, get(session.query(transport="websocket"), *upgrade_headers()))
    return f"GET {answer}, second websocket {again.answer()}, websocket {client.state()}"


def _wait(condition: Callable[[], bool], timeout: float = TIMEOUT) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


# -- the catalogue ------------------------------------------------------------------

Q4, Q3 = "EIO=4&transport=polling", "EIO=3&transport=polling"
WS4 = "EIO=4&transport=websocket"
EVIL = "Origin: http://evil.example"
SESSION_Q4 = "EIO=4&transport=polling&sid={sid}"
NO_LOG_LINE = f"{ISSUE}: refused without a log line"
GW_TYPEERROR = (f"{ISSUE}: gevent-websocket refuses it, then fails writing its answer "
                "(TypeError traceback)")


def per_mode(ours: Any, gevent_websocket: Any) -> dict[str, Any]:
    """One value for the modes where our code answers upgrades, another for
    gevent-websocket's handler (None: no value there)."""
    values = {**dict.fromkeys(MODES[:3], ours), "gevent-websocket": gevent_websocket}
    return {mode: value for mode, value in values.items() if value is not None}


def _entries() -> list[Entry]:
    e: list[Entry] = []

    def add(id: str, group: str, what: str, transport: str, eio: int | None, send: Any,
            expect: str | dict[str, str], log: str | None, **options: Any) -> None:
        e.append(Entry(id, group, what, transport, eio, send, expect, log, **options))

    # Handshake and query: answered by the Engine.IO layer before any session exists.
    g = "handshake"
    add("eio-missing", g, "a handshake without `EIO`", "http", None,
        get("transport=polling"), "400/5", "unsupported protocol version")
    add("eio-unknown", g, "`EIO=5`", "http", None, get("EIO=5&transport=polling"), "400/5",
        "unsupported protocol version")
    add("eio-garbage", g, "`EIO=abc`", "http", None, get("EIO=abc&transport=polling"), "400/5",
        "unsupported protocol version")
    add("transport-missing", g, "no `transport`", "http", 4, get("EIO=4"), "400/0",
        "unknown or disabled transport")
    add("transport-unknown", g, "`transport=flashsocket`", "http", 4,
        get("EIO=4&transport=flashsocket"), "400/0", "unknown or disabled transport")
    add("sid-unknown-get", g, "a GET with a sid that never existed", "http", 4,
        get(Q4 + "&sid=nope"), "400/1", "unknown session id")
    add("sid-unknown-post", g, "a POST of `40` with a sid that never existed", "http", 4,
        post(Q4 + "&sid=nope", b"40"), "400/1", "unknown session id")
    add("sid-other-generation", g, "a GET with `EIO=3` and the sid of an EIO=4 session",
        "http", 4, get("EIO=3&transport=polling&sid={sid}"), "400/1 open", "unknown session id")
    add("handshake-post", g, "a handshake by POST", "http", 4, post(Q4, b"40"), "400/2",
        "handshake")
    add("handshake-put", g, "a handshake by PUT", "http", 4, get(Q4, method="PUT"), "400/2",
        "handshake")
    add("method-delete", g, "DELETE on a session", "http", 4,
        get(SESSION_Q4, method="DELETE"), "400/3 open", "(?i)method|DELETE")

    # Websocket upgrade requests. gevent-websocket's handler answers an upgrade
    # itself before the application sees it: its refusals are its own, and
    # ours can only come as a close after its 101.
    g = "upgrade"
    add("websocket-no-upgrade", g, "`transport=websocket` on a plain GET", "http", 4, get(WS4),
        "400/3", "(?i)upgrade")
    add("upgrade-no-key", g, "an upgrade without `Sec-WebSocket-Key`", "http", 4,
        get(WS4, "Connection: Upgrade", "Upgrade: websocket", "Sec-WebSocket-Version: 13"),
        per_mode("400/3", "400"), "(?i)Sec-WebSocket-Key|upgrade",
        xfail=per_mode(None, GW_TYPEERROR))
    add("upgrade-bad-key", g, "`Sec-WebSocket-Key: not base64!` (must be 16 bytes in base64)",
        "http", 4, get(WS4, *upgrade_headers(key="not base64!")), per_mode("400/3", "400"),
        "Sec-WebSocket-Key",
        xfail=per_mode(None,
                       f"{ISSUE}: gevent-websocket raises binascii.Error on it (500, traceback)"))
    add("upgrade-non-ascii-key", g, "`Sec-WebSocket-Key` holding the bytes FF FE", "http", 4,
        get(WS4, *upgrade_headers(key="\xff\xfeAAAAAAAAAAAAAAAAAAAAAA==")),
        per_mode("400/3", "400"), "Sec-WebSocket-Key",
        xfail=per_mode(None, f"{ISSUE}: gevent-websocket raises on it (500, traceback)"))
    add("upgrade-bad-version", g, "`Sec-WebSocket-Version: 12` (13 is the only version)",
        "http", 4, get(WS4, *upgrade_headers(version="12")), per_mode("400/3|426", "400"),
        "(?i)version",
        xfail=per_mode(None, GW_TYPEERROR))
    add("upgrade-not-websocket", g, "`Upgrade: h2c` with `transport=websocket`", "http", 4,
        get(WS4, "Connection: Upgrade", "Upgrade: h2c",
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=="),
        "400/3", "(?i)upgrade")
    add("upgrade-unknown-sid", g, "an upgrade for a sid that never existed", "http", 4,
        get(WS4 + "&sid=nope", *upgrade_headers()), per_mode("400/1", "101 close*"),
        "unknown session id")
    add("upgrade-bad-probe", g, "an upgrade that sends `2hello` instead of `2probe`",
        "websocket", 4, upgrade_bad_probe, "websocket close 1000, polling open",
        "(?i)probe|failed.*upgrade")
    add("upgrade-twice", g, "after an upgrade: a polling GET, and a second websocket on the "
        "same sid", "websocket", 4, polling_after_upgrade,
        "GET 400/3, second websocket 101 close*, websocket open", "(?i)upgrade")

    # Cross-origin requests.
    g = "origin"
    add("origin-polling", g, "a handshake from `Origin: http://evil.example`", "http", 4,
        get(Q4, EVIL), "400/3", "refused origin 'http://evil.example'")
    add("origin-websocket", g, "a websocket handshake from that origin", "http", 4,
        get(WS4, EVIL, *upgrade_headers()),
        per_mode("400/3", "101 close*"),
        "refused origin")
    add("origin-preflight", g, "a CORS preflight (OPTIONS) from that origin", "http", 4,
        get(Q4, EVIL, "Access-Control-Request-Method: POST", method="OPTIONS"), "400/3",
        "refused origin")
    add("origin-null", g, "`Origin: null` (a sandboxed frame, a file: page)", "http", 4,
        get(Q4, "Origin: null"), "400/3", "refused origin 'null'")
    add("origin-on-session", g, "a POST to a joined session from that origin", "http", 4,
        session_post(4, '42["echo","x"]', EVIL), "400/3 open", "refused origin")

    # JSONP (EIO=3 only): `j` is echoed into JavaScript.
    g = "jsonp"
    add("jsonp-script-index", g, "`j=alert(1)`", "http", 3, get(Q3 + "&j=alert(1)"), "400/3",
        "refused JSONP index")
    add("jsonp-long-index", g, "`j=123456789` (nine digits)", "http", 3,
        get(Q3 + "&j=123456789"), "400/3", "refused JSONP index")
    add("jsonp-empty-index", g, "`j=` (empty)", "http", 3, get(Q3 + "&j="), "400/3",
        "refused JSONP index")
    add("jsonp-on-eio4", g, "`j=0` with `EIO=4`", "http", 4, get(Q4 + "&j=0"), "400/3",
        "refused JSONP index")
    add("jsonp-post-not-form", g, "a JSONP POST whose body is not `d=...`", "http", 3,
        session_post(3, "4:1:6", extra="&j=0"), "400/3 closed", "malformed payload")
    add("jsonp-post-two-fields", g, "a JSONP POST with two `d` fields", "http", 3,
        session_post(3, "d=1:6&d=1:6", extra="&j=0"), "400/3 closed", "malformed payload")

    # HTTP itself: answered by the WSGI server, before our code runs.
    g = "http"
    add("header-huge", g, "one header of 100,000 bytes", "http", 4,
        get(Q4, "X-Junk: " + "a" * 100_000), "4*", None)
    add("header-many", g, "300 headers", "http", 4,
        get(Q4, *(f"X-Junk-{i}: a" for i in range(300))),
        {"threading": "431", "eventlet": "431", "gevent": "400", "gevent-websocket": "400"},
        None, xfail={"gevent-websocket": f"{ISSUE}: gevent-websocket's handler prints a "
                     "traceback for it (an HTTPException is not a ValueError to pywsgi)"})
    add("request-line-huge", g, "a request line of 100,000 bytes", "http", 4,
        get(Q4 + "&x=" + "a" * 100_000), "4*", None)
    add("content-length-garbage", g, "`Content-Length: abc` on a POST", "http", 4,
        session_post(4, b"", "Content-Length: abc"),
        {"threading": "400/3 open", **dict.fromkeys(MODES[1:], "400 open")},
        {"threading": "Content-Length"})
    add("content-length-negative", g, "`Content-Length: -1` on a POST", "http", 4,
        session_post(4, b"6", "Content-Length: -1"),
        {"threading": "400/3 open", **dict.fromkeys(MODES[1:], "400 open")},
        {"threading": "Content-Length"}, timeout=2)
    add("content-length-huge", g, "`Content-Length: 1000000000000` and a short body", "http", 4,
        session_post(4, b"6", "Content-Length: 1000000000000"), "413/3 open",
        "over max_http_buffer_size")
    add("chunked-over-limit", g, "a chunked POST body of 1,000,001 bytes", "http", 4,
        session_post(4, f"{MAX_BUFFER + 1:x}\r\n".encode() + b"4" + b"x" * MAX_BUFFER
                     + b"\r\n0\r\n\r\n", "Transfer-Encoding: chunked"), "413/3 open",
        "max_http_buffer_size")
    add("smuggling", g, "both `Content-Length: 3` and a chunked body (the chunks win, or 400)",
        "http", 4,
        session_post(4, b"1\r\n6\r\n0\r\n\r\n", "Content-Length: 3",
                     "Transfer-Encoding: chunked"), "200 open|400 open", None)
    add("slowloris-headers", g, "20 connections send half their headers byte by byte, then "
        "nothing", "tcp", 4, slowloris_headers, "held, others served", None)
    add("slow-post-body", g, "a POST announcing 100 bytes that sends a complete 21-byte "
        "packet, then nothing; later the client goes away", "polling", 4, slow_post_body,
        "held, session open; cut off: closed", "POST|request body")
    add("abandoned-handshakes", g, "100 polling and 10 websocket sessions that never join a "
        "namespace", "polling", 4, abandoned_handshakes,
        "websockets close 1000, polling reaped", "no namespace joined in time")

    # Polling POST bodies, EIO=4 (a joined session; its state after the answer).
    g = "polling-v4"

    def body4(id: str, what: str, body: bytes | str, expect: str, log: str | None,
              **options: Any) -> None:
        add(id, g, what, "polling", 4, session_post(4, body), expect, log, **options)

    body4("post-empty", "an empty body", b"", "400/3 closed", "malformed payload")
    body4("post-not-utf8", "bytes that are not UTF-8", b"4\xff\xfe", "400/3 closed",
          "malformed payload")
    body4("post-unknown-type", "`9garbage` (no packet type 9)", "9garbage", "400/3 closed",
          "malformed payload")
    body4("post-empty-packet", "an empty packet between two: `4a` RS RS `4b`", "4a\x1e\x1e4b",
          "400/3 closed", "malformed payload")
    body4("post-bad-base64", "`b!!!` (binary whose base64 does not decode)", "b!!!",
          "400/3 closed", "malformed payload")
    body4("post-open-packet", "`0` (an open packet from the client)", "0", "200 closed",
          "unexpected open packet")
    body4("post-ping-from-client", "`2` (v4 clients do not ping)", "2", "200 closed",
          "unexpected ping packet")
    body4("post-upgrade-packet", "`5` over polling", "5", "200 closed",
          "unexpected upgrade packet")
    body4("post-binary-without-packet", "`bAQID` (an attachment nobody announced)", "bAQID",
          "200 closed", "binary data without a binary packet")
    # 300,000 packets take a second or two of CPU: more on a loaded machine.
    body4("post-packet-flood", "300,000 noop packets in one body", "\x1e".join(["6"] * 300_000),
          "200 open", None, timeout=15.0)
    body4("post-over-limit", "a body of 1,000,001 bytes", "4" + "x" * MAX_BUFFER, "413/3 open",
          "over max_http_buffer_size")
    add("second-get", g, "two long-polling GETs at once", "polling", 4, second_get,
        "200, 400/3 closed", "second GET while one is pending")

    # Polling POST bodies, EIO=3: `<length>:<packet>` text, or the binary (XHR2) form.
    g = "polling-v3"

    def body3(id: str, what: str, body: bytes | str, expect: str, log: str | None,
              **options: Any) -> None:
        add(id, g, what, "polling", 3, session_post(3, body), expect, log, **options)

    body3("v3-post-bad-length", "`abc:40`", "abc:40", "400/3 closed", "malformed payload")
    body3("v3-post-no-colon", "`12345`", "12345", "400/3 closed", "malformed payload")
    body3("v3-post-length-overrun", "`99:42` (99 announced, 2 sent)", "99:42", "400/3 closed",
          "malformed payload")
    body3("v3-post-zero-length", "`0:`", "0:", "400/3 closed", "malformed payload")
    body3("v3-post-long-length", "`123456789:4` (nine digits)", "123456789:4", "400/3 closed",
          "malformed payload")
    body3("v3-post-split-surrogate", "`2:4😀`: the length cuts the emoji's surrogate pair",
          "2:4😀", "400/3 closed", "malformed payload")
    body3("v3-post-bad-base64", "`5:b4!!!`", "5:b4!!!", "400/3 closed", "malformed payload")
    body3("v3-post-binary-bad-marker", "a binary payload whose second marker is 7",
          v3_binary_payload("6") + b"\x07\x01\xff6", "400/3 closed", "malformed payload")
    body3("v3-post-binary-no-ff", "a binary payload whose length never ends (no FF)",
          b"\x00\x01\x02", "400/3 closed", "malformed payload")
    body3("v3-post-binary-long-length", "a binary payload with a nine-digit length",
          b"\x00" + bytes([9] * 9) + b"\xff6", "400/3 closed", "malformed payload")
    body3("v3-post-binary-overrun", "a binary payload announcing 9 bytes and holding 1",
          b"\x00\x09\xff6", "400/3 closed", "malformed payload")
    body3("v3-post-pong-from-client", "`1:3` (v3 clients ping, they do not pong)", "1:3",
          "200 closed", "unexpected pong packet")
    body3("v3-post-over-limit", "a body of 1,000,001 bytes",
          f"{MAX_BUFFER - 6}:4" + "x" * (MAX_BUFFER - 7), "413/3 open",
          "over max_http_buffer_size")

    # Websocket framing (RFC 6455), on a joined EIO=4 session.
    g = "framing"

    def frames(id: str, what: str, items: tuple, expect: str, log: str | None,
               eio: int = 4, **options: Any) -> None:
        add(id, g, what, "websocket", eio, items, expect, log, **options)

    bad = "websocket protocol error"
    frames("ws-unmasked", "an unmasked text frame", (masked(0x81, b"40", masked=False),),
           "close 1002", bad)
    frames("ws-opcode-3", "reserved data opcode 3", (masked(0x83, b"40"),), "close 1002", bad)
    frames("ws-opcode-b", "reserved control opcode 0xB", (masked(0x8B),), "close 1002", bad)
    frames("ws-rsv1", "RSV1 set, no extension agreed", (masked(0xC1, b"40"),), "close 1002", bad)
    frames("ws-rsv2", "RSV2 set", (masked(0xA1, b"40"),), "close 1002", bad)
    frames("ws-rsv3", "RSV3 set", (masked(0x91, b"40"),), "close 1002", bad)
    frames("ws-continuation-first", "a continuation frame with nothing to continue",
           (masked(0x80, b"40"),), "close 1002", bad)
    frames("ws-new-message-in-fragments", "a new text frame before the fragmented one ended",
           (masked(0x01, b"42"), masked(0x81, b"40")), "close 1002", bad)
    frames("ws-long-ping", "a ping of 126 bytes (control frames hold 125 at most)",
           (masked(0x89, b"x" * 126),), "close 1002", bad)
    frames("ws-fragmented-ping", "a ping without FIN (control frames cannot be fragmented)",
           (masked(0x09, b"x"),), "close 1002", bad)
    # Tolerated, as the Node reference (ws) tolerates it: the frame is whole
    # and its length true, only written in more bytes than needed.
    frames("ws-length-not-minimal", "5 bytes announced in the 16-bit length field",
           (masked(0x81, b"42[1]", width=16),), "open", None)
    # Refused at the header as too big, as the Node reference (ws) does.
    frames("ws-length-msb", "a 64-bit length with its top bit set",
           (masked(0x81, length=1 << 63),), "close 1009", "websocket message over")
    frames("ws-text-not-utf8", "a text frame holding FF FE", (masked(0x81, b"4\xff\xfe"),),
           "close 1007", bad)
    frames("ws-text-not-utf8-fragments", "E2 then 28 A1 in two fragments (not UTF-8)",
           (masked(0x01, b"4\xe2"), masked(0x80, b"\x28\xa1")), "close 1007", bad)
    frames("ws-close-one-byte", "a close frame with a one-byte payload",
           (masked(0x88, b"\x03"),), "close 1002", bad)
    frames("ws-close-code-999", "a close frame with code 999", (masked(0x88, b"\x03\xe7"),),
           "close 1002", bad)
    frames("ws-close-code-1005", "a close frame with code 1005 (never sent on the wire)",
           (masked(0x88, b"\x03\xed"),), "close 1002", bad)
    frames("ws-close-reason-not-utf8", "a close frame whose reason is FF",
           (masked(0x88, b"\x03\xe8\xff"),), "close 1007", bad)
    frames("ws-length-2^62", "a binary frame whose header announces 2^62 bytes, then 3 bytes",
           (masked(0x82, b"\x01\x02\x03", length=1 << 62),), "close 1009",
           "websocket message over", timeout=2)
    frames("ws-message-over-limit", "one text frame of 1,000,001 bytes",
           (masked(0x81, b"4" + b"x" * MAX_BUFFER),), "close 1009", "websocket message over")
    frames("ws-fragments-over-limit", "two fragments of 600,000 bytes",
           (masked(0x01, b"4" + b"x" * 600_000), masked(0x80, b"x" * 600_000)),
           "close 1009", "websocket message over")
    frames("v3-ws-message-over-limit", "one text frame of 1,000,001 bytes, EIO=3",
           (masked(0x81, b"4" + b"x" * MAX_BUFFER),), "close 1009", "websocket message over",
           eio=3)
    frames("ws-ping-flood", "1,000 pings in one write", tuple(masked(0x89, b"p") for _ in
           range(1000)), "open", None)
    frames("ws-unsolicited-pong", "a pong nobody asked for", (masked(0x8A, b"x"),), "open", None)

    # Engine.IO packets over a websocket.
    g = "engineio-ws"
    frames("ws-empty-message", "an empty text message", ("",), "close 1000", "malformed packet")
    frames("ws-unknown-packet-type", "`9`", ("9",), "close 1000", "malformed packet")
    frames("ws-bad-base64", "`b!!!`", ("b!!!",), "close 1000", "malformed packet")
    frames("ws-ping-from-client", "`2` (v4 clients do not ping)", ("2",), "close 1000",
           "unexpected ping packet")
    frames("ws-open-from-client", "`0`", ("0",), "close 1000", "unexpected open packet")
    frames("ws-upgrade-packet", "`5` on a websocket-only session", ("5",), "close 1000",
           "unexpected upgrade packet")
    frames("v3-ws-binary-unknown-type", "a binary message whose type byte is 9, EIO=3",
           (b"\x09abc",), "close 1000", "malformed packet", eio=3)
    frames("v3-ws-binary-empty", "an empty binary message, EIO=3", (b"",), "close 1000",
           "malformed packet", eio=3)
    frames("v3-ws-bad-base64", "`b4!!!`, EIO=3", ("b4!!!",), "close 1000", "malformed packet",
           eio=3)
    frames("v3-ws-pong-from-client", "`3` (v3 clients ping, they do not pong)", ("3",),
           "close 1000", "unexpected pong packet", eio=3)

    # Socket.IO packets (both generations share the syntax).
    g = "socketio"

    def sio(id: str, what: str, items: tuple, expect: str, log: str | None, eio: int = 4,
            **options: Any) -> None:
        add(id, g, what, "websocket", eio, items, expect, log, **options)

    malformed = "malformed Socket.IO packet"
    sio("sio-unknown-type", "`48` (no packet type 8)", ("48",), "close 1000", malformed)
    sio("sio-garbage", "`4abc`", ("4abc",), "close 1000", malformed)
    sio("sio-event-object", '`42{}` (an event must be an array)', ("42{}",), "close 1000",
        malformed)
    sio("sio-event-bad-ack-id", '`42abc["x"]`', ('42abc["x"]',), "close 1000", malformed)
    sio("sio-reserved-event", '`42["connect"]`', ('42["connect"]',), "close 1000", malformed)
    sio("sio-empty-event", "`42[]`", ("42[]",), "close 1000", malformed)
    sio("sio-bool-event-name", "`42[true]`", ("42[true]",), "close 1000", malformed)
    sio("sio-null-event-name", "`42[null]`", ("42[null]",), "close 1000", malformed)
    sio("sio-event-no-payload", "`42`", ("42",), "close 1000", malformed)
    sio("sio-truncated-json", '`42["echo"`', ('42["echo"',), "close 1000", malformed)
    sio("sio-trailing-garbage", '`42["echo"]xyz`', ('42["echo"]xyz',), "close 1000", malformed)
    sio("sio-deep-json", "an event nested 100,000 arrays deep", ("42" + "[" * 100_000,),
        "close 1000", malformed)
    sio("sio-nested-json-900", 'an echo of 900 nested arrays: `420["echo",[[[...]]]]`',
        ('420["echo",' + nested(900, "1") + "]",), "open", None)
    sio("sio-ack-without-id", "`43[]`", ("43[]",), "close 1000", malformed)
    sio("sio-connect-not-object", '`40"x"`', ('40"x"',), "close 1000", malformed)
    sio("sio-disconnect-payload", '`41{"a":1}`', ('41{"a":1}',), "close 1000", malformed)
    sio("sio-connect-error-from-client", '`44"x"` (CONNECT_ERROR is the server\'s)',
        ('44"x"',), "close 1000", "client sent CONNECT_ERROR")
    sio("sio-namespace-unterminated", '`42/chat["echo"]` (the namespace runs to the end)',
        ('42/chat["echo"]',), "close 1000", malformed)
    sio("sio-unjoined-namespace", '`42/chat,["echo","x"]` without joining /chat',
        ('42/chat,["echo","x"]',), "open", "which it has not joined")
    sio("sio-namespace-huge", "a CONNECT to a namespace of 100,000 characters",
        ("40/" + "a" * 100_000 + ",",), "open", None)
    # As the reference server does: a client never repeats a CONNECT.
    sio("sio-repeated-connect", "`40` again, once joined", ("40",), "close *|eof", "CONNECT")
    sio("sio-repeated-connect-chat", "`40/chat,` twice", ("40/chat,", "40/chat,"),
        "close *|eof", "CONNECT")
    sio("v3-sio-repeated-connect-root", "`40`, EIO=3 (\"/\" is joined implicitly)", ("40",),
        "open", None, eio=3)
    sio("v3-sio-repeated-connect-chat", "`40/chat,` twice, EIO=3", ("40/chat,", "40/chat,"),
        "close *|eof", "CONNECT", eio=3)
    sio("v3-sio-event-object", "`42{}`, EIO=3", ("42{}",), "close 1000", malformed, eio=3)
    add("post-sio-malformed", g, "`42{}` in a polling POST", "polling", 4,
        session_post(4, "42{}"), "200 closed", malformed)
    add("v3-post-sio-malformed", g, "`42{}` in a polling POST, EIO=3", "polling", 3,
        session_post(3, "4:42{}"), "200 closed", malformed)

    # NaN and Infinity: Python's json reads and writes them, no other JSON does.
    g = "json-numbers"
    # Refused as JavaScript's JSON.parse refuses them; numbers beyond a double
    # are read as infinity (as there) and written back as null (as
    # JSON.stringify writes them).
    for token in ("NaN", "Infinity", "-Infinity"):
        sio(f"sio-{token.lower().replace('-', 'minus-')}", f'`420["echo",{token}]` (not JSON)',
            (f'420["echo",{token}]',), "close *|eof", malformed)
    add("sio-1e999", g, '`420["echo",1e999]` (JSON, but beyond a double: infinity)',
        "websocket", 4, ('420["echo",1e999]',), "open|close *|eof", None)
    add("v3-post-1e999", g, '`420["echo",1e999]` in a polling POST, EIO=3', "polling", 3,
        session_post(3, '17:420["echo",1e999]'), "200 open|200 closed", None)

    # Ack ids.
    g = "acks"
    sio("ack-unknown-id", '`43123["x"]`: an ack nobody asked for', ('43123["x"]',), "open",
        "ack 123 matches no callback")
    sio("ack-huge-id", "an ack with a 15-digit id", ('43999999999999999["x"]',), "open",
        "matches no callback")
    sio("ack-id-too-long", "an ack with an 18-digit id", ('43123456789012345678["x"]',),
        "close 1000", malformed)
    sio("ack-negative-id", '`43-1["x"]`', ('43-1["x"]',), "close 1000", malformed)
    sio("event-ack-id-too-long", "an event with an 18-digit ack id",
        ('42123456789012345678["echo"]',), "close 1000", malformed)
    sio("event-huge-ack-id", "an event with a 15-digit ack id (answered with it)",
        ('42999999999999999["echo",1]',), "open", None)
    add("ack-duplicate", g, "the server asks (emit with a callback); the client acks twice",
        "websocket", 4, duplicate_ack, "1 of 2 acks taken, open", "matches no callback")
    sio("binary-ack-unknown-id", "a binary ack nobody asked for",
        (f"461-5[{PH}]", b"\x01"), "open", "matches no callback")

    # Binary attachments.
    g = "attachments"
    sio("bin-too-many", "11 attachments announced (the cap is 10)",
        ('4511-["echo"' + f",{PH}" * 11 + "]",), "close 1000", malformed)
    sio("bin-zero", '`450-["echo"]`', ('450-["echo"]',), "close 1000", malformed)
    sio("bin-count-huge", '`45999999-["echo"]`', ('45999999-["echo"]',), "close 1000",
        malformed)
    sio("bin-count-not-digits", '`45x-["echo"]`', ('45x-["echo"]',), "close 1000", malformed)
    sio("bin-num-out-of-range", "a placeholder `num` 5 with one attachment",
        ('451-["echo",{"_placeholder":true,"num":5}]', b"\x01"), "close 1000", malformed)
    sio("bin-num-not-int", 'a placeholder `num` "0"',
        ('451-["echo",{"_placeholder":true,"num":"0"}]', b"\x01"), "close 1000", malformed)
    sio("bin-num-negative", "a placeholder `num` -1",
        ('451-["echo",{"_placeholder":true,"num":-1}]', b"\x01"), "close 1000", malformed)
    sio("bin-missing-then-text", "2 attachments announced, 1 sent, then a text packet",
        (f'452-["echo",{PH},{PH}]', b"\x01", '42["echo"]'), "close 1000", malformed)
    sio("bin-without-packet", "a binary message nobody announced", (b"\x01\x02",),
        "close 1000", malformed)
    # As deep as sio-nested-json-900, with an attachment inside: rebuilt
    # without recursion, and echoed like it.
    sio("bin-nested-900", f'`451-0["echo",` + 900 `[` + `{PH}` + 900 `]` + `]`, then one '
        "attachment", ('451-0["echo",' + nested(900, PH) + "]", b"\x01"), "open", None)
    add("post-bin-nested-900", g, "the same nested binary event in a polling POST",
        "polling", 4, session_post(4, '451-0["echo",' + nested(900, PH) + "]\x1ebAQ=="),
        "200 open", None)
    sio("bin-placeholder-in-text-event", f"`420[\"echo\",{PH}]` (a placeholder, no binary)",
        (f'420["echo",{PH}]',), "open", None)
    sio("bin-unused-attachment", "one attachment announced but no placeholder uses it",
        ('451-["echo","x"]', b"\x01"), "open", None)
    sio("v3-bin-num-out-of-range", "a placeholder `num` 5 with one attachment, EIO=3",
        ('451-["echo",{"_placeholder":true,"num":5}]', b"\x04\x01"), "close 1000", malformed,
        eio=3)
    add("post-bin-bad-attachment", g, "a binary event then an attachment whose base64 is bad, "
        "in one POST", "polling", 4, session_post(4, f'451-["echo",{PH}]\x1eb!!!'),
        "400/3 closed", "malformed payload")

    # Floods and slow peers.
    g = "floods"
    add("namespace-flood", g, "CONNECT to 2,000 namespaces that do not exist, in one write",
        "websocket", 4, namespace_flood, "2000 refused, open", None)
    add("room-flood", g, "join 5,000 rooms through the app's join event, then disconnect",
        "websocket", 4, room_flood, "in 5000 rooms, open, released", None)
    add("slow-reader-in-room", g, "a websocket client in a room stops reading while another "
        "floods the room (8 rounds of 50 x 64 KiB)", "websocket", 4, slow_reader_in_room,
        "room served, slow close *|room served, slow eof", "slow consumer")
    add("idle-poller-in-room", g, "a polling client in a room never polls while the room "
        "gets 150 messages", "polling", 4, idle_poller_in_room,
        "emitter returned, idle session closed", "over 100 packets .*slow consumer")

    return e


ENTRIES = _entries()
