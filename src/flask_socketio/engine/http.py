"""The HTTP side of the Engine.IO server, as pure functions: CORS, cookies,
compression and the response bodies (the documented error answers).

>>> cors_headers({"HTTP_ORIGIN": "https://a.example", "HTTP_HOST": "b.example"}, "*", False)
[('Access-Control-Allow-Origin', 'https://a.example'), ('Vary', 'Origin')]
>>> error(lambda status, headers: print(status), 1)
400 BAD REQUEST
[b'{"code":1,"message":"Session ID unknown"}']
"""

from __future__ import annotations

import gzip
import json
import zlib
from typing import Any

from .._types import Environ, StartResponse
from .config import CorsOrigins

Headers = list[tuple[str, str]]

ERRORS = {
    0: ("400 BAD REQUEST", "Transport unknown"),
    1: ("400 BAD REQUEST", "Session ID unknown"),
    2: ("400 BAD REQUEST", "Bad handshake method"),
    3: ("400 BAD REQUEST", "Bad request"),
    4: ("403 FORBIDDEN", "Forbidden"),
    5: ("400 BAD REQUEST", "Unsupported protocol version"),
}
UNKNOWN_TRANSPORT, UNKNOWN_SID, BAD_HANDSHAKE_METHOD, BAD_REQUEST, FORBIDDEN, BAD_VERSION = range(6)


def cors_headers(environ: Environ, allowed: CorsOrigins, credentials: bool) -> Headers | None:
    """CORS response headers, or None when the origin is refused."""
    origin = environ.get("HTTP_ORIGIN")
    if origin is None or allowed == []:
        return []
    # Same-origin requests are never refused: CORS governs only the others.
    if allowed == "*" or origin in same_origins(environ):
        ok = True
    elif callable(allowed):
        ok = bool(allowed(origin))
    else:
        ok = allowed is not None and origin in ([allowed] if isinstance(allowed, str) else allowed)
    if not ok:
        return None
    headers = [("Access-Control-Allow-Origin", origin), ("Vary", "Origin")]
    if credentials:
        headers.append(("Access-Control-Allow-Credentials", "true"))
    return headers


def same_origins(environ: Environ) -> set[str]:
    """The origins of the request's own host (as the client and any proxy name it)."""
    scheme = environ.get("HTTP_X_FORWARDED_PROTO") or environ.get("wsgi.url_scheme", "http")
    hosts = {environ.get("HTTP_HOST", "")}
    forwarded = environ.get("HTTP_X_FORWARDED_HOST")
    if forwarded:
        hosts.add(forwarded.split(",")[0].strip())
    return {f"{scheme}://{host}" for host in hosts if host}


def preflight_headers(environ: Environ, cors: Headers) -> Headers:
    """The answer to a CORS preflight (OPTIONS) request."""
    headers = [*cors, ("Access-Control-Allow-Methods", "OPTIONS, GET, POST")]
    requested = environ.get("HTTP_ACCESS_CONTROL_REQUEST_HEADERS")
    if requested:
        headers.append(("Access-Control-Allow-Headers", requested))
    return headers


def cookie_headers(cookie: str | dict[str, Any] | None, sid: str) -> Headers:
    """The ``Set-Cookie`` header of the handshake, when a cookie is configured."""
    if not cookie:
        return []
    options: dict[str, Any] = {"name": cookie} if isinstance(cookie, str) else dict(cookie)
    parts = [f"{options.pop('name', 'io')}={sid}", f"Path={options.pop('path', '/')}"]
    options.setdefault("SameSite", "Lax")
    for key, value in options.items():
        if value is True:
            parts.append(key)
        elif value not in (None, False):
            parts.append(f"{key}={value}")
    return [("Set-Cookie", "; ".join(parts))]


def declared_length(environ: Environ) -> int | None:
    """The length a request's headers declare for its body: -1 when they do
    not (no Content-Length, or chunked: the chunks tell it, RFC 9112 6.3),
    None when Content-Length is not a number.

    >>> declared_length({"CONTENT_LENGTH": "12"}), declared_length({})
    (12, -1)
    >>> declared_length({"CONTENT_LENGTH": "12", "HTTP_TRANSFER_ENCODING": "chunked"})
    -1
    >>> declared_length({"CONTENT_LENGTH": "-1"}) is None
    True
    """
    length = environ.get("CONTENT_LENGTH") or ""
    if length and not length.isdigit():
        return None
    if "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
        return -1
    return int(length) if length else -1


def compress(environ: Environ, body: bytes, headers: Headers, threshold: int) -> bytes:
    """`body` gzipped or deflated when the client accepts it and it is worth it."""
    if len(body) < threshold:
        return body
    accepted = environ.get("HTTP_ACCEPT_ENCODING", "")
    if "gzip" in accepted:
        headers.append(("Content-Encoding", "gzip"))
        return gzip.compress(body, compresslevel=6)
    if "deflate" in accepted:
        headers.append(("Content-Encoding", "deflate"))
        return zlib.compress(body)
    return body


def ok(
    start_response: StartResponse, body: bytes, content_type: str, headers: Headers
) -> list[bytes]:
    start_response(
        "200 OK",
        [("Content-Type", content_type), ("Content-Length", str(len(body))), *headers],
    )
    return [body]


def error(
    start_response: StartResponse,
    code: int,
    headers: Headers | None = None,
    detail: str | None = None,
) -> list[bytes]:
    """The Engine.IO error answer: HTTP 400 (403) with ``{"code": N, "message": ...}``."""
    status, message = ERRORS[code]
    payload: dict[str, Any] = {"code": code, "message": message}
    if detail:
        payload["details"] = detail
    body = json.dumps(payload, separators=(",", ":")).encode()
    start_response(
        status,
        [
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(body))),
            *(headers or []),
        ],
    )
    return [body]


def too_many(start_response: StartResponse, headers: Headers) -> list[bytes]:
    """HTTP 429 for a client over its limits of sessions or handshakes."""
    body = b'{"code":3,"message":"Too many requests"}'
    start_response(
        "429 TOO MANY REQUESTS",
        [("Content-Type", "application/json"), ("Content-Length", str(len(body))), *headers],
    )
    return [body]


def too_large(start_response: StartResponse, headers: Headers) -> list[bytes]:
    """HTTP 413 for a POST over ``max_http_buffer_size``."""
    body = b'{"code":3,"message":"Payload too large"}'
    start_response(
        "413 PAYLOAD TOO LARGE",
        [("Content-Type", "application/json"), ("Content-Length", str(len(body))), *headers],
    )
    return [body]
