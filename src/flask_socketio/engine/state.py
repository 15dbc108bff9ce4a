"""The Engine.IO protocol state of one session, without I/O (in the style of h11).

`SessionState` holds which transport the session is on (and whether it is
being upgraded) and its deadlines: the heartbeat and the connect timeout. The
caller tells it what happened and when (``pong(now)``, ``begin_upgrade()``)
and asks it what is due (``due(now)``); it never reads a clock, a socket or
a lock, so every transition is testable as plain data. `Upgrade` is the
dialogue of a websocket that upgrades a polling session.

>>> from flask_socketio.engine.config import EngineConfig
>>> state = SessionState(EngineConfig.build(ping_interval=25, ping_timeout=20), 4, now=0.0)
>>> state.joined(True)  # the client joined a namespace: no connect timeout
>>> state.due(10.0) is None, state.due(25.0)
(True, 'ping')
>>> state.ping_sent(25.0)
>>> state.due(46.0)
'ping timeout'
"""

from __future__ import annotations

from .config import EngineConfig

# Transports, and the phases of a session's transport.
POLLING = "polling"
UPGRADING = "upgrading"
WEBSOCKET = "websocket"
CLOSED = "closed"

# Why a session ended, as Socket.IO names it (disconnect handlers get it).
CLIENT_DISCONNECT = "client disconnect"
SERVER_DISCONNECT = "server disconnect"
PING_TIMEOUT = "ping timeout"
TRANSPORT_CLOSE = "transport close"
TRANSPORT_ERROR = "transport error"
#: The client did not read what it was sent fast enough (over its bounds).
SLOW_CONSUMER = "slow consumer"

# What `SessionState.due` asks for, besides `PING_TIMEOUT`.
PING = "ping"
CONNECT_TIMEOUT = "connect timeout"


class SessionState:
    """Transport phase and deadlines of one Engine.IO session.

    Phases: ``polling`` -> ``upgrading`` -> ``websocket``, or back to
    ``polling`` when an upgrade fails; a websocket session starts in
    ``websocket``; any phase -> ``closed``, once.

    Heartbeat, protocol v4: the server pings every `ping_interval` after the
    last pong and closes when no pong comes within `ping_timeout` (plus the
    grace). Protocol v3: the client pings, and whatever it sends restarts
    the `ping_interval` + `ping_timeout` deadline. Until the client joins a
    namespace, the `connect_timeout` runs.
    """

    __slots__ = (
        "config",
        "version",
        "phase",
        "next_ping",
        "pong_deadline",
        "ping_deadline",
        "connect_deadline",
        "_connect_by",
    )

    def __init__(
        self, config: EngineConfig, version: int, now: float, phase: str = POLLING
    ) -> None:
        self.config = config
        self.version = version
        self.phase = phase
        self.next_ping = now + config.ping_interval
        self.pong_deadline: float | None = None
        self.ping_deadline = now + config.ping_interval + config.ping_timeout
        self._connect_by = now + config.connect_timeout
        self.connect_deadline: float | None = self._connect_by

    def __repr__(self) -> str:
        return f"<SessionState {self.phase} EIO={self.version}>"

    @property
    def closed(self) -> bool:
        return self.phase == CLOSED

    @property
    def transport(self) -> str:
        """The transport packets travel on: polling until an upgrade completes."""
        return WEBSOCKET if self.phase == WEBSOCKET else POLLING

    # -- transport ----------------------------------------------------------

    def begin_upgrade(self) -> bool:
        """A websocket asks to take over a polling session: True if it may
        (the session polls and no other upgrade is in progress)."""
        if self.phase != POLLING:
            return False
        self.phase = UPGRADING
        return True

    def finish_upgrade(self, now: float) -> bool:
        """The upgrade completed: packets go over the websocket from now on.
        False if the session closed meanwhile."""
        if self.phase != UPGRADING:
            return False
        self.phase = WEBSOCKET
        if self.version == 3:
            self.heard(now)
        return True

    def abort_upgrade(self) -> None:
        """The upgrade failed: the session goes on polling."""
        if self.phase == UPGRADING:
            self.phase = POLLING

    def close(self) -> bool:
        """Enter the closed phase; True the first time only."""
        if self.phase == CLOSED:
            return False
        self.phase = CLOSED
        return True

    # -- deadlines ----------------------------------------------------------

    def pong(self, now: float) -> None:
        """The client answered a ping (v4): the next one is due an interval later."""
        self.pong_deadline = None
        self.next_ping = now + self.config.ping_interval

    def heard(self, now: float) -> None:
        """The client sent something (v3): it is alive for another interval + timeout."""
        self.ping_deadline = now + self.config.ping_interval + self.config.ping_timeout

    def ping_sent(self, at: float) -> None:
        """A ping went out (v4), as due at `at`: the pong is due within the
        timeout (and grace) from then."""
        self.pong_deadline = at + self.config.ping_timeout + self.config.ping_grace

    def ping_delivered(self, now: float) -> None:
        """The client got the ping only now (a GET took it from the queue):
        it has the whole timeout from now."""
        if self.pong_deadline is not None:
            deadline = now + self.config.ping_timeout + self.config.ping_grace
            self.pong_deadline = max(self.pong_deadline, deadline)

    def joined(self, connected: bool) -> None:
        """The client joined a namespace (no connect timeout any more), or, with
        `connected` False, left or was refused everywhere (the connect timeout,
        counted from the handshake, applies again)."""
        self.connect_deadline = None if connected else self._connect_by

    def due(self, now: float) -> str | None:
        """What the deadlines require at `now`: `PING`, `PING_TIMEOUT`,
        `CONNECT_TIMEOUT`, or None. It changes nothing: report a ping with
        `ping_sent`."""
        if self.phase == CLOSED:
            return None
        # Several may be overdue (looked at late): the one due first comes
        # first, as on a perfect clock (a ping due before the connect timeout
        # goes out before it).
        if self.version == 4:
            if self.pong_deadline is not None:
                heartbeat = PING_TIMEOUT if now > self.pong_deadline else None
                heartbeat_at = self.pong_deadline
            else:
                heartbeat = PING if now >= self.next_ping else None
                heartbeat_at = self.next_ping
        else:
            heartbeat_at = self.ping_deadline + self.config.ping_grace
            heartbeat = PING_TIMEOUT if now > heartbeat_at else None
        connect = self.connect_deadline
        if connect is not None and now > connect:
            if heartbeat is None or connect < heartbeat_at:
                return CONNECT_TIMEOUT
        return heartbeat

    def next_deadline(self) -> float:
        """When `due` may next answer something other than None."""
        if self.version == 4:
            deadline = self.next_ping if self.pong_deadline is None else self.pong_deadline
        else:
            deadline = self.ping_deadline + self.config.ping_grace
        if self.connect_deadline is not None:
            deadline = min(deadline, self.connect_deadline)
        return deadline


# What `Upgrade.receive` asks the caller to do.
REPLY_PROBE = "reply"  # send "3probe" on the websocket, noop to a pending poll
WAIT = "wait"  # read the next message
SWITCH = "switch"  # the client sent "5": move the session to the websocket
FAIL = "fail"  # not the dialogue: drop the websocket, the session keeps polling


class Upgrade:
    """The upgrade dialogue on a new websocket: ``2probe`` -> ``3probe``,
    then ``5``.

    >>> upgrade = Upgrade()
    >>> upgrade.receive("2probe"), upgrade.receive("5")
    ('reply', 'switch')
    >>> Upgrade().receive("5")
    'fail'
    """

    __slots__ = ("probed",)

    def __init__(self) -> None:
        self.probed = False

    def receive(self, message: str | bytes | None) -> str:
        if message == "2probe":
            if self.probed:
                return WAIT  # a repeated probe changes nothing
            self.probed = True
            return REPLY_PROBE
        if message == "5" and self.probed:
            return SWITCH
        return FAIL
