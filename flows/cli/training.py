"""The models' commands: ``train`` and ``evaluate`` the check-worthiness model, ``train-matcher``
the claim matcher. None runs a flow."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from flows.cli.app import command
from flows.cli.common import DbOption, err, fail, load_settings, out, print_counts

TsvArgument = Annotated[Path, typer.Argument(help="A TSV with the header Sentence_id, Text, class_label (Yes/No).")]


@command(runs_flows=False)
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
    """Train a check-worthiness model and write it. The encoder (default) is fine-tuned with torch in its own venv, .venv-train, which this sets up first from training/requirements.lock; it is exported to int8 ONNX and calibrated on debates it never saw (about 6 minutes on two quiet cores with the shipped 3-layer recipe; much longer on a shared machine). The TF-IDF model (--kind tfidf, logistic regression, Platt calibration, threshold chosen on the dev file) takes about two minutes."""
    from claims.checkworthy import ENCODER_MODEL_DIR, TFIDF_MODEL_DIR
    from training.checkworthy import train as fit, train_encoder
    from training.data import CHECKWORTHINESS_DATA

    if kind not in ("encoder", "tfidf"):
        fail(f"--kind must be 'encoder' or 'tfidf', not {kind!r}")
    files = {"train": train_file or CHECKWORTHINESS_DATA / "ct24_train.tsv", "dev": dev_file or CHECKWORTHINESS_DATA / "ct24_dev.tsv"}
    rows, extra_rows = _read_rows(files, extra or [])
    out_dir = model_dir or (ENCODER_MODEL_DIR if kind == "encoder" else TFIDF_MODEL_DIR)
    try:
        if kind == "tfidf":
            with err.status(f"training on {len(rows['train']) + len(extra_rows):,} rows"):
                metrics = fit(rows["train"], rows["dev"], out_dir, extra_rows=extra_rows, seed=seed)
        else:
            python = _training_venv(load_settings())
            options = {k: v for k, v in {"epochs": epochs, "calibration": calibration, "calibration_folds": calibration_folds}.items()
                       if v is not None}
            metrics = train_encoder(rows["train"], rows["dev"], out_dir, python=python, extra_rows=extra_rows, seed=seed,
                                    work_dir=work_dir, progress=lambda line: err.print(line, highlight=False, markup=False), **options)
    except (ValueError, TypeError) as exc:
        fail(f"cannot train on {files['train']} and {files['dev']}: {exc}")
    print_counts("trained", _figures(kind, metrics, out_dir, len(extra_rows)))
    if model_dir is not None:
        out.print(f"Use it: CLAIMFLOW_SCORER={out_dir}", highlight=False)


def _read_rows(files: dict[str, Path], extra: list[Path]) -> tuple[dict[str, list], list]:
    """The rows of each named TSV file, and those of the extra files together; once all are
    read, the rows the reader repaired (a stray quote, say) are printed."""
    import warnings

    from training.data import RepairedRowWarning, read_tsv

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RepairedRowWarning)
        rows = {name: read_tsv(path) for name, path in files.items()}
        extra_rows = [r for path in extra for r in read_tsv(path)]
    for w in caught:
        err.print(f"[yellow]repaired:[/yellow] {w.message}", highlight=False)
    return rows, extra_rows


def _figures(kind: str, metrics: dict, out_dir: Path, extra_rows: int) -> dict:
    """What a training run prints: the model, where it went, its rows and its held-out figures."""
    dev = metrics["dev_out_of_debate"] or {}
    figures = {"model": metrics["version"], "written to": str(out_dir), "train rows": metrics["train_rows"],
               "extra rows": extra_rows, "threshold": metrics["threshold"]}
    if kind == "encoder":
        held = metrics["out_of_debate"]
        figures |= {"F1 (out of debate)": held["f1"], "ROC AUC (out of debate)": held["roc_auc"], "ECE (out of debate)": held["ece"]}
    return figures | {"dev F1 (out of debate)": dev.get("f1"), "dev ROC AUC (out of debate)": dev.get("roc_auc"), "seconds": metrics["train_seconds"]}


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
        fail(f"could not set up the training venv {settings.train_venv} ({script} exited {done.returncode})")
    return Path(settings.train_venv) / "bin" / "python"


@command(runs_flows=False)
def evaluate(
    file: TsvArgument,
    model_dir: Annotated[Optional[str], typer.Option("--model", help="'model' (the shipped encoder), 'tfidf', or a model folder [default: CLAIMFLOW_SCORER unless it is rules-v1].")] = None,
    threshold: Annotated[Optional[float], typer.Option(help="Decision threshold [default: the model's own].")] = None,
) -> None:
    """Score every sentence of a labelled TSV with the model and print precision, recall and F1 of the Yes class at the threshold, ROC AUC, Brier score and calibration error."""
    from claims.checkworthy import model_dir as folder_of
    from training.checkworthy import evaluate as measure
    from training.data import read_tsv

    settings = load_settings()
    folder = folder_of(model_dir or (settings.scorer if settings.scorer != "rules-v1" else None))
    try:
        metrics = measure(folder, read_tsv(file), threshold)
    except FileNotFoundError as exc:
        fail(str(exc))
    print_counts(f"{file} ({metrics['n']} sentences, {metrics['positives']} Yes)", {
        k: metrics[k] for k in ("threshold", "precision", "recall", "f1", "roc_auc", "brier", "ece")
    })


@command("train-matcher", runs_flows=False)
def train_matcher(
    stance: Annotated[Optional[Path], typer.Option(help="The stance benchmark folder (stances.csv, bodies.csv) [default: ../shared/benchmarks/stance].")] = None,
    model_dir: Annotated[Optional[Path], typer.Option("--out", help="Where to write the matcher [default: the shipped one, claims/models/matcher].")] = None,
    db: DbOption = None,
    with_pairs: Annotated[bool, typer.Option("--with-pairs/--without-pairs", help="Add the pair relations people resolved in Label Studio (from the warehouse).")] = True,
) -> None:
    """Fit the matcher's relatedness, similarity and contradiction models on the stance benchmark's fit half (and the pair relations resolved by annotators), write it, and print its figures on the benchmark's other half, which it never saw."""
    from claims.encoder import load_encoder
    from claims.match import DEFAULT_MATCHER_DIR
    from claims.nli import load_nli
    from claims.pipeline import load_pipeline
    from training.data import STANCE_DATA
    from training.matcher import train as fit
    from training.nli import DATA as NLI_DATA

    settings = load_settings(db=db)
    folder = stance or STANCE_DATA
    if not (folder / "stances.csv").is_file() or not (folder / "bodies.csv").is_file():
        fail(f"{folder} has no stances.csv and bodies.csv; pass --stance")
    extra = None
    if with_pairs and (settings.db_is_lake or Path(settings.db).exists()):
        from flows.match import human_pair_examples

        extra = human_pair_examples(str(settings.db), settings)
    with err.status("extracting, embedding, reading pairs with the NLI model and fitting (ten minutes or so)"):
        figures = fit(folder, model_dir or DEFAULT_MATCHER_DIR, nlp=load_pipeline(settings.spacy_model),
                      encoder=load_encoder(settings.encoder, settings.encoder_threads),
                      nli=load_nli(settings.nli, settings.encoder_threads), extra=extra,
                      nli_data=NLI_DATA if NLI_DATA.is_file() else None)
    print_counts("matcher trained", figures)
    if model_dir is not None:
        out.print(f"Use it: CLAIMFLOW_MATCHER={model_dir}", highlight=False)
