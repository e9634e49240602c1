"""Named errors of the training package: each message names the cause (a file and line, or the
last lines a failed job printed)."""

from claims.errors import SourceError


class TrainingError(Exception):
    """Base class of the training package's errors."""


class DatasetError(TrainingError, SourceError):
    """A labelled TSV could not be read; the message names the file and line."""


class FineTuningError(TrainingError):
    """Fine-tuning in the training venv failed; the message gives its last lines of output."""


class ConfigError(TrainingError):
    """A training config could not be read; the message names the file."""
