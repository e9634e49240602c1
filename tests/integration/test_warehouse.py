"""The warehouse's one writer, across processes."""

import pytest

from warehouse.db import connect, connection
from warehouse.errors import DatabaseLocked


@pytest.mark.slow
def test_a_second_writer_process_gets_a_clear_database_locked_error(db_path):
    import subprocess
    import sys

    with connection(db_path):
        pass
    holder = subprocess.Popen(
        [sys.executable, "-c", f"import duckdb, sys, time; c = duckdb.connect({str(db_path)!r}); print('open', flush=True); time.sleep(30)"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "open"
        with pytest.raises(DatabaseLocked, match="open for writing in another process"):
            connect(db_path)
    finally:
        holder.kill()
        holder.wait()
