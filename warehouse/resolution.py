"""What the resolve reads and writes: the labels it resolves, the verdicts, agreement and
annotator pairs it writes (each replaced whole by every resolve, in one transaction), the review
marks of tasks, and what tells whether a resolve is up to date."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING

import duckdb

from warehouse.annotations import now
from warehouse.db import registered, sql

if TYPE_CHECKING:  # DuckDB makes the frames; pandas itself is needed only to build one
    import pandas as pd


def labels_for_resolution(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return con.execute(sql("labels_for_resolution")).df()


def pair_labels_for_resolution(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return con.execute(sql("pair_labels_for_resolution")).df()


def replace_results(
    con: duckdb.DuckDBPyConnection, *, verdicts: pd.DataFrame, agreement: pd.DataFrame, pairs: pd.DataFrame, run_id: str,
    pair_verdicts: pd.DataFrame | None = None,
) -> None:
    """Replace verdicts, pair verdicts, agreement and annotator pairs with these, in the caller's
    transaction (all or nothing: :func:`warehouse.db.writing`)."""
    import pandas as pd

    at = now()
    v = verdicts.assign(resolved_at=at, run_id=run_id, votes=verdicts["votes"].map(json.dumps))
    a = agreement.assign(computed_at=at, run_id=run_id)
    p = pairs.assign(computed_at=at, run_id=run_id)
    pv = pd.DataFrame() if pair_verdicts is None else pair_verdicts.assign(
        resolved_at=at, run_id=run_id, votes=pair_verdicts["votes"].map(json.dumps)
    )
    con.execute("DELETE FROM verdicts")
    con.execute("DELETE FROM pair_verdicts")
    con.execute("DELETE FROM agreement")
    con.execute("DELETE FROM annotator_pairs")
    with registered(con, **{name: rows for name, rows in (("v", v), ("a", a), ("p", p), ("pv", pv)) if len(rows)}):
        for table, name in (("verdicts", "v"), ("pair_verdicts", "pv")):
            if len({"v": v, "pv": pv}[name]):
                con.execute(
                    f"INSERT INTO {table} BY NAME SELECT * REPLACE (CAST(votes::JSON AS MAP(VARCHAR, INTEGER)) AS votes) FROM {name}"
                )
        if len(a):
            con.execute("INSERT INTO agreement BY NAME SELECT * FROM a")
        if len(p):
            con.execute("INSERT INTO annotator_pairs BY NAME SELECT * FROM p")


def review_marks(con: duckdb.DuckDBPyConnection, ls_url: str, project_id: int) -> list[tuple[int, str]]:
    """(task id, wanted mark) for the tasks whose mark must change."""
    rows = con.execute(sql("review_marks"), {"ls_url": ls_url, "project_id": project_id}).fetchall()
    return [(task_id, wanted) for _, _, task_id, _, wanted in rows]


def record_review_marks(con: duckdb.DuckDBPyConnection, ls_url: str, marks: Sequence[tuple[int, int, str]]) -> None:
    """Record (project id, task id, mark) as set in Label Studio."""
    con.executemany(
        "UPDATE tasks SET review_mark = ? WHERE ls_url = ? AND project_id = ? AND task_id = ?",
        [[mark, ls_url, project_id, task_id] for project_id, task_id, mark in marks],
    )


def resolution_inputs(con: duckdb.DuckDBPyConnection) -> str:
    """A summary of the labels a resolve reads (count, latest landing, deletions)."""
    return con.execute(sql("resolution_inputs")).fetchone()[0]


def last_resolution(con: duckdb.DuckDBPyConnection) -> tuple[str | None, str | None]:
    """(inputs, policy) of the latest completed resolve that marked tasks, or (None, None)."""
    row = con.execute(sql("last_resolution")).fetchone()
    return (row[0], row[1]) if row else (None, None)
