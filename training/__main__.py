"""The training workflow's command line (``python -m training COMMAND``), which
``training/project.yml`` runs: each command reads its files, calls one function of the package,
prints the metrics as JSON and, with ``--metrics``, writes them to a file.

    python -m training checkworthy-tfidf --train TSV --dev TSV --out DIR [--config TOML]
    python -m training checkworthy-encoder --train TSV --dev TSV --out DIR --python VENV_PYTHON
    python -m training evaluate TSV --model DIR [--metrics JSON]
    python -m training matcher --stance DIR --out DIR [--config TOML] [--nli-data JSONL.GZ]
    python -m training news-pairs --stance DIR --out JSONL
    python -m training nli --out DIR --python VENV_PYTHON
    python -m training nli --out DIR --python VENV_PYTHON [--config TOML] [--rows N] [--data FILE]
    python -m training lookup --data DIR --out JSON [--rerank DIR]
    python -m training lookup-pairs --data DIR --out JSONL

``claimflow train``, ``claimflow evaluate`` and ``claimflow train-matcher`` call the same
functions (they also set up the training venv, and add annotators' pair verdicts from the
warehouse).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from training.errors import TrainingError


def _rows(paths: list[Path] | None) -> list:
    from training.data import read_tsv

    return [row for path in paths or [] for row in read_tsv(path)]


def checkworthy_tfidf(args: argparse.Namespace) -> dict:
    from training.checkworthy import train

    return train(_rows([args.train]), _rows([args.dev]), args.out, extra_rows=_rows(args.extra), seed=args.seed,
                 config_file=args.config)


def checkworthy_encoder(args: argparse.Namespace) -> dict:
    from training.checkworthy import train_encoder

    return train_encoder(_rows([args.train]), _rows([args.dev]), args.out, python=args.python, extra_rows=_rows(args.extra),
                         seed=args.seed, work_dir=args.work_dir, config_file=args.config,
                         progress=lambda line: print(line, file=sys.stderr, flush=True))


def evaluate(args: argparse.Namespace) -> dict:
    from training.checkworthy import evaluate as measure

    return measure(args.model, _rows([args.file]), args.threshold)


def matcher(args: argparse.Namespace) -> dict:
    from claims.encoder import load_encoder
    from claims.nli import load_nli
    from claims.pipeline import load_pipeline
    from training.matcher import train

    return train(args.stance, args.out, nlp=load_pipeline(args.spacy_model), encoder=load_encoder(args.encoder),
                 nli=load_nli(args.nli), seed=args.seed, config_file=args.config, nli_data=args.nli_data)


def news_pairs(args: argparse.Namespace) -> dict:
    import json
    from collections import Counter

    from claims.encoder import load_encoder
    from claims.pipeline import load_pipeline
    from training.matcher import load_stance, news_pairs as make

    pairs = make(load_stance(args.stance, load_pipeline(args.spacy_model), load_encoder(args.encoder), seed=args.seed))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as f:
        f.writelines(json.dumps(p, ensure_ascii=False) + "\n" for p in pairs)
    return {"pairs": len(pairs), "labels": dict(Counter(p["label"] for p in pairs)), "out": str(args.out)}


def nli(args: argparse.Namespace) -> dict:
    from training.nli import train

    return train(args.out, python=args.python, config_file=args.config, rows=args.rows, data=args.data, news=args.news,
                 init=args.init, progress=lambda line: print(line, file=sys.stderr, flush=True))


def lookup(args: argparse.Namespace) -> dict:
    from claims.encoder import load_encoder
    from claims.pipeline import load_pipeline
    from training.lookup import train

    return train(args.data, args.out, nlp=load_pipeline(args.spacy_model), encoder=load_encoder(args.encoder), rerank=args.rerank,
                 rerank_top=args.rerank_top)


def lookup_pairs(args: argparse.Namespace) -> dict:
    from claims.encoder import load_encoder
    from claims.pipeline import load_pipeline
    from training.lookup import rerank_pairs

    return rerank_pairs(args.data, args.out, nlp=load_pipeline(args.spacy_model), encoder=load_encoder(args.encoder), n=args.per_claim)


def parser() -> argparse.ArgumentParser:
    from claims import DEFAULT_MODEL
    from claims.encoder import DEFAULT_ENCODER

    top = argparse.ArgumentParser(prog="python -m training", description=__doc__.split("\n\n")[0])
    commands = top.add_subparsers(dest="command", required=True)

    def command(name: str, run, help: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help, description=help)
        sub.set_defaults(run=run)
        sub.add_argument("--metrics", type=Path, help="also write the metrics to this JSON file")
        return sub

    for name, run, help in (
        ("checkworthy-tfidf", checkworthy_tfidf, "Train the TF-IDF check-worthiness model."),
        ("checkworthy-encoder", checkworthy_encoder, "Fine-tune the check-worthiness encoder in the training venv."),
    ):
        sub = command(name, run, help)
        sub.add_argument("--train", type=Path, required=True, help="training TSV (Sentence_id, Text, class_label)")
        sub.add_argument("--dev", type=Path, required=True, help="dev TSV")
        sub.add_argument("--extra", type=Path, action="append", help="more training rows (repeatable)")
        sub.add_argument("--out", type=Path, required=True, help="the model folder to write")
        sub.add_argument("--config", type=Path, help="options (TOML) [default: training/configs/<command>.toml]")
        sub.add_argument("--seed", type=int, default=0)
        if run is checkworthy_encoder:
            sub.add_argument("--python", type=Path, required=True, help="the training venv's python (torch)")
            sub.add_argument("--work-dir", type=Path, help="keep the fine-tuning's job folder here")

    sub = command("evaluate", evaluate, "Score a labelled TSV with a check-worthiness model folder.")
    sub.add_argument("file", type=Path)
    sub.add_argument("--model", type=Path, required=True, help="a model folder of either kind")
    sub.add_argument("--threshold", type=float, help="decision threshold [default: the model's own]")

    sub = command("news-pairs", news_pairs, "Write the NLI model's news pairs (JSONL) from the stance benchmark's fit half.")
    sub.add_argument("--stance", type=Path, required=True, help="the stance benchmark folder (stances.csv, bodies.csv)")
    sub.add_argument("--out", type=Path, required=True, help="the JSONL file to write")
    sub.add_argument("--seed", type=int, default=0)
    sub.add_argument("--spacy-model", default=DEFAULT_MODEL, help=f"spaCy pipeline [default: {DEFAULT_MODEL}]")
    sub.add_argument("--encoder", default=DEFAULT_ENCODER, help=f"sentence encoder [default: {DEFAULT_ENCODER}]")

    sub = command("matcher", matcher, "Train the matcher on the stance benchmark.")
    sub.add_argument("--stance", type=Path, required=True, help="the stance benchmark folder (stances.csv, bodies.csv)")
    sub.add_argument("--out", type=Path, required=True, help="the model folder to write")
    sub.add_argument("--config", type=Path, help="hyperparameters (TOML) [default: training/configs/matcher.toml]")
    sub.add_argument("--seed", type=int, default=0)
    sub.add_argument("--spacy-model", default=DEFAULT_MODEL, help=f"spaCy pipeline [default: {DEFAULT_MODEL}]")
    sub.add_argument("--encoder", default=DEFAULT_ENCODER, help=f"sentence encoder [default: {DEFAULT_ENCODER}]")
    sub.add_argument("--nli", default="model", help="NLI cross-encoder: 'model' (shipped) or a folder [default: model]")
    sub.add_argument("--nli-data", type=Path, help="the NLI pairs, whose dev fold joins the contradiction examples")

    sub = command("nli", nli, "Fine-tune the NLI cross-encoder in the training venv.")
    sub.add_argument("--out", type=Path, required=True, help="the model folder to write")
    sub.add_argument("--python", type=Path, required=True, help="the training venv's python (torch)")
    sub.add_argument("--config", type=Path, help="hyperparameters (TOML) [default: training/configs/nli.toml]")
    sub.add_argument("--rows", type=int, default=0, help="train on N pairs only, for a quick check (0: all)")
    sub.add_argument("--data", type=Path, help="the NLI pairs [default: ../shared/benchmarks/nli/nli_pairs.jsonl.gz]")
    sub.add_argument("--news", type=Path, help="second stage: news pairs (from news-pairs) mixed with NLI pairs")
    sub.add_argument("--init", type=Path, help="second stage: the first stage's weights (its model.pt)")
    sub = command("lookup", lookup, "Fit the fact-check lookup on the CLEF 2020 verified-claim retrieval train split.")
    sub.add_argument("--data", type=Path, required=True, help="the factcheck-retrieval benchmark folder")
    sub.add_argument("--out", type=Path, required=True, help="the lookup.json to write")
    sub.add_argument("--rerank", type=Path, help="the re-ranker's model folder (nli trained on lookup-pairs), copied beside --out")
    sub.add_argument("--rerank-top", type=int, default=10, help="how many of the first stage's best it reads [default: 10]")
    sub.add_argument("--spacy-model", default=DEFAULT_MODEL, help=f"spaCy pipeline [default: {DEFAULT_MODEL}]")
    sub.add_argument("--encoder", default=DEFAULT_ENCODER, help=f"sentence encoder [default: {DEFAULT_ENCODER}]")
    sub = command("lookup-pairs", lookup_pairs,
                  "Write the fact-check re-ranker's training pairs (JSONL) from the CLEF 2020 train split's lookups.")
    sub.add_argument("--data", type=Path, required=True, help="the factcheck-retrieval benchmark folder")
    sub.add_argument("--out", type=Path, required=True, help="the JSONL file to write")
    sub.add_argument("--per-claim", type=int, default=10, help="the first stage's best N of each claim [default: 10]")
    sub.add_argument("--spacy-model", default=DEFAULT_MODEL, help=f"spaCy pipeline [default: {DEFAULT_MODEL}]")
    sub.add_argument("--encoder", default=DEFAULT_ENCODER, help=f"sentence encoder [default: {DEFAULT_ENCODER}]")
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        metrics = args.run(args)
    except (TrainingError, TypeError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    text = json.dumps(metrics, indent=2, default=str) + "\n"
    if args.metrics:
        args.metrics.parent.mkdir(parents=True, exist_ok=True)
        args.metrics.write_text(text, encoding="utf-8")
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
