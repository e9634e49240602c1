"""The fact-check library's commands: ``claimflow factchecks import`` published fact-checks
(ClaimReview JSON-LD, the Google Fact Check Tools API's JSON, CSV/TSV), ``list`` and ``stats``
for people. Importing runs no flow: `claimflow match` looks the claims up in the library."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from flows.cli.app import command, group
from flows.cli.common import DbOption, err, existing_warehouse, fail, load_settings, out, print_rows

factchecks = group("factchecks", "The fact-check library: what has been checked before.")


@command("import", on=factchecks, runs_flows=False)
def factchecks_import(
    paths: Annotated[list[Path], typer.Argument(help="Files of fact-checks: .jsonl, .json, .jsonld (schema.org ClaimReview, or the Google Fact Check Tools API's JSON), .html (pages with ClaimReview JSON-LD), .csv, .tsv.")],
    db: DbOption = None,
) -> None:
    """Import published fact-checks into the warehouse's library (table fact_checks). A record that cannot be read is reported in one line (file, line, field) and left out; the others land together. A re-import adds nothing; an updated review updates its row. `claimflow match` then looks the claims up in the library."""
    from claims.factchecks import Problem, dedupe, read_fact_checks
    from warehouse import factchecks as library
    from warehouse.db import writing

    settings = load_settings(db=db)
    records, problems = [], []
    for path in paths:
        if not path.is_file():
            fail(f"{path}: no such file")
        for item in read_fact_checks(path):
            (problems if isinstance(item, Problem) else records).append(item)
    for problem in problems:
        err.print(f"skipped {problem}", highlight=False, markup=False)
    rows = [r.row() for r in dedupe(records)]
    stored = writing(settings.db, lambda con: library.store_fact_checks(con, rows), "importing the fact-checks")
    out.print(f"{len(rows)} fact-check(s) read: {stored.new} new, {stored.updated} updated, {stored.unchanged} unchanged; "
              f"{len(problems)} record(s) skipped", highlight=False)
    if problems and not rows:
        raise typer.Exit(1)


@command("list", on=factchecks, runs_flows=False)
def factchecks_list(
    search: Annotated[Optional[str], typer.Argument(help="Only fact-checks whose claim or publisher holds these words.")] = None,
    limit: Annotated[int, typer.Option("--limit", help="At most this many.")] = 20,
    db: DbOption = None,
) -> None:
    """List the library's fact-checks, newest review first."""
    from warehouse import factchecks as library
    from warehouse.db import connection

    settings = existing_warehouse(db)
    with connection(settings.db) as con:
        columns, rows = library.fact_check_list(con, search, limit)
    print_rows(columns, rows)


@command("stats", on=factchecks, runs_flows=False)
def factchecks_stats(db: DbOption = None) -> None:
    """The library by publisher and verdict: how many fact-checks, their review dates, and how many claims match them."""
    from warehouse import factchecks as library
    from warehouse.db import connection

    settings = existing_warehouse(db)
    with connection(settings.db) as con:
        columns, rows = library.fact_check_stats(con)
    print_rows(columns, rows)
