"""Type aliases shared by the layers (WSGI, handlers)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeAlias

#: A WSGI environ.
Environ: TypeAlias = dict[str, Any]
#: WSGI's ``start_response``.
StartResponse: TypeAlias = Callable[..., Any]
#: A WSGI application.
WSGICallable: TypeAlias = Callable[[Environ, StartResponse], Iterable[bytes]]
#: An application's event handler (its arguments depend on the layer).
Handler: TypeAlias = Callable[..., Any]
