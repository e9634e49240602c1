"""Named errors of the claims package."""


class ClaimsError(Exception):
    """Base class of the claims package's errors."""


class SourceError(ClaimsError):
    """An input file or row could not be read as an article; the message names it."""

    def __init__(self, path: str, reason: str, line: int | None = None):
        self.path = str(path)
        self.reason = reason
        self.line = line
        where = f"{self.path}:{line}" if line is not None else self.path
        super().__init__(f"{where}: {reason}")


class OffsetError(ClaimsError):
    """A claim's offsets do not point at its text in the stored article."""


class MatcherError(ClaimsError, ValueError):
    """A matcher model file is missing or unreadable; the message names it."""
