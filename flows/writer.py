"""One flow writes a warehouse at a time: a strict Prefect global concurrency limit of one slot
per DuckDB file, taken by every flow that writes it.

A flow waits for the slot (``CLAIMFLOW_WRITER_TIMEOUT``) instead of meeting DuckDB's lock error,
in whatever process it runs (a scheduled run of ``claimflow serve``, a land started by a webhook,
a command typed by hand). ``strict``: a Prefect server that cannot give the slot fails the flow
rather than letting it write unguarded. The slot is leased and renewed while the flow runs: a
flow killed with it frees it after ``CLAIMFLOW_WRITER_LEASE_SECONDS``. Subflows (the land's
resolve, the main job's steps) run inside their parent's slot. A process that does not go through
Prefect still gets DuckDB's own "open for writing in another process" error.

A DuckLake warehouse takes several writers at once (its conflicting commits are retried,
warehouse/lake.py): no slot is taken for it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from contextvars import ContextVar
from pathlib import Path

from prefect import get_client
from prefect.concurrency.sync import concurrency

from flows.errors import WriterBusy
from flows.settings import Settings

_held: ContextVar[frozenset[str]] = ContextVar("claimflow_writer_slots", default=frozenset())
_ensured: set[tuple[str, str]] = set()


def limit_name(db: str | Path) -> str:
    """The global concurrency limit of one DuckDB file (by its absolute path)."""
    digest = hashlib.sha256(str(Path(db).resolve()).encode()).hexdigest()[:16]
    return f"claimflow-writer-{digest}"


def ensure_limit(name: str) -> None:
    """Create the limit with one slot if the server does not have it (once per process and server)."""
    with get_client(sync_client=True) as client:
        key = (str(client.api_url), name)
        if key not in _ensured:
            client.upsert_global_concurrency_limit_by_name(name, 1)
            _ensured.add(key)


@contextmanager
def one_writer(settings: Settings) -> Iterator[None]:
    """Hold the writer slot of ``settings.db`` for the block (at once if this flow's parent holds
    it, or the warehouse is a DuckLake catalog)."""
    if settings.db_is_lake:
        yield
        return
    name = limit_name(settings.db)
    held = _held.get()
    if name in held:
        yield
        return
    ensure_limit(name)
    with ExitStack() as stack:
        try:
            stack.enter_context(concurrency(
                name, occupy=1, strict=True, timeout_seconds=settings.writer_timeout, lease_duration=settings.writer_lease_seconds
            ))
        except TimeoutError as exc:
            raise WriterBusy(
                f"another flow has been writing {settings.db_name} for more than CLAIMFLOW_WRITER_TIMEOUT="
                f"{settings.writer_timeout:.0f} s (Prefect global concurrency limit {name}); try again when it is done"
            ) from exc
        token = _held.set(held | {name})
        try:
            yield
        finally:
            _held.reset(token)
