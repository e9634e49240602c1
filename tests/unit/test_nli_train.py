"""The NLI cross-encoder's training data (training/nli.py), without torch: which pairs are read and
how they are split; and the shipped model's nli.json names the sets the job trains on."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import claims
from training import config, nli

FOLDS = 20
SHIPPED = Path(claims.__file__).parent / "models" / "nli"


def pair(dataset: str, split: str, premise: str, n: int, label: str = "entailment") -> dict:
    return {"dataset": dataset, "split": split, "premise": premise, "hypothesis": f"Hypothesis {n}.", "label": label, "orig_label": label}


def test_only_the_listed_sets_three_way_pairs_are_read_and_dev_is_by_premise(tmp_path):
    premises = [f"A man number {i} rides a bike." for i in range(100)]
    listed = [pair("snli", "dev", p, n, nli.LABELS[n % 3]) for p in premises for n in range(3)]
    # The same premise, differently cased and spaced, is the same premise.
    listed += [pair("fever_rte", "dev", f"  {p.upper()} ", 9, "contradiction") for p in premises[:10]]
    unlisted = [pair("anli_r1", "dev", premises[0], 1),              # CC BY-NC 4.0: not shipped
                pair("snli", "train", premises[1], 1),               # a split not listed
                pair("rte_glue", "train", premises[2], 1, "not_entailment")]
    data = tmp_path / "nli_pairs.jsonl.gz"
    with gzip.open(data, "wt", encoding="utf-8") as f:
        f.writelines(json.dumps(r) + "\n" for r in listed + unlisted)

    pairs = nli.read_pairs(data)
    assert pairs == listed
    train, dev = nli.split(pairs, FOLDS)
    assert train and dev and len(train) + len(dev) == len(pairs)
    assert all(nli.premise_fold(p["premise"], FOLDS) == 0 for p in dev)
    key = lambda p: p["premise"].strip().lower()  # noqa: E731
    assert not {key(p) for p in train} & {key(p) for p in dev}


def test_the_shipped_nli_json_names_the_sets_and_settings_the_job_trains_with():
    shipped = json.loads((SHIPPED / nli.META_FILE).read_text(encoding="utf-8"))
    assert shipped["name"] == nli.NAME and shipped["labels"] == list(nli.LABELS)
    # The NLI sets of the first stage, then the news pairs of the second (FNC-1's fit half).
    assert shipped["trained_on"][: len(nli.trained_on())] == nli.trained_on()
    assert [t["dataset"] for t in shipped["trained_on"][len(nli.trained_on()) :]] == ["fnc1 (../shared/benchmarks/stance)"]
    assert shipped["max_length"] == config.flat(config.NLI_NEWS)["max_length"]
    assert all(t["licence"] and "NC" not in t["licence"] for t in shipped["trained_on"])
