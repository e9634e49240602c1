"""Evaluation sets for contradiction finding, written as articles a user would ingest: one JSONL
file of articles per set (``url`` names each article) and a TSV of the labelled article pairs.

    .venv/bin/python bench/contradiction_data.py bench/out/contradiction

Sets (none of them is trained or tuned on, except ``stance-fit``):
- ``stance-report``: FNC-1's training set as shipped in ../shared (less its test overlap), the half
  of the stories :func:`training.matcher.row_split` puts on the report side. A headline is an
  article of one sentence, a body an article. Labels: unrelated, discuss, agree, disagree.
- ``stance-fit``: the other half, which the contradiction model's calibration is fitted on.
- ``arc-test``: the ARC corpus' test split (debate questions against readers' posts).
- ``mnli``: MNLI dev-matched (the cross-encoder never saw MNLI): each premise and each hypothesis
  an article of one sentence; labels entailment, neutral, contradiction.

``--bodies N`` and ``--premises N`` take a sample (by a hash of the id, so the same every time).
"""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BENCHMARKS = ROOT.parent / "shared" / "benchmarks"


def _keep(key: str, share: float) -> bool:
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:4], "big") / 2**32 < share


def _write(folder: Path, articles: dict[str, dict], pairs: list[tuple[str, str, str]]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "articles.jsonl", "w", encoding="utf-8") as f:
        for url, article in articles.items():
            f.write(json.dumps({"url": url, **article}, ensure_ascii=False) + "\n")
    with open(folder / "pairs.tsv", "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, delimiter="\t")
        w.writerow(["url_a", "url_b", "label"])
        w.writerows(sorted(set(pairs)))
    print(f"{folder}: {len(articles)} articles, {len(set(pairs))} labelled pairs")


def stance_set(stances: list[dict], bodies: dict[str, str], prefix: str, max_bodies: int | None) -> tuple[dict, list]:
    from training.matcher import headline_sentence

    body_ids = sorted({r["Body ID"] for r in stances})
    if max_bodies and len(body_ids) > max_bodies:
        share = max_bodies / len(body_ids)
        body_ids = [b for b in body_ids if _keep(f"{prefix}:{b}", share)]
    chosen = set(body_ids)
    rows = [r for r in stances if r["Body ID"] in chosen]
    headlines = sorted({r["Headline"] for r in rows})
    number = {h: n for n, h in enumerate(headlines)}
    articles = {f"{prefix}:headline:{number[h]}": {"text": headline_sentence(h)} for h in headlines}
    articles.update({f"{prefix}:body:{b}": {"text": bodies[b]} for b in body_ids})
    pairs = [(f"{prefix}:headline:{number[r['Headline']]}", f"{prefix}:body:{r['Body ID']}", r["Stance"]) for r in rows]
    return articles, pairs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path)
    parser.add_argument("--bodies", type=int, default=400, help="at most about N bodies per stance set")
    parser.add_argument("--premises", type=int, default=600, help="about N MNLI premises")
    args = parser.parse_args()
    from training.data import read_stance
    from training.matcher import row_split

    stances, bodies = read_stance(BENCHMARKS / "stance")
    split = row_split(stances)
    for side in ("report", "fit"):
        part = [r for r, s in zip(stances, split) if s == side]
        _write(args.out / f"stance-{side}", *stance_set(part, bodies, f"fnc-{side}", args.bodies))

    arc = BENCHMARKS / "stance" / "arc"
    with open(arc / "arc_stances_test.csv", encoding="utf-8", newline="") as f:
        arc_rows = list(csv.DictReader(f))
    with open(arc / "arc_bodies.csv", encoding="utf-8", newline="") as f:
        arc_bodies = {r["Body ID"]: r["articleBody"] for r in csv.DictReader(f)}
    _write(args.out / "arc-test", *stance_set(arc_rows, arc_bodies, "arc", args.bodies))

    with gzip.open(BENCHMARKS / "nli" / "nli_pairs.jsonl.gz", "rt", encoding="utf-8") as f:
        mnli = [r for r in map(json.loads, f) if r["dataset"] == "mnli" and r["split"] == "dev_matched"]
    premises = sorted({r["premise"] for r in mnli})
    share = min(1.0, args.premises / max(1, len(premises)))
    chosen = {p for p in premises if _keep("mnli:" + p, share)}
    articles, pairs, ids = {}, [], {}
    for r in mnli:
        if r["premise"] not in chosen:
            continue
        for text in (r["premise"], r["hypothesis"]):
            if text not in ids:
                ids[text] = f"mnli:{len(ids)}"
                articles[ids[text]] = {"text": text}
        pairs.append((ids[r["premise"]], ids[r["hypothesis"]], r["label"]))
    _write(args.out / "mnli", articles, pairs)


if __name__ == "__main__":
    main()
