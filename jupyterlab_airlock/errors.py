"""Errors as values: a machine code, a message a data scientist can act on, an HTTP status.

Every failure that reaches a user is made here, so the UI shows it in one place and
never has to interpret a stack trace.
"""

from __future__ import annotations

from collections.abc import Iterator

# What a refused connection means and what to do, said the same by every part that meets
# one (the artifact listing, the connectivity check): nothing listens at that address.
REFUSED_ADVICE = (
    "nothing listens there. Is the server running? If it is, check the host and port in the profile"
)
BAD_GATEWAY = 502


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


def exception_chain(error: BaseException) -> Iterator[BaseException]:
    """``error`` and everything behind it, to find the root cause of a library's error:
    causes, contexts, members of exception groups (anyio reports every address it tried)
    and the low-level error botocore wraps in ``kwargs['error']``."""
    seen: set[int] = set()
    stack: list[BaseException] = [error]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        wrapped = getattr(current, "kwargs", {}).get("error")
        members = getattr(current, "exceptions", ())
        links = (wrapped, current.__cause__, current.__context__, *members)
        stack.extend(link for link in links if isinstance(link, BaseException))
