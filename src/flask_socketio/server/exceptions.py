"""Exceptions that applications raise or catch."""

from __future__ import annotations

from typing import Any


class ConnectionRefusedError(ConnectionError):  # noqa: A001 - the documented name
    """Raise from a connect handler to refuse the connection.

    The first argument becomes the message the client sees; a second one is
    sent along as data (several more are sent as a list).

    >>> ConnectionRefusedError("unauthorized", {"reason": "token"}).error_args
    {'message': 'unauthorized', 'data': {'reason': 'token'}}
    """

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        if not args:
            self.error_args: dict[str, Any] = {"message": "Connection rejected by server"}
        else:
            self.error_args = {"message": str(args[0])}
            if len(args) == 2:
                self.error_args["data"] = args[1]
            elif len(args) > 2:
                self.error_args["data"] = list(args[1:])
