"""Polling without sticky sessions: a polling request for a session of
another process is answered by that process, through the message queue.

Behind a load balancer that spreads requests (nginx round robin), the GETs
and POSTs of a polling client land on any process, while its session lives
in one. The engine hands a polling request whose session it does not hold to
its `unknown_session` hook, a `Forwarder`, which publishes the request on
the forwarding channel (``<channel>.forward``; its own connections, apart
from the relay's). The process that holds the session runs it through its
own engine and publishes the answer (status, headers, body) back to the
asker, which writes it to the client.

A GET may be held for ``ping_interval`` seconds: its owner claims it at once
and, while it serves forwarded GETs, tells each asker every
``alive_interval`` seconds that it is alive. An asker answers the usual 400
"Session ID unknown" when nobody claims a GET within ``claim_timeout``
seconds (the session is gone) or when the owner of a claimed GET falls
silent for ``owner_timeout`` seconds (it died): the client then connects
again, to a live process. A POST, answered without a claim, gets
``claim_timeout + owner_timeout``.

Websocket requests are never forwarded: a websocket upgrade that lands on
another process is refused, and the client stays on polling.

Here: the `Forwarder` (its asking side and its serving side) and
`for_manager`; the buses that carry the messages are in `forward_bus`, their
format in `forward_wire` (both re-exported).

>>> from flask_socketio.server import Server
>>> from flask_socketio.managers import from_url
>>> sio = Server(client_manager=from_url("redis://127.0.0.1:6379/0"))  # doctest: +SKIP
>>> sio.eio.unknown_session  # doctest: +SKIP
<flask_socketio.managers.forward.Forwarder object at ...>
"""

from __future__ import annotations

import io
import logging
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .._types import Environ, StartResponse
from .forward_bus import EVERYONE, Bus, KombuBus, RedisBus
from .forward_wire import Message, pack, portable_environ, read_body, unpack

if TYPE_CHECKING:
    from ..drivers import Driver, Event, Lock
    from ..engine import Server as Engine

log = logging.getLogger("flask_socketio.forward")

#: Set in the environ of a forwarded request run by its owner: never forwarded again.
FORWARDED = "flask_socketio.forwarded"

#: What a session id may look like (ours are 20 url-safe characters): anything
#: else gets its 400 at once, without asking the other processes.
_SID_SHAPE = re.compile(r"[A-Za-z0-9_-]{1,64}")


@dataclass
class _Pending:
    """A forwarded request waiting for its answer."""

    done: Event
    owner: str | None = None
    reply: tuple[Message, bytes] | None = None


@dataclass
class _Serving:
    """How many forwarded GETs this process serves for each asking process."""

    lock: Lock
    by_asker: dict[str, int] = field(default_factory=dict)

    def add(self, asker: str, count: int) -> None:
        with self.lock:
            left = self.by_asker.get(asker, 0) + count
            if left:
                self.by_asker[asker] = left
            else:
                self.by_asker.pop(asker, None)

    def askers(self) -> list[str]:
        with self.lock:
            return list(self.by_asker)


class Forwarder:
    """The `unknown_session` hook of an engine: forwards polling requests to
    the process that holds their session, and serves those forwarded here.

    >>> bus = RedisBus("redis://127.0.0.1:6379/0", "flask-socketio")  # doctest: +SKIP
    >>> engine.unknown_session = Forwarder(bus, engine)  # doctest: +SKIP
    """

    def __init__(
        self,
        bus: Bus,
        engine: Engine,
        *,
        claim_timeout: float = 0.5,
        owner_timeout: float = 0.75,
        alive_interval: float = 0.25,
    ) -> None:
        if not 0 < alive_interval < owner_timeout or claim_timeout <= 0:
            raise ValueError(
                "forward_polling timings: claim_timeout > 0 and "
                "0 < alive_interval < owner_timeout, in seconds"
            )
        self.bus = bus
        self.engine = engine
        self.driver: Driver = engine.driver
        self.host_id = uuid.uuid4().hex
        self.claim_timeout = claim_timeout
        self.owner_timeout = owner_timeout
        self.alive_interval = alive_interval
        self._pending: dict[str, _Pending] = {}
        self._last_heard: dict[str, float] = {}
        self._serving = _Serving(self.driver.Lock())
        self._started_in: int | None = None
        self._stopped = False
        self._subscribed = self.driver.Event()
        self._start_lock = self.driver.Lock()

    # -- the asking side ----------------------------------------------------

    def __call__(
        self, environ: Environ, start_response: StartResponse, sid: str
    ) -> Iterable[bytes] | None:
        """Answer a polling request for session `sid` through its owner, or
        None (the engine answers 400) if no live process holds it."""
        if environ.get(FORWARDED) or self._stopped:
            return None
        if _SID_SHAPE.fullmatch(sid) is None:
            log.info("malformed session id %r: not forwarded", sid[:40])
            return None
        self.start(wait=True)
        request_id = uuid.uuid4().hex
        pending = _Pending(self.driver.Event())
        self._pending[request_id] = pending
        try:
            body = read_body(environ, self.engine.config.max_http_buffer_size)
            request = {
                "op": "request",
                "id": request_id,
                "from": self.host_id,
                "sid": sid,
                "environ": portable_environ(environ),
            }
            try:
                self.bus.publish(EVERYONE, pack(request, body))
            except Exception as exc:
                log.warning("%s: could not forward a polling request (%s)", sid[:40], exc)
                return None
            reply = self._wait(pending, sid, environ.get("REQUEST_METHOD") == "GET")
        finally:
            del self._pending[request_id]
        if reply is None:
            return None
        message, body = reply
        start_response(str(message["status"]), [(str(k), str(v)) for k, v in message["headers"]])
        return [body]

    def _wait(self, pending: _Pending, sid: str, is_get: bool) -> tuple[Message, bytes] | None:
        """The owner's answer; None when nobody claims the request in time or
        its owner falls silent."""
        monotonic = self.driver.monotonic
        # A GET is claimed at once; a POST is not (its answer comes soon,
        # unless the owner's workers are all busy): it gets longer.
        patience = self.claim_timeout + (0 if is_get else self.owner_timeout)
        unclaimed_until = monotonic() + patience
        step = min(self.alive_interval, self.claim_timeout, self.owner_timeout)
        while not pending.done.wait(step):
            now = monotonic()
            owner = pending.owner
            if owner is None:
                if now >= unclaimed_until:
                    log.info("%s: no process holds this session", sid[:40])
                    return None
            elif now - self._last_heard.get(owner, now) > self.owner_timeout:
                log.warning(
                    "%s: the process serving this session (%s) fell silent: gone?", sid[:40], owner
                )
                return None
        return pending.reply

    # -- the listening side -------------------------------------------------

    def start(self, wait: bool = False) -> None:
        """Listen on the bus (once per process: a fork starts anew); with
        `wait`, until it delivers here (not at construction: an unpatched
        green mode would hang in the listener's first read).

        Requests arrive at once on a worker's threads: one of them starts
        the listener, and each that asked to waits for its subscription."""
        import os

        pid = os.getpid()
        if self._started_in != pid:
            with self._start_lock:
                if self._started_in != pid:
                    self._start_here(pid)
        # Asked before it listens, this process would miss the answers (and,
        # as an owner, the requests): wait a little for the subscription.
        subscribed = self._subscribed
        if wait and not subscribed.is_set() and not subscribed.wait(
            self.claim_timeout + self.owner_timeout
        ):
            log.warning("forwarding: not subscribed to the message queue yet")

    def _start_here(self, pid: int) -> None:
        if self._started_in is not None:
            # Forked: the parent's connections and its id are its own.
            self.bus.reopen()
            self.host_id = uuid.uuid4().hex
        self._pending.clear()
        self._last_heard.clear()
        self._serving = _Serving(self.driver.Lock())
        self._subscribed = self.driver.Event()
        self.driver.warn_unpatched("the message queue client (forwarding)")
        self.driver.spawn(self._listen)
        self.driver.spawn(self._tell_alive)
        self._started_in = pid  # last: the others pass only once all is ready

    def stop(self) -> None:
        """Stop forwarding (the tasks end at their next message or tick)."""
        self._stopped = True

    def _listen(self) -> None:
        for raw in self.bus.listen(self.host_id, self._subscribed.set):
            if self._stopped:
                return
            if not raw:
                self.driver.sleep(0.5)  # the bus lost its connection
                continue
            try:
                self._receive(*unpack(raw))
            except Exception as exc:
                log.warning("malformed forwarding message dropped (%s): %.80r", exc, raw)

    def _receive(self, message: Message, body: bytes) -> None:
        op, sender = message["op"], str(message["from"])
        if op == "request":
            self._serve_maybe(message, body, sender)
            return
        self._last_heard[sender] = self.driver.monotonic()
        if op == "alive":
            return
        pending = self._pending.get(str(message["id"]))
        if pending is None:
            return  # answered already, or given up on
        if op == "claim":
            pending.owner = sender
        elif op == "reply":
            pending.reply = (message, body)
            pending.done.set()

    def _serve_maybe(self, message: Message, body: bytes, asker: str) -> None:
        sid = str(message["sid"])
        if sid not in self.engine.sessions:
            return
        if not isinstance(message["environ"], dict):
            raise ValueError("'environ' is not an object")
        is_get = message["environ"].get("REQUEST_METHOD") == "GET"
        if is_get:
            self._publish(asker, {"op": "claim", "id": message["id"]})
            self._serving.add(asker, 1)
            self.driver.spawn(self._serve, message, body, asker, is_get)
        else:
            self.driver.submit(lambda: self._serve(message, body, asker, is_get))

    def _serve(self, message: Message, body: bytes, asker: str, is_get: bool) -> None:
        """Run a forwarded request through the engine; send the answer back."""
        answer: dict[str, Any] = {}

        def start_response(status: str, headers: list[tuple[str, str]], exc: Any = None) -> Any:
            answer["status"], answer["headers"] = status, headers
            return lambda data: None

        environ: dict[str, Any] = dict(message["environ"])
        environ[FORWARDED] = True
        environ["wsgi.input"] = io.BytesIO(body)
        environ["wsgi.errors"] = io.StringIO()
        try:
            data = b"".join(self.engine.handle_request(environ, start_response))
            reply = {"op": "reply", "id": message["id"], "status": answer["status"],
                     "headers": [list(h) for h in answer["headers"]]}
            self._publish(asker, reply, data)
        except Exception:
            log.exception("%s: forwarded request failed", str(message["sid"])[:40])
        finally:
            if is_get:
                self._serving.add(asker, -1)

    def _tell_alive(self) -> None:
        while not self._stopped:
            self.driver.sleep(self.alive_interval)
            for asker in self._serving.askers():
                self._publish(asker, {"op": "alive"})

    def _publish(self, to: str, message: Message, body: bytes = b"") -> None:
        try:
            self.bus.publish(to, pack({**message, "from": self.host_id}, body))
        except Exception as exc:
            log.warning("forwarding: could not publish to %s (%s)", to, exc)


def for_manager(manager: Any, engine: Engine, **timings: float) -> Forwarder | None:
    """A forwarder that goes through the message queue of `manager` (its URL,
    channel and connection options), or None for a manager without one."""
    from .kombu import KombuManager
    from .redis import RedisManager

    bus: Bus
    if isinstance(manager, RedisManager) and not manager.write_only:
        bus = RedisBus(manager.url, manager.channel, getattr(manager, "redis_options", None))
    elif isinstance(manager, KombuManager) and not manager.write_only:
        bus = KombuBus(manager.url, manager.channel, getattr(manager, "connection_options", None))
    else:
        return None
    return Forwarder(bus, engine, **timings)


__all__ = [
    "EVERYONE",
    "FORWARDED",
    "Bus",
    "Forwarder",
    "KombuBus",
    "RedisBus",
    "for_manager",
    "pack",
    "unpack",
]
