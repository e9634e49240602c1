"""A write run again after a conflict (warehouse.db.writing): the first attempt's rows are rolled
back and the counts are the last attempt's; the write turn that makes two matches conflict."""

from datetime import date

import duckdb
import pytest

from claims.factchecks import FactCheck, fact_check_id
from warehouse import factchecks, lake
from warehouse.db import connection, take_turn, writing

CONFLICT = "TransactionContext Error: Failed to commit DuckLake transaction.\nTransaction conflict - another transaction has deleted from it"


def fact_check(n: int) -> dict:
    url = f"https://checks.example/{n}"
    claim = f"The harbour bridge carried {n} thousand bicycles in May."
    return FactCheck(fact_check_id(url, claim), claim, "False", "refuted", "Checks", "https://checks.example", url,
                     date(2026, 5, 1), None, None, None, "en", None, f"test:{n}").row()


@pytest.fixture
def no_pause():
    lake.set_conflict_retries(6, 0.0)
    yield
    lake.set_conflict_retries(6, 0.1)


def test_a_write_retried_after_a_conflict_counts_only_what_its_last_attempt_stored(tmp_path, no_pause):
    db = tmp_path / "w.duckdb"
    rows = [fact_check(n) for n in range(3)]
    attempts = []

    def store(con):
        stored = factchecks.store_fact_checks(con, rows)
        attempts.append(stored)
        if len(attempts) == 1:  # as DuckLake refuses a commit: the transaction's rows are rolled back
            raise duckdb.TransactionException(CONFLICT)
        return stored

    stored = writing(db, store, "importing the fact-checks")
    assert len(attempts) == 2
    assert (stored.new, stored.updated, stored.unchanged) == (3, 0, 0)  # not 0 new: the first attempt left nothing
    with connection(db, read_only=True) as con:
        assert con.execute("SELECT count(*), count(DISTINCT fact_check_id) FROM fact_checks").fetchone() == (3, 3)


def test_a_write_that_fails_otherwise_is_not_run_again(tmp_path, no_pause):
    calls = []

    def broken(con):
        calls.append(1)
        raise duckdb.ConversionException("not a conflict")

    with pytest.raises(duckdb.ConversionException):
        writing(tmp_path / "w.duckdb", broken)
    assert calls == [1]


def test_the_match_takes_its_write_turn_and_an_unknown_turn_is_an_error(tmp_path):
    db = tmp_path / "w.duckdb"
    writing(db, lambda con: take_turn(con, "match"))
    with connection(db, read_only=True) as con:
        assert con.execute("SELECT taken_at IS NOT NULL FROM write_turns WHERE name = 'match'").fetchone() == (True,)
    with pytest.raises(ValueError, match="no write turn 'nosuch'"):
        writing(db, lambda con: take_turn(con, "nosuch"))
