"""`Target`: whom an emit is for, resolved once where it is asked for.

>>> Target.of("/chat", to="lobby", skip="s1")
Target(namespace='/chat', rooms=('lobby',), skip=frozenset({'s1'}), local=False)
>>> Target.of().rooms is None  # everyone on "/"
True
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple

_MANY = (list, tuple, set, frozenset)


class Target(NamedTuple):
    """The recipients of an emit: the clients of `namespace` in any of
    `rooms` (each client's sid is a room of its own; None is everyone),
    except those whose sid is in `skip`. `local`: only the clients of this
    process (no message queue relay)."""

    namespace: str = "/"
    rooms: tuple[Any, ...] | None = None
    skip: frozenset[str] = frozenset()
    local: bool = False

    @classmethod
    def of(
        cls,
        namespace: str | None = None,
        to: Any = None,
        skip: str | Iterable[str] | None = None,
        local: bool = False,
    ) -> Target:
        """A target from the API's spelling: `to` a room, a sid or a list of
        them (None: everyone), `skip` a sid or a list of them."""
        if to is None:
            rooms = None
        elif isinstance(to, _MANY):
            rooms = tuple(to)
        else:
            rooms = (to,)
        if not skip:
            skipped: frozenset[str] = frozenset()
        elif isinstance(skip, str):
            skipped = frozenset((skip,))
        else:
            skipped = frozenset(skip)
        return cls(namespace or "/", rooms, skipped, local)

    @property
    def single(self) -> Any:
        """The one room (or sid) the target names, else None."""
        rooms = self.rooms
        return rooms[0] if rooms is not None and len(rooms) == 1 else None


def to_args(data: Any) -> list[Any]:
    """Emit arguments: a tuple is several arguments, None none, anything else one.

    >>> to_args(("a", 1)), to_args(None), to_args([1, 2])
    (['a', 1], [], [[1, 2]])
    """
    if data is None:
        return []
    if type(data) is tuple:
        return list(data)
    return [data]
