"""Named errors of the warehouse package."""


class WarehouseError(Exception):
    """Base class of the warehouse's errors."""


class MigrationError(WarehouseError):
    """A migration file could not be applied; the message names it."""


class DatabaseLocked(WarehouseError):
    """Another process holds the DuckDB file open for writing."""


class DatabaseUnreadable(WarehouseError):
    """The file cannot be opened as a DuckDB database (not one, another version, no permission)."""
