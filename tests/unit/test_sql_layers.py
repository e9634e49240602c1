"""The warehouse's SQL in layers: staging (loads), marts (one analyst view a file, its grain on
its first line, in dependency order), queries and report; a statement is found by its name alone."""

import re
from pathlib import Path

import pytest

from warehouse.db import SQL_LAYERS, index_sql_files, marts, sql, sql_files
from warehouse.errors import MigrationError

WAREHOUSE = Path(__file__).resolve().parent.parent.parent / "warehouse"


def test_every_statement_file_has_a_name_of_its_own():
    assert len(sql_files()) == len(list((WAREHOUSE / "sql").rglob("*.sql")))


def test_a_name_used_in_two_layers_is_refused(tmp_path):
    for layer in ("staging", "queries"):
        (tmp_path / layer).mkdir()
        (tmp_path / layer / "twice.sql").write_text("SELECT 1")
    with pytest.raises(MigrationError, match="twice"):
        index_sql_files(tmp_path)


def test_a_file_outside_the_layers_is_not_a_statement(tmp_path):
    (tmp_path / "queries").mkdir()
    (tmp_path / "queries" / "sorted.sql").write_text("SELECT 1")
    (tmp_path / "flat.sql").write_text("SELECT 2")
    assert set(index_sql_files(tmp_path)) == {"sorted"}


def test_no_statement_file_lies_outside_the_layers():
    assert not list((WAREHOUSE / "sql").glob("*.sql"))


def test_the_layers_are_the_folders():
    assert sorted(p.name for p in (WAREHOUSE / "sql").iterdir() if p.is_dir()) == sorted(SQL_LAYERS)


@pytest.mark.parametrize("name, statement", marts())
def test_each_mart_is_one_view_named_as_its_file_with_its_grain_first(name, statement):
    assert statement.startswith("-- One row per")
    assert re.findall(r"CREATE OR REPLACE VIEW (\w+)", statement) == [name]
    assert sql(name) == statement


def test_a_mart_comes_after_the_marts_it_reads():
    names = [name for name, _ in marts()]
    for position, (name, statement) in enumerate(marts()):
        read = set(re.findall(r"main\.(\w+)", statement)) & set(names)
        assert all(names.index(other) < position for other in read), (name, read)


def test_every_statement_the_warehouse_names_exists():
    named = {m for path in WAREHOUSE.glob("*.py") for m in re.findall(r'\bsql\("(\w+)"', path.read_text())}
    assert named and named <= set(sql_files())
