"""The Engine.IO options, parsed and checked once, as one frozen value.

Sessions keep the configuration they were opened with; a server that is
reconfigured (``socketio.run(app, ping_timeout=...)``) gives the new value to
the sessions it opens afterwards.

>>> config = EngineConfig.build(ping_interval=(10, 5), transports=["websocket"])
>>> config.ping_interval, config.ping_grace, config.transports
(10.0, 5.0, ('websocket',))
>>> EngineConfig.build(transports=["pigeon"])
Traceback (most recent call last):
...
ValueError: unknown transports ['pigeon']; use polling and/or websocket
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

TRANSPORTS = ("polling", "websocket")

#: What ``cors_allowed_origins`` may be: None (same origin only), ``'*'``,
#: one origin, a list (``[]`` turns the check off) or a predicate.
CorsOrigins = str | list[str] | Callable[[str], bool] | None


@dataclass(frozen=True)
class EngineConfig:
    """Every Engine.IO option, in seconds and bytes."""

    ping_interval: float = 25.0
    #: Extra seconds a client gets on top of the ping timeout (the second
    #: item of a ``ping_interval`` tuple).
    ping_grace: float = 0.0
    ping_timeout: float = 20.0
    max_http_buffer_size: int = 1_000_000
    allow_upgrades: bool = True
    transports: tuple[str, ...] = TRANSPORTS
    http_compression: bool = True
    compression_threshold: int = 1024
    cookie: str | dict[str, Any] | None = None
    cors_allowed_origins: CorsOrigins = None
    cors_credentials: bool = True
    connect_timeout: float = 45.0
    allow_eio3: bool = True
    #: What a client may have waiting to be sent: packets, and bytes. A
    #: client over either bound is too slow (see ``volatile_overflow``).
    max_queue_size: int = 10_000
    max_queue_bytes: int = 16_000_000
    #: What a client too slow loses first: its volatile packets, the newest
    #: ("drop_new") or the oldest ("drop_oldest"); with none left to drop it
    #: is disconnected.
    volatile_overflow: str = "drop_new"
    #: Seconds a websocket has to complete the upgrade dialogue.
    upgrade_timeout: float = 10.0

    def __post_init__(self) -> None:
        unknown = set(self.transports) - set(TRANSPORTS)
        if unknown:
            raise ValueError(f"unknown transports {sorted(unknown)}; use polling and/or websocket")
        if not self.transports:
            raise ValueError("transports is empty; use polling and/or websocket")
        for name in ("ping_interval", "ping_timeout", "connect_timeout", "upgrade_timeout"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive")
        if min(self.max_http_buffer_size, self.max_queue_size, self.max_queue_bytes) <= 0:
            raise ValueError(
                "max_http_buffer_size, max_queue_size and max_queue_bytes must be positive"
            )
        if self.volatile_overflow not in ("drop_new", "drop_oldest"):
            raise ValueError("volatile_overflow is 'drop_new' or 'drop_oldest'")

    @classmethod
    def build(cls, base: EngineConfig | None = None, **options: Any) -> EngineConfig:
        """A configuration from options as the public API spells them,
        starting from `base` (the defaults when None)."""
        unknown = set(options) - OPTION_NAMES
        if unknown:
            raise TypeError(f"unknown Engine.IO option(s): {', '.join(sorted(unknown))}")
        values: dict[str, Any] = dict(options)
        if "ping_interval" in values:
            interval = values["ping_interval"]
            if isinstance(interval, (tuple, list)):
                values["ping_interval"], values["ping_grace"] = (
                    float(interval[0]),
                    float(interval[1]),
                )
            else:
                values["ping_interval"], values["ping_grace"] = float(interval), 0.0
        if values.get("transports") is not None:
            values["transports"] = tuple(values["transports"])
        else:
            values.pop("transports", None)
        for name in ("ping_timeout", "connect_timeout", "upgrade_timeout"):
            if name in values:
                values[name] = float(values[name])
        for name in (
            "max_http_buffer_size",
            "compression_threshold",
            "max_queue_size",
            "max_queue_bytes",
        ):
            if name in values:
                values[name] = int(values[name])
        return dataclasses.replace(base or cls(), **values)


#: The option names `EngineConfig.build` takes (``ping_grace`` comes from a
#: ``ping_interval`` tuple).
OPTION_NAMES = frozenset(field.name for field in dataclasses.fields(EngineConfig)) - {"ping_grace"}
