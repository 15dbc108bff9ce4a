"""Calling application handlers whose signatures vary.

Connect handlers may or may not take `auth`, disconnect handlers `reason`:
the optional trailing arguments a handler does not take are dropped.

>>> def on_connect(sid, environ):
...     return "connected " + sid
>>> call_trimmed(on_connect, "s1", {}, {"token": "t"}, optional=1)
'connected s1'
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any


@functools.lru_cache(maxsize=1024)
def max_positional(fn: Callable[..., Any]) -> int:
    """How many positional arguments `fn` takes (a large number for *args)."""
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return 1 << 16
    count = 0
    for param in params:
        if param.kind == param.VAR_POSITIONAL:
            return 1 << 16
        if param.kind in (param.POSITIONAL_ONLY, param.POSITIONAL_OR_KEYWORD):
            count += 1
    return count


def call_trimmed(fn: Callable[..., Any], *args: Any, optional: int = 0) -> Any:
    """Call `fn`, dropping up to `optional` trailing arguments it does not take."""
    if optional:
        room = max_positional(fn)
        if room < len(args):
            args = args[: max(room, len(args) - optional)]
    return fn(*args)
