"""The inbox flow: ingest the article files dropped in a folder since the last run.

Only new files are read: a file is remembered (table inbox_files) by its path, size and
modification time, so it is read again only when it changes. Only a complete file is read: names
a writer uses while writing (dot-files, ``*.tmp``, ``*.part``, a ``~`` at the end) are passed
over, so writing under such a name and renaming when done always works; any other file is read
once two runs at least ``CLAIMFLOW_INBOX_SETTLE_SECONDS`` apart have seen it with the same size
and modification time, unchanged for that long (0: at once). Until then it waits. A broken file is
reported (a warning in the run's log, the ``inbox`` artifact, the ingest_failures table) and
remembered, and the other files are ingested; the run completes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from prefect import flow, get_run_logger
from prefect.artifacts import create_table_artifact
from prefect.runtime import flow_run

from claims.sources import expand_paths
from flows.ingest import IngestReport, ingest_flow
from flows.runs import own_this_run
from flows.settings import get_settings
from flows.writer import one_writer
from warehouse import inbox as memory
from warehouse.db import writing


@dataclass
class InboxReport:
    inbox: str
    files_new: int = 0
    files_waiting: int = 0  # maybe still being written: read once seen unchanged over the settle window
    failed: list[dict] = field(default_factory=list)
    ingest: IngestReport | None = None

    def counts(self) -> dict:
        return {"files_new": self.files_new, "files_waiting": self.files_waiting, "files_failed": len(self.failed)}


TEMPORARY_SUFFIXES = (".tmp", ".part")


def temporary(path: Path) -> bool:
    """A name a writer gives a file while writing it (renamed when complete)."""
    name = path.name
    return name.startswith(".") or name.endswith("~") or path.suffix.lower() in TEMPORARY_SUFFIXES


def _versions(folder: Path, settle: float) -> tuple[list[tuple[str, int, int]], int]:
    """(path, size, mtime_ns) of the supported files in ``folder`` (temporary names passed over),
    and how many are too fresh."""
    files, _ = expand_paths([folder])  # an empty inbox is no error here
    now, ready, waiting = time.time_ns(), [], 0
    for path in files:
        if temporary(path):
            continue
        try:
            stat = path.stat()
        except OSError:
            continue  # gone since the listing
        if now - stat.st_mtime_ns < settle * 1e9:
            waiting += 1
        else:
            ready.append((str(path), stat.st_size, stat.st_mtime_ns))
    return ready, waiting


@flow(name="ingest-inbox")
def inbox_flow(inbox: str | None = None, db: str | None = None) -> InboxReport:
    """Ingest the files of the inbox folder not read before; report the broken ones."""
    own_this_run()
    settings = get_settings(db=db, inbox=inbox)
    folder = Path(settings.inbox).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    report = InboxReport(inbox=str(folder))
    logger = get_run_logger()
    with one_writer(settings):
        settle = settings.inbox_settle_seconds
        versions, report.files_waiting = _versions(folder, settle)

        def note_unread(con) -> tuple[list, list]:  # read and written again whole if a DuckLake commit conflicts
            unread = [v for v in versions if v not in memory.seen(con, versions)]
            new = unread
            if settle > 0:  # read only what an earlier run saw, unchanged, a settle window ago
                stable = memory.settled(con, unread, memory.now() - timedelta(seconds=settle))
                new = [v for v in unread if v in stable]
                memory.wait(con, flow_run.id or "inbox", [v for v in unread if v not in stable])
            return unread, new

        unread, new = writing(settings.db, note_unread, "noting the inbox's files")
        report.files_waiting += len(unread) - len(new)
        report.files_new = len(new)
        if not new:
            logger.info("inbox %s: nothing new (%d file(s) still being written)", folder, report.files_waiting)
            return report
        report.ingest = ingest_flow(paths=[p for p, _, _ in new], db=settings.db_parameter)
        reasons: dict[str, list[str]] = {}
        for f in report.ingest.failures:
            reasons.setdefault(f["path"], []).append(f"line {f['line']}: {f['reason']}" if f.get("line") else f["reason"])
        rows = [
            {"path": p, "size": size, "mtime_ns": mtime, "status": "failed" if p in reasons else "ingested",
             "reason": "; ".join(reasons[p])[:2000] if p in reasons else None}
            for p, size, mtime in new
        ]
        writing(settings.db, lambda con: memory.record(con, report.ingest.run_id, rows), "recording the inbox's files")
    report.failed = [r for r in rows if r["status"] == "failed"]
    for r in report.failed:
        logger.warning("inbox file %s not ingested: %s", r["path"], r["reason"])
    create_table_artifact(
        key="inbox", table=[{"file": Path(r["path"]).name, "status": r["status"], "reason": r["reason"] or ""} for r in rows],
        description=f"Files ingested from {folder}",
    )
    logger.info("inbox %s: %s", folder, report.counts())
    return report
