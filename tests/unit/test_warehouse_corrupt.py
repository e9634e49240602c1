"""A warehouse whose blocks are corrupt (its header intact) is named corrupt at once, with the
file and how to recover: never taken for a file another process holds open."""

import time

import pytest

from warehouse.db import connect, connection, set_lock_wait
from warehouse.errors import DatabaseCorrupt, DatabaseLocked

BLOCKS_START = 3 * 4096  # DuckDB's main header and its two database headers come first


def corrupt_blocks(path) -> None:
    """Overwrite the checksum and first bytes of every 4 KiB past the headers, as a bad disk might."""
    data = bytearray(path.read_bytes())
    for at in range(BLOCKS_START, len(data), 4096):
        data[at : at + 16] = b"\xff" * 16
    path.write_bytes(bytes(data))


@pytest.fixture
def corrupt_warehouse(tmp_path):
    db = tmp_path / "claimflow.duckdb"
    with connection(db) as con:
        con.execute("INSERT INTO articles (article_id, title, text, n_chars, n_words, ingested_at) VALUES ('a1', 'T', 'Text.', 5, 1, now())")
    header = db.read_bytes()[:BLOCKS_START]
    corrupt_blocks(db)
    assert db.read_bytes()[:BLOCKS_START] == header
    return db


@pytest.mark.parametrize("read_only", [False, True])
def test_a_corrupt_warehouse_is_named_corrupt_at_once_with_the_file_and_the_way_back(corrupt_warehouse, read_only):
    set_lock_wait(5)
    began = time.monotonic()
    with pytest.raises(DatabaseCorrupt) as caught:
        connect(corrupt_warehouse, read_only=read_only)
    assert time.monotonic() - began < 2  # no wait for a lock that nobody holds
    message = str(caught.value)
    assert message.startswith(f"{corrupt_warehouse} is corrupt (Corrupt database file: ")
    assert "open for writing" not in message and "\n" not in message
    assert "`claimflow land` pulls every annotation from Label Studio again" in message
    assert not isinstance(caught.value, DatabaseLocked)
