"""Client managers: who is in which room, here or across processes."""

from .memory import Manager

__all__ = ["Manager"]
