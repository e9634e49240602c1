"""Named errors of the warehouse package."""


class WarehouseError(Exception):
    """Base class of the warehouse's errors."""


class MigrationError(WarehouseError):
    """A migration file could not be applied, or two SQL files share a name; the message names them."""


class DatabaseLocked(WarehouseError):
    """Another process holds the DuckDB file open for writing."""


class DatabaseUnreadable(WarehouseError):
    """The file cannot be opened as a DuckDB database (not one, another version, no permission)."""


class DatabaseCorrupt(DatabaseUnreadable):
    """The file is a DuckDB database whose blocks fail their checksums; the message says how to recover."""


class QueryRefused(WarehouseError):
    """A query of ``claimflow sql`` would reach beyond the warehouse; the message says what it tried."""


class WriteConflict(WarehouseError):
    """Other writers of a DuckLake catalog kept changing the same tables: the write was tried again and again, then given up."""


class SchemaTooNew(MigrationError):
    """The warehouse's schema was written by a newer claimflow; it is left as it is."""
