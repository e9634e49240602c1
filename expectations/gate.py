"""Validating a batch against one of the suites: which rows fail, and which expectations by name.

The suites are the JSON files of the Great Expectations file context in ``gx/expectations``.
Batches are pandas DataFrames (Great Expectations 1.24's SQL path over DuckDB is broken); each
row is identified by its position, so a failing row is found however bad its ids are. An
expectation that cannot even run (a column missing, say) fails every row of the batch.
"""

from __future__ import annotations

import json
import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pandas is imported where a frame is made: a command that validates nothing skips it
    import pandas as pd

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

ROW = "_row"
# Timestamps later than now plus this are not sane (clocks drift a little).
CLOCK_SKEW = timedelta(days=1)


@dataclass(frozen=True)
class Validation:
    """The outcome of validating one batch against one suite."""

    suite: str
    failures: dict[int, list[str]] = field(default_factory=dict)  # row position -> expectation names
    unexpected: dict[str, int] = field(default_factory=dict)  # expectation name -> failing rows
    seconds: float = 0.0

    @property
    def success(self) -> bool:
        return not self.failures

    def add(self, row: int, reason: str) -> None:
        reasons = self.failures.setdefault(row, [])
        if reason not in reasons:
            reasons.append(reason)


def suites_dir():
    return resources.files("expectations").joinpath("gx", "expectations")


def suite_names() -> list[str]:
    return sorted(p.name.removesuffix(".json") for p in suites_dir().iterdir() if p.name.endswith(".json"))


@lru_cache(maxsize=None)
def suite_json(name: str) -> dict:
    """The suite as stored in the repository."""
    path = suites_dir().joinpath(f"{name}.json")
    if not path.is_file():
        raise KeyError(f"no expectation suite {name!r} in {suites_dir()} (have {', '.join(suite_names())})")
    return json.loads(path.read_text(encoding="utf-8"))


def expectation_names(name: str) -> list[str]:
    return [e["meta"]["name"] for e in suite_json(name)["expectations"]]


def parameters(now: datetime | None = None) -> dict:
    """Values for the suites' ``$PARAMETER``s."""
    now = now or datetime.now(timezone.utc).replace(tzinfo=None)
    latest = now + CLOCK_SKEW
    return {"latest_valid_epoch": int((latest - datetime(1970, 1, 1)).total_seconds())}


def with_epochs(frame: pd.DataFrame) -> pd.DataFrame:
    """``<column>_epoch`` (seconds since 1970, as numbers) beside every timestamp column: the
    suites check timestamps as numbers, which Great Expectations compares vectorised (comparing
    timestamps with bounds goes row by row in Python, about 15x slower)."""
    import pandas as pd

    epochs = {
        f"{c}_epoch": frame[c].astype("datetime64[us]").astype("int64").where(frame[c].notna()) / 1_000_000
        for c in frame.columns
        if pd.api.types.is_datetime64_any_dtype(frame[c])
    }
    return frame.assign(**epochs)


@lru_cache(maxsize=1)
def _context():
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    return context


@lru_cache(maxsize=None)
def _suite(name: str):
    from great_expectations.core import ExpectationSuite

    return ExpectationSuite(**suite_json(name))


@lru_cache(maxsize=None)
def _batch_definition(name: str):
    source = _context().data_sources.add_or_update_pandas(f"claimflow_{name}")
    asset = source.add_dataframe_asset(name)
    return asset.add_batch_definition_whole_dataframe("batch")


def prepare(*suites: str) -> None:
    """Import Great Expectations and build the context and these suites' batch definitions now
    (several seconds), e.g. in a thread while waiting on a server, so validating later is quick."""
    for suite in suites:
        _suite(suite)
        _batch_definition(suite)


def validate(suite: str, frame: pd.DataFrame, *, now: datetime | None = None) -> Validation:
    """Validate ``frame`` against ``suite``; failures are keyed by row position in ``frame``."""
    started = time.perf_counter()
    outcome = Validation(suite=suite)
    if frame.empty:
        return outcome
    data = with_epochs(frame.reset_index(drop=True)).assign(**{ROW: range(len(frame))})
    # Great Expectations leaves reference cycles behind (exceptions it catches, their tracebacks
    # and frames). A frame links to its caller's frame, so everything the callers hold (a land's
    # 100,000 rows: about 460,000 objects) would stay alive until the cyclic collector finds the
    # cycle, and that collection then walks them all (0.4 s). In a thread of its own, the frames
    # of the validation end at the thread's, and the callers' objects are freed when they are done.
    with ThreadPoolExecutor(1, thread_name_prefix=f"gx-{suite}") as pool:
        result = pool.submit(_run_suite, suite, data, now).result()
    for r in result.results:
        name = r.expectation_config.meta.get("name") or r.expectation_config.type
        if r.exception_info and r.exception_info.get("raised_exception"):
            for row in range(len(frame)):
                outcome.add(row, f"{name} (could not run: {r.exception_info.get('exception_message')})")
            outcome.unexpected[name] = len(frame)
            continue
        if r.success:
            continue
        rows = {int(hit[ROW]) for hit in r.result.get("unexpected_index_list") or []}
        if not rows:  # failed as a whole, with no rows to blame: the whole batch fails
            rows = set(range(len(frame)))
        for row in rows:
            outcome.add(row, name)
        outcome.unexpected[name] = len(rows)
    return Validation(outcome.suite, outcome.failures, outcome.unexpected, time.perf_counter() - started)


def _run_suite(suite: str, data: pd.DataFrame, now: datetime | None):
    batch = _batch_definition(suite).get_batch(batch_parameters={"dataframe": data})
    return batch.validate(
        _suite(suite),
        result_format={"result_format": "COMPLETE", "unexpected_index_column_names": [ROW]},
        expectation_parameters=parameters(now),
    )
