"""Loads for the Label Studio loop: task mappings, raw annotations, labels."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from operator import itemgetter

from dataclasses import dataclass

import duckdb
import orjson
import pyarrow as pa

from warehouse.db import registered, run, sql
RAW_SCHEMA = pa.schema(
    [("pulled_at", pa.timestamp("us")), ("run_id", pa.string()), ("ls_url", pa.string()), ("project_id", pa.int32()),
     ("task_id", pa.int32()), ("annotation_id", pa.int32()), ("updated_at", pa.timestamp("us")), ("payload", pa.string())]
)
QUARANTINE_SCHEMA = pa.schema(
    [("quarantine_id", pa.string()), ("ls_url", pa.string()), ("project_id", pa.int32()), ("task_id", pa.int32()),
     ("annotation_id", pa.int32()), ("claim_id", pa.string()), ("pair_id", pa.string()), ("updated_at", pa.timestamp("us")),
     ("run_id", pa.string()), ("quarantined_at", pa.timestamp("us")), ("reasons", pa.list_(pa.string())),
     ("label_row", pa.string()), ("payload", pa.string()), ("resolved_at", pa.timestamp("us"))]
)
LABEL_SCHEMA = pa.schema(
    [("ls_url", pa.string()), ("annotation_id", pa.int32()), ("project_id", pa.int32()), ("task_id", pa.int32()),
     ("claim_id", pa.string()), ("annotator_id", pa.int32()), ("annotator", pa.string()), ("verdict", pa.string()),
     ("confidence", pa.int32()), ("rationale", pa.string()), ("evidence_urls", pa.list_(pa.string())),
     ("lead_time", pa.float64()), ("created_at", pa.timestamp("us")), ("updated_at", pa.timestamp("us")),
     ("was_cancelled", pa.bool_()), ("landed_at", pa.timestamp("us")), ("run_id", pa.string()),
     ("updated_by_id", pa.int32()), ("updated_by", pa.string()), ("check_worthy", pa.bool_()), ("evidence_note", pa.string())]
)
PAIR_LABEL_SCHEMA = pa.schema(
    [("ls_url", pa.string()), ("annotation_id", pa.int32()), ("project_id", pa.int32()), ("task_id", pa.int32()),
     ("pair_id", pa.string()), ("annotator_id", pa.int32()), ("annotator", pa.string()), ("relation", pa.string()),
     ("rationale", pa.string()), ("lead_time", pa.float64()), ("created_at", pa.timestamp("us")),
     ("updated_at", pa.timestamp("us")), ("was_cancelled", pa.bool_()), ("landed_at", pa.timestamp("us")),
     ("run_id", pa.string()), ("updated_by_id", pa.int32()), ("updated_by", pa.string())]
)


@dataclass(frozen=True)
class Tables:
    """Where one kind of Label Studio task lives in the warehouse: its task mapping, its label
    rows, and the id column of what each task is about (a claim, or a pair of claims)."""

    tasks: str
    labels: str
    subject: str
    label_schema: pa.Schema

    @property
    def task_schema(self) -> pa.Schema:
        return pa.schema(
            [("ls_url", pa.string()), ("project_id", pa.int32()), (self.subject, pa.string()), ("task_id", pa.int32()),
             ("pushed_at", pa.timestamp("us")), ("ls_updated_at", pa.timestamp("us")), ("run_id", pa.string())]
        )

    def sql(self, name: str) -> str:
        return sql(name, tasks=self.tasks, labels=self.labels, subject=self.subject)


CLAIMS = Tables("tasks", "labels", "claim_id", LABEL_SCHEMA)
PAIRS = Tables("pair_tasks", "pair_labels", "pair_id", PAIR_LABEL_SCHEMA)


def now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _run(
    con: duckdb.DuckDBPyConnection, statement: str, params: dict | None = None, *, tables: Tables = CLAIMS, **relations: pa.Table
) -> list:
    with registered(con, **relations):
        return run(con, tables.sql(statement), params)


def claims_to_push(
    con: duckdb.DuckDBPyConnection, ls_url: str, project_id: int, threshold: float, may_contradict: float = 0.5
) -> list[dict]:
    """Claims at or above ``threshold`` not yet in the project, most check-worthy first, each
    with ``matches``: its most similar claims of other articles (see :func:`claim_matches`), and
    ``fact_checks``: the published fact-checks it matches (:func:`claim_fact_checks`)."""
    cursor = con.execute(sql("claims_to_push"), {"threshold": threshold, "ls_url": ls_url, "project_id": project_id})
    columns = [d[0] for d in cursor.description]
    rows = [dict(zip(columns, row)) for row in cursor.fetchall()]
    matches = claim_matches(con, [r["claim_id"] for r in rows], may_contradict=may_contradict)
    checked = claim_fact_checks(con, [r["claim_id"] for r in rows])
    for r in rows:
        r["matches"] = matches.get(r["claim_id"], [])
        r["fact_checks"] = checked.get(r["claim_id"], [])
    return rows


def claim_fact_checks(con: duckdb.DuckDBPyConnection, claim_ids: Sequence[str], limit: int = 3) -> dict[str, list[dict]]:
    """claim id -> its ``limit`` best fact-check matches, best first (claim_reviewed, rating,
    verdict, publisher, reviewed_at, url, score, rank, method)."""
    return _per_claim(con, "claim_fact_check_matches", claim_ids, {"limit": limit})


def claim_matches(
    con: duckdb.DuckDBPyConnection, claim_ids: Sequence[str], limit: int = 3, may_contradict: float = 0.5
) -> dict[str, list[dict]]:
    """claim id -> ``limit`` claims of other articles paired with it (claim, article_title,
    source, published_at, similarity, contradiction, relation, reasons): those whose contradiction reaches
    ``may_contradict`` first, then the most similar."""
    return _per_claim(con, "claim_matches", claim_ids, {"limit": limit, "may_contradict": may_contradict})


def _per_claim(con: duckdb.DuckDBPyConnection, query: str, claim_ids: Sequence[str], params: dict) -> dict[str, list[dict]]:
    """The rows of a query over the claims of table ``wanted``, as claim id -> its rows (dicts)."""
    if not claim_ids:
        return {}
    with registered(con, wanted=pa.table({"claim_id": pa.array(list(claim_ids), pa.string())})):
        cursor = con.execute(sql(query), params)
        columns = [d[0] for d in cursor.description]
        rows = cursor.fetchall()
    found: dict[str, list[dict]] = {}
    for row in rows:
        record = dict(zip(columns, row))
        found.setdefault(record.pop("claim_id"), []).append(record)
    return found


def pairs_to_push(con: duckdb.DuckDBPyConnection, ls_url: str, project_id: int, threshold: float) -> list[dict]:
    """Pairs whose contradiction reaches ``threshold`` not yet in the pair project, likeliest first."""
    cursor = con.execute(sql("pairs_to_push"), {"threshold": threshold, "ls_url": ls_url, "project_id": project_id})
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row)) for row in cursor.fetchall()]


def pair_candidates(con: duckdb.DuckDBPyConnection, threshold: float) -> int:
    """How many pairs reach the pair push threshold."""
    return con.execute("SELECT count(*) FROM claim_pairs WHERE contradiction >= ?", [threshold]).fetchone()[0]


def mapped_projects(con: duckdb.DuckDBPyConnection, ls_url: str, tables: Tables = CLAIMS) -> list[int]:
    """The projects of this server claimflow pushed tasks of this kind to."""
    return [p for (p,) in _run(con, "mapped_projects", {"ls_url": ls_url}, tables=tables)]


def mapped_task_count(con: duckdb.DuckDBPyConnection, ls_url: str, project_id: int, tables: Tables = CLAIMS) -> int:
    return _run(con, "mapped_task_count", {"ls_url": ls_url, "project_id": project_id}, tables=tables)[0][0]


def record_tasks(
    con: duckdb.DuckDBPyConnection, ls_url: str, project_id: int, pairs: Iterable[tuple[str, int]], run_id: str,
    tables: Tables = CLAIMS,
) -> int:
    """Record (claim or pair id, task id) mappings; return how many were new."""
    at = now()
    rows = [
        {"ls_url": ls_url, "project_id": project_id, tables.subject: c, "task_id": t, "pushed_at": at, "ls_updated_at": None,
         "run_id": run_id}
        for c, t in pairs
    ]
    if not rows:
        return 0
    return len(_run(con, "upsert_tasks", tables=tables, batch=pa.Table.from_pylist(rows, schema=tables.task_schema)))


def record_matches_hashes(con: duckdb.DuckDBPyConnection, ls_url: str, project_id: int, hashes: dict[str, str]) -> None:
    """Remember the hash of the matches each claim's task shows (claim id -> hash)."""
    if hashes:
        batch = pa.table({"claim_id": pa.array(list(hashes), pa.string()), "matches_hash": pa.array(list(hashes.values()), pa.string())})
        _run(con, "record_matches_hashes", {"ls_url": ls_url, "project_id": project_id}, batch=batch)


def tasks_with_matches(con: duckdb.DuckDBPyConnection, ls_url: str, project_id: int) -> list[tuple[int, str, str | None]]:
    """(task id, claim id, matches hash) of the project's claim tasks whose claim is in a pair."""
    return _run(con, "tasks_with_matches", {"ls_url": ls_url, "project_id": project_id})


def task_state(
    con: duckdb.DuckDBPyConnection, ls_url: str, project_id: int, tables: Tables = CLAIMS
) -> dict[int, tuple[str, datetime | None]]:
    """task id -> (claim or pair id, the task's updated_at when last landed)."""
    rows = _run(con, "task_state", {"ls_url": ls_url, "project_id": project_id}, tables=tables)
    return {t: (c, u) for t, c, u in rows}


def label_versions(
    con: duckdb.DuckDBPyConnection, ls_url: str, task_ids: list[int], tables: Tables = CLAIMS
) -> tuple[dict[int, datetime | None], dict[int, datetime | None]]:
    """For these tasks, annotation id -> updated_at of the labels landed (deleted ones
    excluded), and of the annotations quarantined and not resolved yet."""
    if not task_ids:
        return {}, {}
    wanted = pa.table({"task_id": pa.array(task_ids, pa.int32())})
    landed = dict(_run(con, "landed_versions", {"ls_url": ls_url}, tables=tables, wanted=wanted))
    quarantined = dict(_run(con, "quarantined_versions", {"ls_url": ls_url}, wanted=wanted))
    return landed, quarantined


def mark_tasks_deleted(
    con: duckdb.DuckDBPyConnection, ls_url: str, project_id: int, task_ids: list[int], tables: Tables = CLAIMS
) -> int:
    """Labels of tasks deleted in Label Studio are marked deleted (rows and raw JSON stay);
    returns how many labels that marked. In the caller's transaction."""
    gone = pa.table({"task_id": pa.array(task_ids, pa.int32())})
    return len(_run(con, "mark_deleted_task_labels", {"now": now(), "ls_url": ls_url, "project_id": project_id},
                    tables=tables, gone=gone))


def held_annotation_counts(
    con: duckdb.DuckDBPyConnection, ls_url: str, project_id: int, tables: Tables = CLAIMS
) -> dict[int, int]:
    """task id -> how many of its annotations the warehouse holds (live labels and unresolved
    quarantine rows, each annotation once); tasks holding none are left out."""
    return dict(_run(con, "held_annotation_counts", {"ls_url": ls_url, "project_id": project_id}, tables=tables))


def land_watermark(con: duckdb.DuckDBPyConnection, ls_url: str, project_id: int) -> datetime | None:
    """The latest task update already landed, or None when nothing was landed yet."""
    row = con.execute(
        "SELECT updated_at FROM land_watermarks WHERE ls_url = ? AND project_id = ?", [ls_url, project_id]
    ).fetchone()
    return row[0] if row else None


def append_raw(
    con: duckdb.DuckDBPyConnection, *, ls_url: str, project_id: int, run_id: str, raw: list[dict], at: datetime
) -> int:
    """Append pulled annotations (``raw``: task_id, annotation_id, updated_at, payload) to
    annotations_raw, each payload's JSON as Label Studio gave it; inside the caller's
    transaction (the land's). Returns how many."""
    if not raw:
        return 0
    payloads = [_raw_json(r["payload"]) for r in raw]
    table = _table(raw, RAW_SCHEMA, {"payload": payloads}, pulled_at=at, run_id=run_id, ls_url=ls_url, project_id=project_id)
    with registered(con, batch=table):
        con.execute("INSERT INTO annotations_raw BY NAME SELECT * FROM batch")
    return len(raw)


def land_labels(
    con: duckdb.DuckDBPyConnection,
    *,
    ls_url: str,
    project_id: int,
    run_id: str,
    labels: list[dict],
    quarantine: list[dict],
    changed: dict[int, datetime],
    present: list[int],
    seen_until: datetime | None,
    at: datetime,
    tables: Tables = CLAIMS,
) -> dict:
    """Inside the caller's transaction (the land's, which appended the raw annotations first):
    upsert the labels that passed the gate, quarantine the rows that failed it (``quarantine``:
    task_id, annotation_id, claim_id, updated_at, reasons, label_row, payload) and resolve
    quarantine rows of annotations that now landed, mark labels deleted that the changed tasks
    no longer have, and move those tasks' and the project's watermarks (to ``seen_until``, the
    server's clock when the pull began). Returns counts."""
    batch_of = {"run_id": run_id, "ls_url": ls_url, "project_id": project_id}
    changed_table = pa.table({"task_id": pa.array(list(changed), pa.int32()),
                              "ls_updated_at": pa.array(list(changed.values()), pa.timestamp("us"))})
    present_table = pa.table({"annotation_id": pa.array(present, pa.int32())})
    quarantine_rows = [
        {**{k: q.get(k) for k in QUARANTINE_SCHEMA.names}, "quarantine_id": quarantine_id(ls_url, q), "ls_url": ls_url,
         "project_id": project_id, "run_id": run_id, "quarantined_at": at, "resolved_at": None,
         "payload": _json(q["payload"]), "label_row": _json(q["label_row"]) if q.get("label_row") is not None else None}
        for q in _numbered(quarantine)
    ]
    existing = 0
    upserted, resolved = [], []
    if labels:
        batch = _table(labels, tables.label_schema, landed_at=at, **batch_of)
        with registered(con, batch=batch):
            existing = con.execute(
                "SELECT count(DISTINCT b.annotation_id) FROM batch b"
                f" SEMI JOIN {tables.labels} l ON l.ls_url = b.ls_url AND l.annotation_id = b.annotation_id"
            ).fetchone()[0]
        upserted = _run(con, "upsert_labels", tables=tables, batch=batch)
        landed = pa.table({"annotation_id": batch.column("annotation_id")})
        resolved = _run(con, "resolve_quarantine", {"now": at, "ls_url": ls_url}, landed=landed)
    quarantined = []
    if quarantine_rows:
        quarantined = _run(con, "insert_quarantine", batch=pa.Table.from_pylist(quarantine_rows, schema=QUARANTINE_SCHEMA))
    deleted = _run(con, "mark_deleted_labels", {"now": at, "ls_url": ls_url}, tables=tables, changed=changed_table,
                   present=present_table)
    _run(con, "update_task_watermarks", {"ls_url": ls_url, "project_id": project_id}, tables=tables, changed=changed_table)
    if seen_until is not None:
        _run(con, "set_land_watermark", {"ls_url": ls_url, "project_id": project_id, "updated_at": seen_until, "landed_at": at})
    return {
        "labels_new": len(upserted) - existing, "labels_updated": existing, "labels_deleted": len(deleted),
        "quarantined": len(quarantine_rows), "quarantined_new": len(quarantined), "quarantine_resolved": len(resolved),
        "deleted_task_ids": sorted({task_id for _, task_id in deleted}),
    }


def _table(rows: list[dict], schema: pa.Schema, columns: dict[str, Sequence] | None = None, **constants) -> pa.Table:
    """Rows as a table of ``schema``, built column by column (much faster than from_pylist):
    one pass takes every row's fields as a tuple, ``zip`` turns them into columns; a field a row
    lacks is NULL. ``columns`` (one value per row) and ``constants`` fill whole columns instead."""
    built: dict[str, Sequence] = dict(columns or {})
    names = [f.name for f in schema if f.name not in constants and f.name not in built]
    built |= dict.fromkeys(names, ())
    if rows and names:
        get = itemgetter(*names) if len(names) > 1 else (lambda r: (r[names[0]],))
        try:
            values = [get(r) for r in rows]
        except KeyError:
            values = [tuple(r.get(n) for n in names) for r in rows]
        built |= dict(zip(names, zip(*values)))
    arrays = [pa.array([constants[f.name]] * len(rows) if f.name in constants else built[f.name], f.type) for f in schema]
    return pa.Table.from_arrays(arrays, schema=schema)


def _raw_json(value) -> str:
    """The payload as JSON, keys in the order Label Studio gave them (orjson: ~8x json.dumps;
    json for what orjson refuses, such as integers over 64 bits)."""
    try:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode("utf-8")
    except (TypeError, orjson.JSONEncodeError):
        return json.dumps(value, ensure_ascii=False, default=str)


def _json(value) -> str:
    """Canonical JSON (sorted keys), for hashing and for the flattened rows kept in quarantine."""
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS, default=str).decode("utf-8")
    except (TypeError, orjson.JSONEncodeError):
        return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def _numbered(quarantine: list[dict]) -> Iterable[dict]:
    """Each row with ``occurrence``: how many identical payloads of its task came before it in
    the batch, so two identical bad payloads stay two rows."""
    seen: dict[tuple, int] = {}
    for q in quarantine:
        key = (q.get("task_id"), _json(q["payload"]))
        seen[key] = seen.get(key, -1) + 1
        yield q | {"occurrence": seen[key]}


def quarantine_id(ls_url: str, row: dict) -> str:
    """Stable id of a quarantined payload: the same bad annotation pulled again is the same row."""
    key = f"{ls_url}\n{row.get('task_id')}\n{row.get('occurrence', 0)}\n{_json(row['payload'])}"
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


def quarantine_notices(
    con: duckdb.DuckDBPyConnection, ls_url: str, project_id: int, tables: Tables = CLAIMS
) -> list[tuple[int, str, list[dict]]]:
    """(task id, notice written last, open quarantined answers) of the project's tasks whose
    notice may have to change: those with open answers, and those whose notice is not cleared
    yet (with none). An answer is open until it, or a later answer of its annotator, lands."""
    rows = con.execute(tables.sql("quarantine_notices"), {"ls_url": ls_url, "project_id": project_id}).fetchall()
    return [(task_id, current, [a | {"label_row": json.loads(a["label_row"]) if a["label_row"] else {}} for a in answers or []])
            for task_id, current, answers in rows]


def record_quarantine_notices(
    con: duckdb.DuckDBPyConnection, ls_url: str, project_id: int, notices: dict[int, str], tables: Tables = CLAIMS
) -> None:
    """Record the notices as written to the tasks in Label Studio."""
    con.executemany(
        f"UPDATE {tables.tasks} SET quarantine_notice = ? WHERE ls_url = ? AND project_id = ? AND task_id = ?",
        [[notice, ls_url, project_id, task_id] for task_id, notice in notices.items()],
    )
