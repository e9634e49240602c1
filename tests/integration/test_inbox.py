"""The inbox reads a file only once it is complete: under a real Prefect server, into a real
DuckDB file, with a writer that takes longer between chunks than the settle window."""

import time

import pytest

from tests.conftest import SAMPLES
from warehouse.db import connection

pytestmark = pytest.mark.usefixtures("prefect_server")

SETTLE = 1.0


@pytest.fixture
def inbox(tmp_path, monkeypatch):
    folder = tmp_path / "inbox"
    folder.mkdir()
    monkeypatch.setenv("CLAIMFLOW_INBOX_SETTLE_SECONDS", str(SETTLE))
    return folder


def whole_article(path):
    from claims.sources import read_articles

    (article,) = read_articles([path], 2_000_000)
    return article


def articles(db_path) -> list[tuple[str, str]]:
    with connection(db_path, read_only=True) as con:
        return con.execute("SELECT article_id, text FROM articles").fetchall()


def test_a_file_written_slowly_in_chunks_lands_once_and_whole(inbox, db_path):
    from flows.inbox import inbox_flow

    text = next(SAMPLES.glob("001-*")).read_text(encoding="utf-8")
    third = len(text) // 3
    path = inbox / "slow.txt"
    runs = []
    with path.open("w", encoding="utf-8") as out:
        for chunk in (text[:third], text[third : 2 * third], text[2 * third :]):
            out.write(chunk)
            out.flush()
            time.sleep(SETTLE * 1.6)  # the writer pauses longer than the settle window, then a run polls
            runs.append(inbox_flow(inbox=str(inbox), db=str(db_path)))
    assert [r.files_new for r in runs] == [0, 0, 0] and all(r.files_waiting == 1 for r in runs)
    assert articles(db_path) == []

    time.sleep(SETTLE * 1.2)
    done = inbox_flow(inbox=str(inbox), db=str(db_path))
    again = inbox_flow(inbox=str(inbox), db=str(db_path))
    assert (done.files_new, again.files_new, again.files_waiting) == (1, 0, 0)
    whole = whole_article(path)
    assert articles(db_path) == [(whole.article_id, whole.text)]
    with connection(db_path, read_only=True) as con:
        assert con.execute("SELECT path, status FROM inbox_files").fetchall() == [(str(path.resolve()), "ingested")]


@pytest.mark.parametrize("name", [".monday.md", "monday.md.tmp", "monday.md.part", "monday.md~"])
def test_a_file_written_under_a_temporary_name_is_read_once_renamed(inbox, db_path, name):
    from flows.inbox import inbox_flow

    text = next(SAMPLES.glob("002-*")).read_text(encoding="utf-8")
    draft = inbox / name
    draft.write_text(text[: len(text) // 2], encoding="utf-8")
    time.sleep(SETTLE * 1.2)
    first = inbox_flow(inbox=str(inbox), db=str(db_path))
    time.sleep(SETTLE * 1.2)
    second = inbox_flow(inbox=str(inbox), db=str(db_path))
    assert (first.files_new, first.files_waiting, second.files_new, second.files_waiting) == (0, 0, 0, 0)

    draft.write_text(text, encoding="utf-8")
    draft.rename(inbox / "monday.md")  # complete: renamed to its real name
    time.sleep(SETTLE * 1.2)
    seen = inbox_flow(inbox=str(inbox), db=str(db_path))
    time.sleep(SETTLE * 1.2)
    read = inbox_flow(inbox=str(inbox), db=str(db_path))
    assert (seen.files_new, seen.files_waiting, read.files_new) == (0, 1, 1)
    whole = whole_article(inbox / "monday.md")
    assert articles(db_path) == [(whole.article_id, whole.text)]
