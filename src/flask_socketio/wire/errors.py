"""The one error type for malformed input on the wire."""


class ProtocolError(ValueError):
    """Raised by every decoder for input that does not follow the protocol.

    The message says what was wrong, and is safe to log: it never echoes more
    than a short excerpt of the offending input.
    """
