"""The ``claimflow`` command line: parses arguments, calls a flow or a library function, and
formats the outcome. Every failure becomes one line on stderr and exit status 1: a named error
its own message (the cause and the fix), anything else its type and message; the traceback goes
to the log file, and to the console too with ``--verbose``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import click
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from typer.core import TyperGroup

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


class _Commands(TyperGroup):
    """Commands whose failures are one line each (see :func:`_report_failure`)."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except KeyboardInterrupt:
            err.print("[red]error:[/red] interrupted", highlight=False)
            raise typer.Exit(130) from None
        except Exception as exc:  # every failure, expected or not, as one line
            _report_failure(exc)


app = typer.Typer(
    cls=_Commands,
    help="claimflow: extract check-worthy claims from news articles, annotate them in Label Studio, "
    "and query the verdicts in DuckDB.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Help text is plain text: "[env CLAIMFLOW_DB, default ...]" is shown, not read as rich markup.
    rich_markup_mode=None,
)




def _expected_errors() -> tuple[type[BaseException], ...]:
    """The named errors of the packages and flows: their message names the cause and the fix."""
    from annotation.errors import AnnotationError
    from claims.errors import ClaimsError
    from warehouse.errors import WarehouseError

    named: list[type[BaseException]] = [AnnotationError, ClaimsError, WarehouseError]
    if "flows.land" in sys.modules:
        named.append(sys.modules["flows.land"].QuarantineLimitExceeded)
    if "claims.match" in sys.modules:
        named.append(sys.modules["claims.match"].MatcherError)
    if "flows.writer" in sys.modules:
        named.append(sys.modules["flows.writer"].WriterBusy)
    return tuple(named)


# Known failures of other programs, and what to do about them.
_HINTS = {
    "ephemeral Prefect API server": "the temporary Prefect server did not start in time (a busy machine?): raise "
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS, or set PREFECT_API_URL to a running `prefect server start`",
    "Failed to reach API at": "Prefect's API at PREFECT_API_URL does not answer: start it (`prefect server start`), "
    "or unset PREFECT_API_URL for a temporary server",
}


def _report_failure(exc: Exception) -> None:
    """Log the traceback, print it too when verbose, print one line, exit 1."""
    import logging
    import traceback

    from flows import logs

    logging.getLogger(logs.ERRORS).error("command failed", exc_info=exc)
    if logs.verbose():
        traceback.print_exception(exc, file=sys.stderr)
    if isinstance(exc, _expected_errors()):
        _fail(str(exc))
    text = " ".join(str(exc).split())[:400]
    hint = next((h for key, h in _HINTS.items() if key in text), None)
    where = logs.log_file()
    details = "" if logs.verbose() else f" (the traceback is in {where})" if where else " (run with --verbose for the traceback)"
    _fail(f"{type(exc).__name__}: {text}{f'; {hint}' if hint else ''}{details}")


def _flow(module: str, name: str, settings):
    """A flow, imported when a command needs it (Prefect with it), with the logs captured again
    after Prefect set its own up. The warehouse is opened first: one locked by another process
    fails here, before any flow runs."""
    import importlib

    from flows import logs
    from warehouse.db import connection

    with connection(settings.db):
        pass
    flow = getattr(importlib.import_module(module), name)
    logs.capture()
    return flow

# Commands that run no flow, so need no Prefect server (issue 13); every other one uses one.
NO_PREFECT = {"sql", "migrate", "labelstudio", "prefect", "export", "train", "evaluate", "export-training", "train-matcher"}
_command: list[str | None] = [None]  # the command being run


@app.callback()
def _main(
    ctx: typer.Context,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Print tracebacks and Prefect's failure messages too (they always go to the log file).")] = False,
) -> None:
    from flows import logs

    _command[0] = ctx.invoked_subcommand
    logs.capture(verbose=verbose)


DbOption = Annotated[
    Optional[Path], typer.Option("--db", help="DuckDB file [env CLAIMFLOW_DB, default data/claimflow.duckdb].")
]
ModelOption = Annotated[
    Optional[str], typer.Option("--model", help="spaCy pipeline [env CLAIMFLOW_SPACY_MODEL].")
]

TRY_PAIRS_SQL = "SELECT round(contradiction, 2) AS contradiction, claim_a, claim_b FROM candidate_contradictions LIMIT 10"
TRY_SQL = "SELECT article_title, round(score, 2) AS score, claim_type, claim FROM claim_overview ORDER BY score DESC LIMIT 10"


def _fail(message: str) -> None:
    err.print(f"[red]error:[/red] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(1)


def _settings(**overrides):
    from pydantic import ValidationError

    from flows.settings import get_settings

    from flows import logs

    try:
        settings = get_settings(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        message = first["msg"].removeprefix("Value error, ")
        _fail(f"invalid setting: {first['loc'][0]}: {message}" if first["loc"] else f"invalid settings: {message}")
    logs.capture(settings.log_path)
    _use_prefect(settings)
    return settings


def _use_prefect(settings) -> None:
    """A command that runs flows points Prefect at the configured server, or at the local one,
    started now (before prefect is imported: it reads its settings at import)."""
    if _command[0] in NO_PREFECT:
        return
    from flows.prefect_local import use_prefect

    use_prefect(settings)  # a server that cannot start is a named error: one line


def _existing_warehouse(db):
    """Settings for a command that reads the warehouse; a clear failure when there is none yet."""
    settings = _settings(db=db)
    if not Path(settings.db).exists():
        _fail(f"{settings.db} does not exist yet; run `claimflow ingest` or `claimflow run` first")
    return settings


def _print_ingest(report) -> None:
    table = Table(title="ingest", show_header=False, title_justify="left")
    for key, value in report.counts().items():
        table.add_row(key.replace("_", " "), str(value))
    table.add_row("seconds", f"{report.seconds:.1f}")
    out.print(table)
    for label, rows in (("failed", report.failures), ("skipped", report.skipped), ("passed over", report.passed_over)):
        for f in rows:
            where = f"{f['path']}:{f['line']}" if f.get("line") else f["path"]
            err.print(f"[yellow]{label}:[/yellow] {escape(where)}: {escape(f['reason'])}", highlight=False, soft_wrap=True)
    for line in report.warnings:
        err.print(f"[yellow]warning:[/yellow] {escape(line)}", highlight=False, soft_wrap=True)


@app.command()
def ingest(
    paths: Annotated[list[str], typer.Argument(help="Files, folders or glob patterns of .txt, .md, .html or .jsonl articles.")],
    db: DbOption = None,
    model: ModelOption = None,
) -> None:
    """Read articles, extract and score their claims, and land them in the warehouse.

    Re-ingesting an article adds nothing. Files that cannot be read are reported and recorded in the ingest_failures table; the others are still ingested, and the exit status is 1."""
    settings = _settings(db=db, spacy_model=model)
    ingest_flow = _flow("flows.ingest", "ingest_flow", settings)
    report = ingest_flow(paths=list(paths), db=str(settings.db), spacy_model=settings.spacy_model)
    _print_ingest(report)
    if not report.ok:
        raise typer.Exit(1)


@app.command()
def run(
    paths: Annotated[Optional[list[str]], typer.Argument(help="Articles to ingest [default: the bundled sample articles].")] = None,
    db: DbOption = None,
    model: ModelOption = None,
) -> None:
    """The main job: start or reuse the local Label Studio, ingest the articles (the bundled samples by default), push the check-worthy claims, land the annotations, and summarise."""
    from flows.settings import SAMPLE_ARTICLES

    settings = _settings(db=db, spacy_model=model)
    target = _label_studio(settings)
    run_flow = _flow("flows.main", "run_flow", settings)
    report = run_flow(paths=[str(p) for p in (paths or [SAMPLE_ARTICLES])], db=str(settings.db), spacy_model=settings.spacy_model)
    _print_ingest(report.ingest)
    _print_counts("match", report.match.counts())
    _print_counts("push", report.push.counts())
    _print_land(report.land)
    from warehouse.db import connection

    with connection(settings.db, read_only=True) as con:
        rows = con.execute(
            "SELECT s.title, s.claims, c.mean_score, s.pushed, s.resolved, s.needs_review FROM article_summary s"
            " JOIN article_claim_summary c USING (article_id) ORDER BY s.title"
        ).fetchall()
        labels = con.execute("SELECT count(*) FROM labels WHERE NOT deleted").fetchone()[0]
        table = Table(title=f"articles in {settings.db}", title_justify="left")
        for col in ("title", "claims", "mean score", "pushed", "resolved", "needs review"):
            table.add_column(col)
        for title, n, mean, pushed, resolved, review in rows:
            table.add_row(title or "", str(n), f"{mean:.2f}" if mean is not None else "-", str(pushed), str(resolved), str(review))
        pairs, candidates = con.execute(
            "SELECT count(*), count(*) FILTER (WHERE contradiction >= ?) FROM claim_pairs", [settings.pair_push_threshold]
        ).fetchone()
    out.print(table)
    out.print(f"Labels in the warehouse: {labels}")
    out.print(f"Claim pairs across articles: {pairs}, of which {candidates} may contradict", highlight=False)
    _print_annotate_at(target, report.push.project_id)
    if report.push.pairs is not None:
        _print_annotate_at(target, report.push.pairs.project_id, "Judge pairs at")
    _print_login(target)
    out.print(f"Then land the verdicts: claimflow land", highlight=False)
    from flows.prefect_local import ui_url

    out.print(f"Watch the flow runs in Prefect: {ui_url()}", highlight=False)
    out.print(f"Try: claimflow sql \"{TRY_SQL}\"", highlight=False)
    if not report.ingest.ok:
        raise typer.Exit(1)


@app.command()
def match(
    db: DbOption = None,
    rematch: Annotated[bool, typer.Option(help="Match every claim again (after a new matcher): pairs found again get the new scores.")] = False,
) -> None:
    """Pair claims of different articles that speak of the same thing: each claim not matched yet gets its embedding (once) and its nearest claims of other articles, each pair a similarity, a contradiction score and the reasons for both (table claim_pairs). A re-run adds nothing."""
    settings = _settings(db=db)
    match_flow = _flow("flows.match", "match_flow", settings)
    with _named_errors():
        report = match_flow(db=str(settings.db), rematch=rematch)
    _print_counts("match", report.counts() | {"seconds": f"{report.seconds:.1f}"})
    out.print(f"Try: claimflow sql \"{TRY_PAIRS_SQL}\"", highlight=False)


@app.command("train-matcher")
def train_matcher(
    stance: Annotated[Optional[Path], typer.Option(help="The stance benchmark folder (stances.csv, bodies.csv) [default: ../shared/benchmarks/stance].")] = None,
    model_dir: Annotated[Optional[Path], typer.Option("--out", help="Where to write the matcher [default: the shipped one, claims/models/matcher].")] = None,
    db: DbOption = None,
    with_pairs: Annotated[bool, typer.Option("--with-pairs/--without-pairs", help="Add the pair relations people resolved in Label Studio (from the warehouse).")] = True,
) -> None:
    """Fit the matcher's similarity and contradiction models on the stance benchmark's fit half (and the pair relations resolved by annotators), write it, and print its figures on the benchmark's other half, which it never saw."""
    from claims.encoder import load_encoder
    from claims.pipeline import load_pipeline
    from training.data import STANCE_DATA
    from training.matcher import train as fit

    settings = _settings(db=db)
    folder = stance or STANCE_DATA
    if not (folder / "stances.csv").is_file() or not (folder / "bodies.csv").is_file():
        _fail(f"{folder} has no stances.csv and bodies.csv; pass --stance")
    extra = None
    if with_pairs and Path(settings.db).exists():
        from flows.match import human_pair_examples

        extra = human_pair_examples(str(settings.db), settings)
    with err.status("extracting, embedding and fitting (a few minutes)"):
        figures = fit(folder, model_dir or _default_matcher_dir(), nlp=load_pipeline(settings.spacy_model),
                      encoder=load_encoder(settings.encoder, settings.encoder_threads), extra=extra)
    _print_counts("matcher trained", figures)
    if model_dir is not None:
        out.print(f"Use it: CLAIMFLOW_MATCHER={model_dir}", highlight=False)


def _default_matcher_dir() -> Path:
    from claims.match import DEFAULT_MATCHER_DIR

    return DEFAULT_MATCHER_DIR


@app.command()
def push(
    db: DbOption = None,
    threshold: Annotated[Optional[float], typer.Option(help="Push claims scoring at least this [env CLAIMFLOW_PUSH_THRESHOLD, default 0.4].")] = None,
) -> None:
    """Send the claims at or above the threshold that are not in Label Studio yet as tasks, with the model's score as a prediction. A second push creates nothing."""
    settings = _settings(db=db, push_threshold=threshold)
    target = _label_studio(settings)
    push_flow = _flow("flows.push", "push_flow", settings)
    report = push_flow(db=str(settings.db), threshold=settings.push_threshold)
    _print_counts("push", report.counts() | {"seconds": f"{report.seconds:.1f}"})
    _print_annotate_at(target, report.project_id)
    if report.pairs is not None:
        _print_annotate_at(target, report.pairs.project_id, "Judge pairs at")
    _print_login(target)


@app.command()
def land(db: DbOption = None) -> None:
    """Pull the annotations changed in Label Studio since the last land into the labels table (raw JSON kept in annotations_raw); edited annotations replace their row, deleted ones are marked deleted."""
    settings = _settings(db=db)
    _label_studio(settings)
    land_flow = _flow("flows.land", "land_flow", settings)
    report = land_flow(db=str(settings.db))
    _print_land(report)


@app.command()
def resolve(
    db: DbOption = None,
    mark: Annotated[bool, typer.Option(help="Mark the tasks of claims needing review in Label Studio (data.review).")] = True,
) -> None:
    """Resolve one verdict per claim from its labels (majority vote, or Dawid-Skene with enough data), measure agreement (Krippendorff's alpha per project and article, pairwise kappa), and mark ties and low agreement for review. `land` runs this after every land."""
    settings = _settings(db=db)
    if mark:
        _label_studio(settings)
    resolve_flow = _flow("flows.resolve", "resolve_flow", settings)
    report = resolve_flow(db=str(settings.db), mark=mark)
    _print_counts("verdicts", report.counts() | {"seconds": f"{report.seconds:.1f}"})


@app.command()
def report(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder to write the report into.")] = Path("data/report"),
    db: DbOption = None,
) -> None:
    """Write an HTML report (verdicts per source, agreement, annotators, claims needing review, quarantine over time, with charts) and the Great Expectations data docs of the warehouse's tables."""
    settings = _existing_warehouse(db)
    report_flow = _flow("flows.report", "report_flow", settings)
    output = report_flow(out=str(out_dir), db=str(settings.db))
    out.print(f"Report: {output.page.resolve()}\nData docs: {output.data_docs.resolve()}", highlight=False)


@app.command()
def rescore(
    db: DbOption = None,
    scorer: Annotated[Optional[str], typer.Option(help="'model' (the shipped encoder), 'tfidf', a model folder, or 'rules-v1' [env CLAIMFLOW_SCORER, default model].")] = None,
) -> None:
    """Score every claim in the warehouse again (after `claimflow train`, say). Pushed claims keep their tasks; the next push sends the claims that now reach the threshold."""
    settings = _settings(db=db, scorer=scorer)
    rescore_flow = _flow("flows.rescore", "rescore_flow", settings)
    report = rescore_flow(db=str(settings.db), scorer=settings.scorer)
    _print_counts("rescore", report.counts())


TsvArgument = Annotated[Path, typer.Argument(help="A TSV with the header Sentence_id, Text, class_label (Yes/No).")]


@app.command()
def train(
    train_file: Annotated[Optional[Path], typer.Option("--train", help="Training TSV [default: ct24_train.tsv of ../shared/benchmarks/checkworthiness].")] = None,
    dev_file: Annotated[Optional[Path], typer.Option("--dev", help="Dev TSV [default: ct24_dev.tsv there]: pooled with train for the encoder; the TF-IDF model's threshold is chosen on it.")] = None,
    extra: Annotated[Optional[list[Path]], typer.Option("--extra", help="More training rows, e.g. from `claimflow export-training` (repeatable).")] = None,
    model_dir: Annotated[Optional[Path], typer.Option("--out", help="Where to write the model [default: the shipped model of that kind, claims/models/checkworthy-minilm or claims/models/checkworthy].")] = None,
    seed: Annotated[int, typer.Option(help="Random seed: the same data and seed give the same model.")] = 0,
    kind: Annotated[str, typer.Option(help="'encoder' (check-worthiness v2, fine-tuned MiniLM, in .venv-train) or 'tfidf' (the TF-IDF model).")] = "encoder",
    epochs: Annotated[Optional[float], typer.Option(help="Encoder: passes over the training rows [default 0.6].")] = None,
    calibration: Annotated[Optional[str], typer.Option(help="Encoder: 'refit' (a model without fold 0 of 3 for out-of-debate scores, and the shipped one on all rows, side by side) or 'holdout' (only the model without fold 0, shipped) [default refit].")] = None,
    calibration_folds: Annotated[Optional[int], typer.Option(help="Encoder, refit: folds of debates left out in turn for the out-of-debate scores (3 is a full cross-validation: twice the work of 1) [default 1].")] = None,
    work_dir: Annotated[Optional[Path], typer.Option("--work-dir", help="Encoder: keep the fine-tuning's job folder (fold models, held-out scores) here.")] = None,
) -> None:
    """Train a check-worthiness model and write it. The encoder (default) is fine-tuned with torch in its own venv, .venv-train, which this sets up first from training/requirements.lock; it is exported to int8 ONNX and calibrated on debates it never saw (about 30 to 60 minutes on two cores). The TF-IDF model (--kind tfidf, logistic regression, Platt calibration, threshold chosen on the dev file) takes about two minutes."""
    import warnings

    from claims.checkworthy import ENCODER_MODEL_DIR, TFIDF_MODEL_DIR
    from training.checkworthy import train as fit, train_encoder
    from training.data import CHECKWORTHINESS_DATA, RepairedRowWarning, read_tsv
    from training.errors import DatasetError, TrainingError

    if kind not in ("encoder", "tfidf"):
        _fail(f"--kind must be 'encoder' or 'tfidf', not {kind!r}")
    files = {"train": train_file or CHECKWORTHINESS_DATA / "ct24_train.tsv", "dev": dev_file or CHECKWORTHINESS_DATA / "ct24_dev.tsv"}
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", RepairedRowWarning)
            rows = {name: read_tsv(path) for name, path in files.items()}
            extra_rows = [r for path in extra or [] for r in read_tsv(path)]
    except DatasetError as exc:
        _fail(str(exc))
    for w in caught:
        err.print(f"[yellow]repaired:[/yellow] {w.message}", highlight=False)
    out_dir = model_dir or (ENCODER_MODEL_DIR if kind == "encoder" else TFIDF_MODEL_DIR)
    try:
        if kind == "tfidf":
            with err.status(f"training on {len(rows['train']) + len(extra_rows):,} rows"):
                metrics = fit(rows["train"], rows["dev"], out_dir, extra_rows=extra_rows, seed=seed)
        else:
            python = _training_venv(_settings())
            options = {k: v for k, v in {"epochs": epochs, "calibration": calibration, "calibration_folds": calibration_folds}.items()
                       if v is not None}
            metrics = train_encoder(rows["train"], rows["dev"], out_dir, python=python, extra_rows=extra_rows, seed=seed,
                                    work_dir=work_dir, progress=lambda line: err.print(line, highlight=False, markup=False), **options)
    except (ValueError, TypeError) as exc:
        _fail(f"cannot train on {files['train']} and {files['dev']}: {exc}")
    except TrainingError as exc:
        _fail(str(exc))
    dev = metrics["dev_out_of_debate"] or {}
    counts = {"model": metrics["version"], "written to": str(out_dir), "train rows": metrics["train_rows"],
              "extra rows": len(extra_rows), "threshold": metrics["threshold"]}
    if kind == "encoder":
        held = metrics["out_of_debate"]
        counts |= {"F1 (out of debate)": held["f1"], "ROC AUC (out of debate)": held["roc_auc"], "ECE (out of debate)": held["ece"]}
    counts |= {"dev F1 (out of debate)": dev.get("f1"), "dev ROC AUC (out of debate)": dev.get("roc_auc"), "seconds": metrics["train_seconds"]}
    _print_counts("trained", counts)
    if model_dir is not None:
        out.print(f"Use it: CLAIMFLOW_SCORER={out_dir}", highlight=False)


def _training_venv(settings) -> Path:
    """Set up the training venv (training/setup_venv.sh, idempotent) and return its python."""
    import os
    import subprocess

    from flows.settings import PROJECT_ROOT

    script = PROJECT_ROOT / "training" / "setup_venv.sh"
    env = {**os.environ, "CLAIMFLOW_TRAIN_VENV": str(settings.train_venv)}
    done = subprocess.run(["bash", str(script)], cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines = [line for line in done.stdout.splitlines() if line.startswith("setup:") or done.returncode]
    for line in lines[-10:]:
        err.print(line, highlight=False, markup=False)
    if done.returncode:
        _fail(f"could not set up the training venv {settings.train_venv} ({script} exited {done.returncode})")
    return Path(settings.train_venv) / "bin" / "python"


@app.command()
def evaluate(
    file: TsvArgument,
    model_dir: Annotated[Optional[str], typer.Option("--model", help="'model' (the shipped encoder), 'tfidf', or a model folder [default: CLAIMFLOW_SCORER unless it is rules-v1].")] = None,
    threshold: Annotated[Optional[float], typer.Option(help="Decision threshold [default: the model's own].")] = None,
) -> None:
    """Score every sentence of a labelled TSV with the model and print precision, recall and F1 of the Yes class at the threshold, ROC AUC, Brier score and calibration error."""
    from claims.checkworthy import model_dir as folder_of
    from claims.encoder import EncoderError
    from training.checkworthy import evaluate as measure
    from training.data import read_tsv
    from training.errors import DatasetError

    settings = _settings()
    folder = folder_of(model_dir or (settings.scorer if settings.scorer != "rules-v1" else None))
    try:
        rows = read_tsv(file)
        metrics = measure(folder, rows, threshold)
    except (DatasetError, EncoderError, FileNotFoundError) as exc:
        _fail(str(exc))
    _print_counts(f"{file} ({metrics['n']} sentences, {metrics['positives']} Yes)", {
        k: metrics[k] for k in ("threshold", "precision", "recall", "f1", "roc_auc", "brier", "ece")
    })


@app.command("export-training")
def export_training(
    out_file: Annotated[Path, typer.Option("--out", help="TSV to write.")] = Path("data/training/annotator_labels.tsv"),
    db: DbOption = None,
) -> None:
    """Write the claims annotators judged as training rows, in the TSV format `claimflow train --extra` reads: the majority of the annotators' "worth checking?" answers (ties left out), or for a claim without answers its resolved verdict (not_checkable is No, any other Yes)."""
    settings = _existing_warehouse(db)
    from training.data import write_tsv
    from warehouse.db import connection, sql as query

    with connection(settings.db) as con:  # a write connection brings the views up to date
        rows = con.execute(query("training_rows")).fetchall()
    n = write_tsv(out_file, rows)
    yes = sum(1 for r in rows if r[2] == "Yes")
    out.print(f"{n} rows ({yes} Yes, {n - yes} No) written to {out_file}; add them with `claimflow train --extra {out_file}`", highlight=False)


labelstudio_app = typer.Typer(help="The local Label Studio server (the embedded default).", no_args_is_help=True, rich_markup_mode=None)
app.add_typer(labelstudio_app, name="labelstudio")


@labelstudio_app.command("start")
def labelstudio_start() -> None:
    """Start the local Label Studio on 127.0.0.1 (or reuse the running one) and print its URL and where the login is. The first start takes up to a minute."""
    settings = _settings()
    if not settings.uses_local_label_studio:
        _fail(f"LABEL_STUDIO_URL and LABEL_STUDIO_API_KEY are set: claimflow uses {settings.ls_url}, not a local server")
    from flows.labelstudio import local_server

    server = local_server(settings)
    status, started = server.start(timeout=settings.ls_start_timeout)
    out.print(f"Label Studio {'started' if started else 'already running'} at {status.url} (pid {status.pid})", highlight=False)
    _print_login(_label_studio(settings))


@labelstudio_app.command("stop")
def labelstudio_stop() -> None:
    """Stop the local Label Studio."""
    from flows.labelstudio import local_server

    server = local_server(_settings())
    out.print("stopped" if server.stop() else "not running")


@labelstudio_app.command("status")
def labelstudio_status() -> None:
    """Say whether the local Label Studio runs, and where."""
    settings = _settings()
    if not settings.uses_local_label_studio:
        out.print(f"external Label Studio: {settings.ls_url}", highlight=False)
        return
    from flows.labelstudio import local_server

    status = local_server(settings).status()
    state = "running" if status.running else "not running"
    out.print(f"{state}: {status.url}{f' (pid {status.pid})' if status.pid else ''}; log {status.log_file}", highlight=False)
    if not status.running:
        raise typer.Exit(1)


def _label_studio(settings):
    """The Label Studio to use: the external one, or the local one started (or reused) now;
    reachable and taking the token (one quick call, so that a server nobody serves fails at
    once), or one line saying what to fix."""
    from flows.labelstudio import check_target, resolve_target

    return check_target(resolve_target(settings, start=True), settings)


def _print_annotate_at(target, project_id: int, what: str = "Annotate at") -> None:
    from annotation.client import labeling_stream_url

    out.print(f"{what}: {labeling_stream_url(target.url, project_id)} (each annotator gets tasks of their own; "
              "do not edit others' annotations in the Data Manager)", highlight=False)


def _print_login(target) -> None:
    if target.local:
        out.print(f"Log in as {target.login_email}; the password is in {target.credentials_file} (readable by you only)", highlight=False)


QUARANTINE_LINES = 20  # quarantined rows named one by one after a land; the rest counted


def _print_land(report) -> None:
    counts = report.counts()
    failed = counts.pop("failed_expectations", {})
    _print_counts("land", counts | {"seconds": f"{report.seconds:.1f}"})
    details = report.quarantine_details
    for line in details[:QUARANTINE_LINES]:
        err.print("[yellow]quarantined:[/yellow] " + escape(line), highlight=False)
    if len(details) > QUARANTINE_LINES or (failed and not details):
        summary = ", ".join(f"{n} {name}" for name, n in sorted(failed.items()))
        err.print(f"[yellow]quarantined:[/yellow] {summary}; every row with its reasons is in labels_quarantine", highlight=False)
    if report.verdicts is not None:
        _print_counts("verdicts", report.verdicts.counts())


def _cell(value) -> str:
    """A value as a person reads it: no None, no Python dict or float repr."""
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3f}".rstrip("0").rstrip(".") if value == value else "-"
    if isinstance(value, dict):
        return "\n".join(f"{k}: {_cell(v)}" for k, v in value.items()) or "-"
    if isinstance(value, (list, tuple)):
        return ", ".join(_cell(v) for v in value) or "-"
    return str(value)


def _print_counts(title: str, counts: dict) -> None:
    table = Table(title=title, show_header=False, title_justify="left")
    for key, value in counts.items():
        table.add_row(key.replace("_", " "), escape(_cell(value)))
    out.print(table)


class _annotation_errors:
    """Kept for command modules that use it: every failure is one line anyway (see _Commands)."""

    def __enter__(self):
        return self

    def __exit__(self, kind, exc, tb):
        return False


class _named_errors:
    """Turn the claims and warehouse packages' named errors into one line and exit 1."""

    def __enter__(self):
        return self

    def __exit__(self, kind, exc, tb):
        from claims.errors import ClaimsError
        from claims.match import MatcherError
        from warehouse.errors import WarehouseError

        if exc is not None and isinstance(exc, (ClaimsError, MatcherError, WarehouseError)):
            _fail(str(exc))
        return False


@app.command()
def migrate(db: DbOption = None) -> None:
    """Create the warehouse or bring its schema up to date."""
    settings = _settings(db=db)
    from warehouse.db import connect, migrate as apply

    con = connect(settings.db, migrate_schema=False)
    try:
        applied = apply(con)
        version = con.execute("SELECT max(version) FROM schema_migrations").fetchone()[0]
    finally:
        con.close()
    out.print(f"{settings.db}: schema version {version}{' (applied ' + ', '.join(applied) + ')' if applied else ''}")


@app.command()
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

    The query reaches the warehouse only: no other file, no network, no extension (COPY ... TO, read_text, ATTACH and INSTALL are refused), unless --out-dir names a folder it may write into. `claimflow export` writes the usual exports."""
    import duckdb

    settings = _existing_warehouse(db)
    from warehouse.db import query_connection

    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
    try:
        with query_connection(settings.db, writable_dir=out_dir) as con:
            cursor = con.execute(query)
            columns = [d[0] for d in cursor.description] if cursor.description else []
            rows = cursor.fetchall()
    except duckdb.PermissionException as exc:
        allowed = f"only files in {out_dir}" if out_dir else "no file but the warehouse"
        _fail(f"{str(exc).splitlines()[0]}: claimflow sql reaches {allowed}; to write files pass --out-dir DIR and write into it")
    except duckdb.Error as exc:
        _fail(str(exc).splitlines()[0])
    if as_json:
        for row in rows:
            sys.stdout.write(json.dumps(dict(zip(columns, row)), default=str, ensure_ascii=False) + "\n")
        return
    _print_rows(columns, rows)


def _print_rows(columns: list[str], rows: list[tuple]) -> None:
    """A table when every column can get a fair width (long values wrap inside their column),
    else one block per row, a line per column (as psql's expanded display); then the row count.
    Piped, the table is as wide as it needs."""
    from rich.cells import cell_len

    cells = [["" if v is None else str(v) for v in row] for row in rows]
    widths = [max([cell_len(c)] + [max(map(cell_len, r[i].splitlines() or [""])) for r in cells]) for i, c in enumerate(columns)]
    fair = sum(min(w, max(cell_len(c), 24)) for w, c in zip(widths, columns)) + 3 * len(columns) + 1
    if not out.is_terminal:
        console = Console(width=max(sum(widths) + 3 * len(columns) + 1, 80), soft_wrap=False)
    else:
        console = out
    if columns and (not out.is_terminal or fair <= out.width):
        table = Table(*columns)
        for row in cells:
            table.add_row(*row)
        console.print(table, crop=False)
    else:
        label = max((cell_len(c) for c in columns), default=0)
        for n, row in enumerate(cells, start=1):
            console.print(f"-[ row {n} ]" + "-" * max(0, min(out.width, 60) - 10 - len(str(n))), highlight=False)
            for column, value in zip(columns, row):
                console.print(f"{column.ljust(label)} | {value}", highlight=False, markup=False)
    console.print(f"({len(rows)} row{'s' if len(rows) != 1 else ''})", highlight=False)


from flows import cli_ops  # noqa: E402  (issue 13: prefect, serve, export)

cli_ops.register(app)

if __name__ == "__main__":
    app()
