"""The ``claimflow`` command line: parses arguments, calls a flow or a library function, and
formats the outcome; every failure is one line and exit status 1 (see :mod:`flows.cli.app`).

``app`` holds the app, its failure formatting and the ``command`` decorator; ``common`` the
shared options and output; the commands live one module per area: ``pipeline`` (the flows),
``training`` (the models), ``warehouse`` (migrate, sql, exports) and ``servers`` (Label Studio,
Prefect, serve)."""

# Importing the area modules declares their commands; --help lists them in this order.
from flows.cli import pipeline, training, warehouse, factchecks, servers  # noqa: F401
from flows.cli.app import app

__all__ = ["app"]
