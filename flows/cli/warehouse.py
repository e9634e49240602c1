"""The warehouse's commands: ``migrate`` its schema, query it with ``sql``, ``export`` its tables
and views, and ``export-training`` the annotators' judgements as training rows. None runs a flow."""

from __future__ import annotations

import json
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from flows.cli.app import command
from flows.cli.common import DbOption, err, existing_warehouse, fail, load_settings, out, print_rows


@command(runs_flows=False)
def migrate(db: DbOption = None) -> None:
    """Create the warehouse or bring its schema up to date."""
    from warehouse.db import connect, migrate as apply, sql as query
    from warehouse.errors import SchemaTooNew

    settings = load_settings(db=db)
    con = connect(settings.db, migrate_schema=False)
    try:
        applied = apply(con)
        version = con.execute(query("schema_version")).fetchone()[0]
    except SchemaTooNew as exc:
        fail(f"{settings.db_name}: {exc}")
    finally:
        con.close()
    out.print(f"{settings.db_name}: schema version {version}{' (applied ' + ', '.join(applied) + ')' if applied else ''}")


@command(runs_flows=False)
def sql(
    query: Annotated[str, typer.Argument(help="A SQL query over the warehouse (read-only).")],
    db: DbOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print rows as JSON lines.")] = False,
    out_dir: Annotated[
        Optional[Path],
        typer.Option("--out-dir", help="A folder the query may write files into (and read them back), e.g. COPY claims TO 'DIR/claims.parquet'; no other file is reachable."),
    ] = None,
) -> None:
    """Run a read-only SQL query over the warehouse and print the result, with its row count.

    The query reaches the warehouse only: no other file, no network, no extension (COPY ... TO, read_text, ATTACH, INSTALL and DuckDB's logging functions are refused), unless --out-dir names a folder it may write into. `claimflow export` writes the usual exports."""
    import duckdb

    from warehouse.db import query_connection, run_query
    from warehouse.errors import QueryRefused

    settings = existing_warehouse(db)
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
    try:
        with query_connection(settings.db, writable_dir=out_dir) as con:
            cursor = run_query(con, query)
            columns = [d[0] for d in cursor.description] if cursor.description else []
            rows = cursor.fetchall()
    except duckdb.PermissionException as exc:
        allowed = f"only files in {out_dir}" if out_dir else "no file but the warehouse"
        fail(f"{str(exc).splitlines()[0]}: claimflow sql reaches {allowed}; to write files pass --out-dir DIR and write into it")
    except QueryRefused as exc:
        fail(str(exc))
    except duckdb.Error as exc:
        fail(str(exc).splitlines()[0])
    if as_json:
        for row in rows:
            sys.stdout.write(json.dumps(dict(zip(columns, row)), default=str, ensure_ascii=False) + "\n")
        return
    print_rows(columns, rows)


class ExportFormat(str, Enum):
    parquet = "parquet"
    csv = "csv"
    claimreview = "claimreview"


@command(runs_flows=False)
def export(
    fmt: Annotated[ExportFormat, typer.Option("--format", help="parquet or csv (one file per table and view), or claimreview (schema.org JSON-LD).")],
    out_path: Annotated[Path, typer.Option("--out", help="Folder for parquet and csv; a .json / .jsonld file for claimreview.")],
    db: DbOption = None,
) -> None:
    """Export the warehouse: every table and analyst view as Parquet or CSV files (one each, found in DuckDB's catalog), or one schema.org ClaimReview per resolved verdict as JSON-LD."""
    from warehouse import export as exporter
    from warehouse.db import connection

    settings = existing_warehouse(db)
    try:
        with connection(settings.db) as con:  # a write connection brings the schema and views up to date
            if fmt is ExportFormat.claimreview:
                publisher = exporter.Publisher(
                    settings.claimreview_organization, settings.claimreview_base_url, settings.claimreview_organization_url
                )
                n, path = exporter.write_claim_reviews(con, out_path, publisher)
                for warning in exporter.publisher_warnings(publisher):
                    err.print(f"warning: {warning}", highlight=False, markup=False)
                out.print(f"{n} ClaimReview item(s) written to {path}", highlight=False)
                return
            written = exporter.export_relations(con, out_path, fmt.value)
    except OSError as exc:
        fail(str(exc))
    for name, rows, path in written:
        out.print(f"{name}: {rows} rows -> {path}", highlight=False)


@command("export-training", runs_flows=False)
def export_training(
    out_file: Annotated[Path, typer.Option("--out", help="TSV to write.")] = Path("data/training/annotator_labels.tsv"),
    db: DbOption = None,
) -> None:
    """Write the claims annotators judged as training rows, in the TSV format `claimflow train --extra` reads: the majority of the annotators' "worth checking?" answers (ties left out), or for a claim without answers its resolved verdict (not_checkable is No, any other Yes)."""
    from training.data import write_tsv
    from warehouse.db import connection, sql as query

    settings = existing_warehouse(db)
    with connection(settings.db) as con:  # a write connection brings the views up to date
        rows = con.execute(query("training_rows")).fetchall()
    n = write_tsv(out_file, rows)
    yes = sum(1 for r in rows if r[2] == "Yes")
    out.print(f"{n} rows ({yes} Yes, {n - yes} No) written to {out_file}; add them with `claimflow train --extra {out_file}`", highlight=False)
