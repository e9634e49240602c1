"""Named errors of the annotation package."""


class AnnotationError(Exception):
    """Base class of the annotation package's errors."""


class LabelStudioUnavailable(AnnotationError):
    """Label Studio cannot be reached or answered with a server error (worth retrying)."""


class LabelStudioAuthError(AnnotationError):
    """Label Studio refused the API token."""


class LabelStudioRequestError(AnnotationError):
    """Label Studio refused a request (4xx other than authentication)."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


class ServerStartError(AnnotationError):
    """A local server (Label Studio, Prefect, PostgreSQL) could not be started."""


class ConfigError(AnnotationError):
    """The labeling config lacks a control that claimflow reads or writes."""
