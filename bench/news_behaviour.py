"""How the check-worthiness scorers behave on news: the share of sentences at or above the push
threshold, on the sample articles and on the small news fixtures (tests/fixtures/news), and the
scores of labelled news sentences by kind (headline, question, forecast, opinion, boilerplate,
number, event, attribution).

    .venv/bin/python bench/news_behaviour.py                     # the encoder (default) and the TF-IDF model
    .venv/bin/python bench/news_behaviour.py --scorer model --show 10

Sentences: every sentence extraction found (claims, and the questions, lead-ins and fragments it
keeps out of the claims), headings not included; claims: those extraction scores. Figures go in
bench/README.md by hand.
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
NEWS = ROOT / "tests" / "fixtures" / "news"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scorer", action="append", help="'model', 'tfidf', 'rules-v1' or a folder (repeatable; default model and tfidf)")
    ap.add_argument("--show", type=int, default=5, help="print the N highest-scoring claims of each set")
    args = ap.parse_args()

    from claims import checkworthy
    from claims.extract import extract
    from claims.pipeline import load_pipeline
    from claims.sources import expand_paths, read_articles
    from flows.settings import SAMPLE_ARTICLES, get_settings

    settings = get_settings()
    nlp = load_pipeline(settings.spacy_model)
    sets = {"sample articles (examples/articles)": [SAMPLE_ARTICLES], "news fixtures (tests/fixtures/news)": [NEWS]}
    with (NEWS / "sentences.tsv").open(encoding="utf-8") as f:
        labelled = list(csv.DictReader(f, delimiter="\t"))
    print(f"push threshold (CLAIMFLOW_PUSH_THRESHOLD): {settings.push_threshold}")
    for scorer in args.scorer or [checkworthy.MODEL, checkworthy.TFIDF]:
        own = checkworthy.threshold(scorer) if scorer != "rules-v1" else None
        print(f"\n== scorer {scorer} ({checkworthy.model_version(scorer) if own is not None else 'rules'}), own threshold {own}")
        for name, paths in sets.items():
            files, _ = expand_paths([str(p) for p in paths])
            articles = [a for a in read_articles(files, settings.max_article_bytes) if not isinstance(a, Exception)]
            results = list(extract(nlp, articles, scorer=scorer, min_words=settings.min_claim_words))
            sentences = sum(r.sentences for r in results)
            claims = [c for r in results for c in r.claims]
            pushed = [c for c in claims if c.score >= settings.push_threshold]
            line = (f"  {name}: {len(articles)} articles, {sentences} sentences, {len(claims)} claims; "
                    f">= push threshold {len(pushed)} = {len(pushed) / max(1, len(claims)):.0%} of claims, "
                    f"{len(pushed) / max(1, sentences):.0%} of sentences; >= 0.99: {sum(c.score >= 0.99 for c in claims)}")
            if own is not None:
                line += f"; >= own threshold {sum(c.score >= own for c in claims) / max(1, len(claims)):.0%} of claims"
            print(line)
            for c in sorted(claims, key=lambda c: -c.score)[: args.show]:
                print(f"      {c.score:.3f}  {c.text[:110]}")
        if own is None:
            continue
        scores = checkworthy.score_texts([r["text"] for r in labelled], scorer)
        by_kind = defaultdict(list)
        for row, s in zip(labelled, scores):
            by_kind[(row["kind"], row["expect"])].append(s)
        print("  labelled news sentences (tests/fixtures/news/sentences.tsv), share at or above the push threshold:")
        for (kind, expect), values in by_kind.items():
            share = sum(v >= settings.push_threshold for v in values) / len(values)
            print(f"    {kind:12s} (should be {expect:4s}) n={len(values):2d}  {share:4.0%}  scores {' '.join(f'{v:.2f}' for v in values)}")


if __name__ == "__main__":
    main()
