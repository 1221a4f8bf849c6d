"""Errors as values: a machine code, a message a data scientist can act on, an HTTP status.

Every failure that reaches a user is made here, so the UI shows it in one place and
never has to interpret a stack trace.
"""

from __future__ import annotations


class AirlockError(Exception):
    """A failure with a user-facing message.

    ``code`` is stable and machine-readable (the UI and tests key on it); ``message`` says
    what went wrong and what to do; ``status`` is the HTTP status a handler answers with.
    """

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status

    def to_json(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}
