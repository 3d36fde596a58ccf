"""The exception that ends an ``autograd-lite`` command with a message."""

from __future__ import annotations


class Abort(Exception):
    """Ends a command with a message on stderr and an exit status."""

    def __init__(self, message: str, status: int = 2) -> None:
        super().__init__(message)
        self.status = status
