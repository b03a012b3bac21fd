"""One user-facing error type: the CLI turns it into one stderr line and exit code 2."""

from __future__ import annotations


class GosuprError(Exception):
    """A problem with the user's input that they can fix.

    The message is one line naming the file (and row or element) and what to do.
    """

    exit_code = 2

    def __init__(self, message: str, *, path: str | None = None) -> None:
        self.path = path
        super().__init__(f"{path}: {message}" if path else message)


class GateFailed(Exception):
    """A CI gate was violated: exit code 1, the gate named on stderr."""

    exit_code = 1
