"""A failure in one article stays in that article when it kills its worker process, and a
one-megabyte paragraph lands beside a good file when a user ingests both."""

import os
import subprocess

import pytest

from claims.extract import extract_parallel
from tests.conftest import ROOT
from tests.unit.test_long_articles import LONG, articles


class _KillsTheWorker(str):
    """Text that ends the process unpickling it, as a worker killed for its memory would end."""

    def __reduce__(self):
        return (os._exit, (1,))


@pytest.mark.slow
def test_an_article_that_kills_its_worker_process_fails_alone():
    batch = articles(6)
    poisoned = batch[2]
    batch[2] = type(poisoned)(**{f: getattr(poisoned, f) for f in poisoned.__dataclass_fields__} | {"text": _KillsTheWorker(poisoned.text)})
    results = list(extract_parallel("blank:en", batch, processes=2, scorer="rules-v1"))
    assert [r.article.source_path for r in results] == [f"a{i}.txt" for i in range(6)]
    failed = [r for r in results if r.error]
    assert [r.article.source_path for r in failed] == ["a2.txt"]
    assert failed[0].error.startswith("extraction failed in a worker process: BrokenProcessPool")
    assert all(len(r.claims) == 1 for r in results if not r.error)


@pytest.mark.slow
def test_a_one_megabyte_paragraph_beside_a_good_file_is_ingested_with_it(tmp_path, local_prefect):
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "good.txt").write_text("Budget News\n\nThe budget rose by 4 percent in 2024, the ministry said on Monday.\n")
    (folder / "long.txt").write_text("Kyiv Update\n\n" + LONG + "\n")
    db = tmp_path / "w.duckdb"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLAIMFLOW_", "LABEL_STUDIO_", "PREFECT_API_URL"))}
    env |= local_prefect | {"CLAIMFLOW_DB": str(db), "CLAIMFLOW_SPACY_MODEL": "blank:en"}  # spaCy's max_length is the same for every pipeline
    env["CLAIMFLOW_SCORER"] = "rules-v1"  # scores play no part here, and the encoder takes most of a minute on 14,000 sentences
    result = subprocess.run([str(ROOT / ".venv" / "bin" / "claimflow"), "ingest", str(folder)], env=env,
                            capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-2000:]
    from warehouse.db import connection

    with connection(db, read_only=True) as con:
        landed = dict(con.execute(
            "SELECT a.source_path, count(c.claim_id) FROM articles a LEFT JOIN claims c USING (article_id) GROUP BY 1").fetchall())
        failures = con.execute("SELECT count(*) FROM ingest_failures").fetchone()[0]
    assert landed[str(folder / "good.txt")] == 1
    assert landed[str(folder / "long.txt")] == LONG.count("said.")
    assert failures == 0
