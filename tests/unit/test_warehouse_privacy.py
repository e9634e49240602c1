"""The warehouse holds annotators' e-mails and rationales: the folder claimflow creates for it is
0700, the DuckDB file it creates 0600, and so is the write-ahead log DuckDB creates at each write,
whatever the user's umask."""

import os
import stat

import pytest

from warehouse.db import connection


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def open_umask():
    before = os.umask(0o022)
    yield
    os.umask(before)


def test_a_new_warehouse_its_folders_and_its_wal_are_the_owner_s_alone(tmp_path, open_umask):
    db = tmp_path / "data" / "warehouse" / "claimflow.duckdb"
    with connection(db) as con:
        con.execute("SET checkpoint_threshold = '1GB'")  # keep the .wal of this write until the connection closes
        con.execute("CREATE TABLE notes AS SELECT 'annotator@example.org' AS email")
        wal = db.with_name(db.name + ".wal")
        assert wal.exists() and mode(wal) == 0o600
        assert mode(db) == 0o600
    assert mode(db) == 0o600
    assert mode(db.parent) == 0o700 and mode(db.parent.parent) == 0o700
    assert os.umask(0o022) == 0o022  # restored when the connection closed


def test_each_writes_wal_is_private_again_after_a_checkpoint_removed_the_last(tmp_path, open_umask):
    db = tmp_path / "claimflow.duckdb"
    for value in ("first", "second"):
        with connection(db) as con:
            con.execute("SET checkpoint_threshold = '1GB'")
            con.execute("CREATE OR REPLACE TABLE notes AS SELECT ? AS note", [value])
            assert mode(db.with_name(db.name + ".wal")) == 0o600
        assert not db.with_name(db.name + ".wal").exists()


def test_an_existing_folder_keeps_its_mode(tmp_path, open_umask):
    folder = tmp_path / "shared"
    folder.mkdir(mode=0o750)
    os.chmod(folder, 0o750)
    with connection(folder / "claimflow.duckdb"):
        pass
    assert mode(folder) == 0o750 and mode(folder / "claimflow.duckdb") == 0o600
