"""Ingest benchmark: N varied articles built from the samples, through the whole ingest flow,
and the extraction step, against plain spaCy split over the same number of processes.

    .venv/bin/python bench/bench_ingest.py --articles 1000
    .venv/bin/python bench/bench_ingest.py --articles 1000 --scorer rules-v1  # without the model

The baseline is plain spaCy as one would split it by hand: a spawned pool of as many processes as
the flow uses, each loading the same pipeline (spacy.load) and running ``nlp.pipe`` over its share
of the texts (every n-th text), returning only counts, never Docs (spaCy's own ``n_process``
ships every Doc back to the parent, which is slower than the split). Its time includes the
workers' start and the pipeline's load, as the extraction step's does.

Prints words, sentences and claims per second (and sentences an hour), peak memory, and the
ratios of the extraction step's and of the whole ingest flow's sentences per second to the
baseline's (1.0 means no overhead); and the CPU seconds each phase took (this process and its
worker processes), whose ratio holds on a shared machine where the wall-clock ratio moves with
the load of others. The scorer is the
configured one (CLAIMFLOW_SCORER, default the fine-tuned encoder) unless ``--scorer`` names
another. Figures go in bench/README.md by hand.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def varied_articles(n: int, seed: int = 7) -> list[dict]:
    """``n`` articles from the samples: paragraphs shuffled and a numbered dateline, so none dedupe."""
    samples = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "examples" / "articles").glob("*.txt"))]
    rng = random.Random(seed)
    cities = ["Munich", "Brussels", "Kyiv", "Warsaw", "Vilnius", "Berlin", "Paris", "London"]
    rows = []
    for i in range(n):
        lines = [line for line in samples[i % len(samples)].split("\n") if line.strip()]
        head, body = lines[0], lines[1:]
        rng.shuffle(body)
        dateline = f"{rng.choice(cities)}, report {i + 1}: officials said {rng.randint(2, 99)} delegations attended."
        rows.append({"title": f"{head} ({i + 1})", "text": "\n\n".join([head, dateline, *body]), "source": "bench"})
    return rows


def _plain_share(model: str, texts: list[str], batch_size: int) -> tuple[int, int]:
    """One baseline worker: load the pipeline, run it over ``texts``; (sentences, tokens) only."""
    import spacy

    nlp = spacy.load(model)
    sentences = tokens = 0
    for doc in nlp.pipe(texts, batch_size=batch_size):
        sentences += sum(1 for _ in doc.sents)
        tokens += len(doc)
    return sentences, tokens


def plain_split(model: str, texts: list[str], processes: int, batch_size: int) -> tuple[float, int]:
    """Plain spaCy over ``texts`` split across ``processes`` spawned workers: (seconds, sentences)."""
    import multiprocessing

    started = time.perf_counter()
    shares = [texts[k::processes] for k in range(processes)]
    with multiprocessing.get_context("spawn").Pool(processes) as pool:
        counts = pool.starmap(_plain_share, [(model, share, batch_size) for share in shares])
    return time.perf_counter() - started, sum(c[0] for c in counts)


def cpu_seconds() -> float:
    """User and system CPU seconds of this process and of its finished child processes."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def peak_rss_mb() -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, children


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--processes", type=int, default=0,
                        help="processes for the extraction, the flow and the baseline (0: as the flow picks)")
    parser.add_argument("--model", default=None)
    parser.add_argument("--skip-flow", action="store_true", help="only compare extraction with plain spaCy split")
    parser.add_argument("--scorer", default=None, help="check-worthiness scorer: 'model', 'tfidf', 'rules-v1' or a folder")
    args = parser.parse_args()

    if args.processes:
        os.environ["CLAIMFLOW_NLP_PROCESSES"] = str(args.processes)
    if args.scorer:
        os.environ["CLAIMFLOW_SCORER"] = args.scorer
    from claims.extract import extract, extract_parallel
    from claims.pipeline import load_pipeline
    from claims.sources import make_article
    from flows.ingest import nlp_processes
    from flows.settings import get_settings

    settings = get_settings(spacy_model=args.model)
    rows = varied_articles(args.articles)
    articles = [make_article(r["text"], path="bench", fmt="jsonl", title=r["title"], source=r["source"]) for r in rows]
    assert len({a.article_id for a in articles}) == len(articles), "articles dedupe"
    words = sum(len(a.text.split()) for a in articles)
    processes = nlp_processes(settings, len(articles))
    nlp = load_pipeline(settings.spacy_model)
    print(f"articles: {len(articles)}  words: {words}  model: {settings.spacy_model} {nlp.pipe_names}  processes: {processes}  "
          f"scorer: {settings.scorer}")

    # Warm up the in-process path (one process); spawned workers, the baseline's too, start cold.
    list(extract(nlp, articles[:10], batch_size=settings.batch_size, scorer=settings.scorer))

    cpu = cpu_seconds()
    plain, plain_sentences = plain_split(settings.spacy_model, [a.text for a in articles], max(processes, 1), settings.batch_size)
    plain_rate = plain_sentences / plain
    plain_cpu, cpu = cpu_seconds() - cpu, cpu_seconds()

    t = time.perf_counter()
    extractions = list(extract_parallel(settings.spacy_model, articles, processes=processes, batch_size=settings.batch_size,
                                        scorer=settings.scorer))
    ours = time.perf_counter() - t
    ours_cpu = cpu_seconds() - cpu
    claims = sum(len(e.claims) for e in extractions)
    sentences = sum(e.sentences for e in extractions)
    scorers = {c.scorer for e in extractions for c in e.claims}
    print(f"plain spaCy split over {max(processes, 1)} processes (counts only): {plain:7.1f} s  {words / plain:8.0f} words/s  "
          f"{plain_rate:6.0f} sentences/s ({plain_sentences} sentences)")
    print(f"extraction step ({processes} processes, scored by {', '.join(sorted(scorers))}): {ours:7.1f} s  {words / ours:8.0f} words/s  "
          f"{sentences / ours:6.0f} sentences/s = {sentences / ours * 3600:,.0f} an hour  {claims / ours:6.0f} claims/s  "
          f"({sentences} sentences, {claims} claims)")
    print(f"ratio extraction/plain, sentences per second: {sentences / ours / plain_rate:.2f}; in time on the same texts "
          f"{plain / ours:.2f}  (target >= 0.8)")
    print(f"CPU seconds (workers included): plain {plain_cpu:.1f}, extraction {ours_cpu:.1f}; ratio plain/extraction "
          f"{plain_cpu / ours_cpu:.2f} (sentences per CPU second: {plain_sentences / plain_cpu:.0f} against {sentences / ours_cpu:.0f})")

    if not args.skip_flow:
        from flows.ingest import ingest_flow

        with tempfile.TemporaryDirectory() as tmp:
            feed = Path(tmp) / "bench.jsonl"
            feed.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
            db = Path(tmp) / "bench.duckdb"
            t, cpu = time.perf_counter(), cpu_seconds()
            report = ingest_flow(paths=[str(feed)], db=str(db), spacy_model=settings.spacy_model)
            total, flow_cpu = time.perf_counter() - t, cpu_seconds() - cpu
        assert report.ok and report.articles_new == len(articles), report.counts()
        print(
            f"ingest flow end to end (read, extract, validate, land; Prefect server start included): {total:.1f} s  "
            f"{report.words / total:.0f} words/s  {report.sentences / total:.0f} sentences/s = "
            f"{report.sentences / total * 3600:,.0f} an hour (target >= 300,000)  {report.claims_new / total:.0f} claims/s  "
            f"(in-flow time {report.seconds:.1f} s; target 1,000 articles <= 180 s)"
        )
        print(f"ratio ingest flow end to end / plain spaCy split, sentences per second: {report.sentences / total / plain_rate:.2f} "
              f"({report.sentences / total:.0f} against {plain_rate:.0f}; target >= 0.8)")
        print(f"CPU seconds of the flow (workers included; the temporary Prefect server is another process tree, not "
              f"counted): {flow_cpu:.1f}; ratio plain/flow {plain_cpu / flow_cpu:.2f}")
    own, children = peak_rss_mb()
    print(f"peak memory: {own:.0f} MB (this process), {children:.0f} MB (largest worker process)")


if __name__ == "__main__":
    main()
