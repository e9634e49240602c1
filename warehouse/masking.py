"""Passwords out of text: the DuckLake catalog's connection string carries one, and DuckDB's own
error messages repeat that string. Kept apart from warehouse/lake.py so that the CLI and the log
handlers can mask a line without importing DuckDB."""

from __future__ import annotations

import re

_PASSWORD = re.compile(r"(password\s*=\s*)('(?:[^']|'')*'|\"[^\"]*\"|[^\s'\"]+)", re.I)
_URL_PASSWORD = re.compile(r"(://[^:/@\s]+:)[^@\s]+@")


def mask(text: str) -> str:
    """``text`` with every password in it (``password=...``, ``user:...@`` in a URL) as ``***``."""
    return _URL_PASSWORD.sub(r"\1***@", _PASSWORD.sub(r"\1***", text))
