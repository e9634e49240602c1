"""The learned check-worthiness models: reading labelled TSVs, the shipped models' scores (the
TF-IDF model by name, and the default, the fine-tuned encoder, through the same functions), spaCy
sentences scored by their text, and training a tiny TF-IDF model end to end. The encoder's own
tests are in test_checkworthy_encoder.py."""

from __future__ import annotations

import json
import random
import re
import warnings

import numpy as np
import pytest

from claims import checkworthy
from training.checkworthy import evaluate, train
from training.data import RepairedRowWarning, read_tsv
from training.errors import DatasetError

HEADER = "Sentence_id\tText\tclass_label\n"


def write(tmp_path, body: str, name: str = "rows.tsv"):
    path = tmp_path / name
    path.write_text(HEADER + body, encoding="utf-8")
    return path


# --- read_tsv ---------------------------------------------------------------------------------


def test_read_tsv_strips_wrapping_quotes_and_keeps_inner_ones(tmp_path):
    path = write(tmp_path, '1\t"Taxes rose by 3%, he said."\tYes\n2\tHe called it "a disaster".\tNo\n')
    assert read_tsv(path) == [("1", "Taxes rose by 3%, he said.", "Yes"), ("2", 'He called it "a disaster".', "No")]


def test_read_tsv_bad_label_names_file_and_line(tmp_path):
    path = write(tmp_path, "1\tFine.\tNo\n2\tAlso fine.\tMaybe\n", name="labels.tsv")
    with pytest.raises(DatasetError, match=r"labels\.tsv:3: bad label 'Maybe'"):
        read_tsv(path)


def test_read_tsv_missing_column_names_file_and_line(tmp_path):
    path = write(tmp_path, "1\tFine.\tNo\n2\tNo label here\n", name="short.tsv")
    with pytest.raises(DatasetError, match=r"short\.tsv:3: expected 3 tab-separated columns, found 2"):
        read_tsv(path)


def test_read_tsv_bad_header(tmp_path):
    path = tmp_path / "h.tsv"
    path.write_text("id\ttext\n1\tx\n", encoding="utf-8")
    with pytest.raises(DatasetError, match=r"h\.tsv:1: expected the header"):
        read_tsv(path)


def test_read_tsv_repairs_the_known_joined_row(tmp_path):
    path = write(tmp_path, "24098\tWe've got to invest and grow.\tNo29286\tYou can't bring back jobs.\tNo\n3\tOk.\tYes\n")
    with pytest.warns(RepairedRowWarning, match=r"rows\.tsv:2: malformed label 'No29286'"):
        rows = read_tsv(path)
    assert rows == [
        ("24098", "We've got to invest and grow.", "No"),
        ("29286", "You can't bring back jobs.", "No"),
        ("3", "Ok.", "Yes"),
    ]


# --- the shipped model ------------------------------------------------------------------------

CLEAR = [
    "Unemployment fell to 3.5% in 2019, the lowest since 1969.",
    "The company reported revenue of $4.2 billion in the third quarter, up 12 percent.",
    "What should we do next?",
    "I think we need to be stronger.",
]


SCORERS = [checkworthy.TFIDF, checkworthy.MODEL]


@pytest.mark.parametrize(("scorer", "pattern"), [(checkworthy.TFIDF, r"cw-\d{8}-[0-9a-f]{7}"), (checkworthy.MODEL, r"cw-minilm-\d{8}-[0-9a-f]{7}")])
def test_version_is_readable_without_scoring(scorer, pattern):
    assert re.fullmatch(pattern, checkworthy.model_version(scorer))
    assert 0.0 < checkworthy.threshold(scorer) < 1.0


def test_the_default_scorer_is_the_encoder_and_the_tfidf_model_stays_available_by_name():
    assert checkworthy.model_dir() == checkworthy.model_dir(checkworthy.MODEL) == checkworthy.ENCODER_MODEL_DIR
    assert checkworthy.model_dir(checkworthy.TFIDF) == checkworthy.TFIDF_MODEL_DIR
    assert type(checkworthy.load_model(checkworthy.TFIDF)).__name__ == "CheckworthyModel"
    assert type(checkworthy.load_model()).__name__ == "EncoderCheckworthyModel"


@pytest.mark.parametrize("scorer", SCORERS)
def test_scores_are_probabilities_and_ordered(scorer):
    scores = checkworthy.score_texts(CLEAR + ["", "   ", "?", "x" * 5000], scorer)
    assert all(0.0 <= s <= 1.0 for s in scores)
    number, revenue, question, opinion = scores[:4]
    assert number > question and number > opinion
    assert revenue > question and revenue > opinion
    assert number >= checkworthy.threshold(scorer) > question


@pytest.mark.parametrize("scorer", SCORERS)
def test_scores_are_deterministic_and_batch_independent(scorer):
    one_by_one = [checkworthy.score_texts([t], scorer)[0] for t in CLEAR]
    assert checkworthy.score_texts(CLEAR, scorer) == one_by_one == checkworthy.score_texts(CLEAR, scorer, batch_size=1)
    assert checkworthy.score_texts([], scorer) == []


@pytest.mark.parametrize("scorer", SCORERS)
def test_spacy_sentences_and_docs_score_as_their_text(scorer):
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    doc = nlp("Unemployment fell to 3.5% in 2019, the lowest since 1969. What should we do next?")
    sents = list(doc.sents)
    assert len(sents) == 2
    [whole] = checkworthy.score_spans([doc], scorer)
    assert 0.0 <= whole <= 1.0
    fact, question = checkworthy.score_spans(sents, scorer)
    assert fact > question
    assert [fact, question] == pytest.approx(checkworthy.score_texts([s.text for s in sents], scorer), abs=1e-4)


# --- training ----------------------------------------------------------------------------------

_SUBJECTS = ["Unemployment", "The deficit", "Crime", "Inflation", "Exports", "Enrollment", "The budget", "Turnout"]
_VERBS = ["fell", "rose", "grew", "dropped", "doubled", "increased"]
_OPINIONS = [
    "I think we should do better.", "What are we going to do about it?", "We must stand together.",
    "Thank you very much.", "That is a great question.", "Let me tell you something.",
    "Will they ever learn?", "We need to move forward.", "I believe in this country.",
]


def tiny_rows(n: int, seed: int, start: int) -> list[tuple[str, str, str]]:
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        if rng.random() < 0.35:
            text = f"{rng.choice(_SUBJECTS)} {rng.choice(_VERBS)} by {rng.randint(2, 60)} percent in {rng.randint(1990, 2020)}."
            rows.append((str(start + i), text, "Yes"))
        else:
            rows.append((str(start + i), rng.choice(_OPINIONS), "No"))
    return rows


@pytest.mark.slow
def test_train_tiny_model_and_evaluate(tmp_path):
    train_rows, dev_rows = tiny_rows(300, 1, 0), tiny_rows(80, 2, 1000)
    extra = [("ann-1", "Exports fell by 9 percent in 2001.", "Yes")]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing to repair here
        metrics = train(train_rows, dev_rows, tmp_path / "m1", extra_rows=extra, seed=0, id_block=50, bootstraps=20)
    assert metrics["train_rows"] == 301
    assert metrics["export_max_abs_diff"] < 1e-4
    meta = json.loads((tmp_path / "m1" / "meta.json").read_text())
    assert meta["version"] == metrics["version"] == checkworthy.model_version(tmp_path / "m1")
    result = evaluate(tmp_path / "m1", tiny_rows(60, 3, 2000), threshold=meta["threshold"])
    assert set(result) >= {"precision", "recall", "f1", "roc_auc", "n", "positives", "threshold"}
    assert result["n"] == 60 and result["f1"] > 0.9 and result["roc_auc"] > 0.95

    # Same seed, same data: the same model, byte for byte in its weights.
    train(train_rows, dev_rows, tmp_path / "m2", extra_rows=extra, seed=0, id_block=50, bootstraps=20)
    a, b = np.load(tmp_path / "m1" / "weights.npz"), np.load(tmp_path / "m2" / "weights.npz")
    assert all(np.array_equal(a[k], b[k]) for k in a.files)
    assert checkworthy.model_meta(tmp_path / "m2")["threshold"] == meta["threshold"]
    texts = [r[1] for r in dev_rows[:10]]
    assert checkworthy.score_texts(texts, tmp_path / "m1") == checkworthy.score_texts(texts, tmp_path / "m2")


def test_train_rejects_unknown_options(tmp_path):
    with pytest.raises(TypeError, match="unknown training options"):
        train(tiny_rows(20, 1, 0), tiny_rows(20, 2, 100), tmp_path, bogus=1)


@pytest.mark.slow
def test_the_cli_trains_evaluates_any_file_of_the_format_and_names_a_bad_row(tmp_path):
    from typer.testing import CliRunner

    from flows.cli import app
    from training.data import write_tsv

    runner = CliRunner()
    files = {name: tmp_path / f"{name}.tsv" for name in ("train", "dev", "extra", "test")}
    spread = lambda rows: [(str(int(sid) * 100), text, label) for sid, text, label in rows]  # noqa: E731 (blocks of debates)
    write_tsv(files["train"], spread(tiny_rows(300, 1, 0)))
    write_tsv(files["dev"], spread(tiny_rows(80, 2, 1000)))
    write_tsv(files["extra"], [("ann-1", "Exports fell by 9 percent in 2001.", "Yes")])
    write_tsv(files["test"], tiny_rows(60, 3, 2000))
    model = tmp_path / "model"
    result = runner.invoke(app, ["train", "--kind", "tfidf", "--train", str(files["train"]), "--dev", str(files["dev"]),
                                 "--extra", str(files["extra"]), "--out", str(model)])
    assert result.exit_code == 0, result.output
    assert "extra rows" in result.output and f"CLAIMFLOW_SCORER={model}" in result.output
    result = runner.invoke(app, ["evaluate", str(files["test"]), "--model", str(model)])
    assert result.exit_code == 0, result.output
    assert "60 sentences" in result.output and "f1" in result.output and "roc auc" in result.output

    files["test"].write_text("Sentence_id\tText\tclass_label\n1\tA claim.\tMaybe\n")
    result = runner.invoke(app, ["evaluate", str(files["test"]), "--model", str(model)])
    assert result.exit_code == 1 and "test.tsv:2: bad label 'Maybe'" in result.output
