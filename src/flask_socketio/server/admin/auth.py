"""Who may use the admin UI: its users and the login tokens it keeps.

An admin logs in with a username and a password (`Credentials`: each
stored password a bcrypt hash, a Werkzeug hash or the password itself; or
a callable decides); the server then gives the UI a token
(`SessionTokens`) to log in again without the password, which every
process with the same key accepts.

>>> credentials = Credentials({"username": "admin", "password": "changeit"})
>>> tokens = SessionTokens(session_key(None, credentials, "/admin"), lifetime=60)
>>> credentials.verify({"username": "admin", "password": "changeit"}), tokens.valid(tokens.issue())
(True, True)
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import time
from collections.abc import Callable, Mapping
from typing import Any

log = logging.getLogger("flask_socketio.admin")

_BCRYPT_PREFIXES = ("$2a$", "$2b$", "$2y$")
_WERKZEUG_PREFIXES = ("pbkdf2:", "scrypt:")


def password_matches(stored: str, given: Any) -> bool:
    """Whether `given` is the password `stored` stands for: a bcrypt hash
    (``$2b$...``, as the Node server takes; needs the ``bcrypt`` package), a
    Werkzeug hash (``scrypt:...``, ``pbkdf2:...``), or the password itself
    (compared in constant time).

    >>> from werkzeug.security import generate_password_hash
    >>> password_matches(generate_password_hash("changeit"), "changeit")
    True
    >>> password_matches("changeit", "guess")
    False
    """
    if not isinstance(given, str):
        return False
    if stored.startswith(_BCRYPT_PREFIXES):
        import bcrypt

        try:
            return bool(bcrypt.checkpw(given.encode(), stored.encode()))
        except ValueError:
            return False
    if stored.startswith(_WERKZEUG_PREFIXES):
        from werkzeug.security import check_password_hash

        return check_password_hash(stored, given)
    return hmac.compare_digest(stored.encode(), given.encode())


class Credentials:
    """Who may use the admin UI, from `AdminUI`'s `auth`:

    - ``{"username": ..., "password": ...}``, where the password is a bcrypt
      hash, a Werkzeug hash or the password itself (see `password_matches`;
      the Node server's ``{"type": "basic", ...}`` is the same);
    - a list of such dicts;
    - a callable given the UI's auth data (``{"username", "password"}``),
      returning whether to let it in;
    - ``False``: anyone (never on a server others can reach).

    >>> Credentials({"username": "admin", "password": "changeit"}).verify(
    ...     {"username": "admin", "password": "changeit"})
    True
    """

    def __init__(self, auth: Any) -> None:
        self.open = auth is False
        self._callable: Callable[[Any], Any] | None = None
        self._users: list[tuple[str, str]] = []
        if auth is None or auth is True:
            raise ValueError(
                "the admin UI needs auth: {'username': ..., 'password': ...} (the password "
                "may be a bcrypt or Werkzeug hash), a list of them, a callable, or False to "
                "let anyone in"
            )
        if self.open:
            log.warning("the admin UI is open to anyone: authentication is off (auth=False)")
        elif callable(auth):
            self._callable = auth
        elif isinstance(auth, Mapping):
            self._users = [self._user(auth)]
        elif isinstance(auth, (list, tuple)) and auth:
            self._users = [self._user(entry) for entry in auth]
        else:
            raise TypeError(f"unsupported admin UI auth: {type(auth).__name__}")

    @staticmethod
    def _user(entry: Any) -> tuple[str, str]:
        if not isinstance(entry, Mapping):
            raise TypeError("each admin UI user is a dict with a username and a password")
        if entry.get("type", "basic") != "basic":
            raise ValueError(f"unsupported admin UI auth type {entry.get('type')!r}")
        username, password = entry.get("username"), entry.get("password")
        if not isinstance(username, str) or not isinstance(password, str) or not password:
            raise ValueError("an admin UI user needs a username and a non-empty password")
        if password.startswith(_BCRYPT_PREFIXES):
            try:
                import bcrypt  # noqa: F401 - checked now rather than at the first login
            except ImportError as exc:
                raise ImportError(
                    "a bcrypt password hash needs the bcrypt package: "
                    "pip install flask-socketio-native[admin]"
                ) from exc
        return username, password

    def verify(self, given: Any) -> bool:
        """Whether the UI's auth data `given` lets it in."""
        if self.open:
            return True
        if self._callable is not None:
            return bool(self._callable(given))
        if not isinstance(given, Mapping):
            return False
        username = given.get("username")
        if not isinstance(username, str):
            return False
        matched = False
        for name, stored in self._users:
            if hmac.compare_digest(name.encode(), username.encode()):
                matched = password_matches(stored, given.get("password")) or matched
        return matched

    def secret(self) -> bytes | None:
        """Key material shared by every process with the same users (None for
        a callable or no authentication)."""
        if not self._users:
            return None
        return json.dumps(sorted(self._users)).encode()


def session_key(secret: str | bytes | None, credentials: Credentials, namespace: str) -> bytes:
    """The key that signs the login tokens of the admin UI on `namespace`:
    from `secret` if given, else from the users (the same in every process),
    else random (a callable `auth`: one per process).

    >>> users = Credentials({"username": "admin", "password": "changeit"})
    >>> session_key(None, users, "/admin") == session_key(None, users, "/admin")
    True
    """
    if isinstance(secret, str):
        secret = secret.encode()
    key = secret or credentials.secret() or secrets.token_bytes(32)
    return hmac.new(key, namespace.encode(), hashlib.sha256).digest()


class SessionTokens:
    """The tokens the UI keeps to log in again without the password (its
    ``sessionId``): an expiry time signed with HMAC-SHA256, so that any
    process with the same key accepts them.

    >>> tokens = SessionTokens(b"key", lifetime=60)
    >>> tokens.valid(tokens.issue())
    True
    >>> tokens.valid("123.forged")
    False
    """

    def __init__(self, key: bytes, lifetime: float) -> None:
        self.key = key
        self.lifetime = lifetime

    def _sign(self, expires: str) -> str:
        return hmac.new(self.key, expires.encode(), hashlib.sha256).hexdigest()

    def issue(self) -> str:
        expires = str(int(time.time() + self.lifetime))
        return f"{expires}.{self._sign(expires)}"

    def valid(self, token: Any) -> bool:
        if not isinstance(token, str) or "." not in token:
            return False
        expires, signature = token.split(".", 1)
        if not hmac.compare_digest(signature.encode(), self._sign(expires).encode()):
            return False
        return expires.isdigit() and int(expires) > time.time()
