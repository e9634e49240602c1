"""training/requantize.py in the training venv: a dynamically quantised cross-encoder becomes a
static int8 graph whose output for a pair is the same alone and in any batch, and the runtime
batches it because its nli.json says so."""

from __future__ import annotations

import json
import os
import subprocess

import numpy as np
import pytest

from tests.conftest import ROOT

TRAIN_PYTHON = ROOT / ".venv-train" / "bin" / "python"


@pytest.mark.skipif(not TRAIN_PYTHON.exists(), reason="needs the training venv (make setup-train)")
def test_the_shipped_nli_model_requantised_gives_each_pair_its_output_alone_in_batches(tmp_path):
    from claims.nli import PAIR_BATCH, load_nli

    out = tmp_path / "nli-static"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([str(TRAIN_PYTHON), "-m", "training.requantize", str(ROOT / "claims" / "models" / "nli"), str(out),
                           "--pairs", "--rows", "40"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=1200)
    assert done.returncode == 0, done.stderr[-2000:]
    meta = json.loads((out / "nli.json").read_text())
    assert meta["batch_invariant"] and "40 NLI train pairs" in meta["quantisation"]
    model = load_nli(str(out), 1)
    assert model.batch_size == PAIR_BATCH
    first = ["The port reopened on Monday.", "Prices rose.", "NATO, founded in 1949, now has 32 members."] * 30
    second = ["The port did not reopen.", "Prices rose sharply in the north after the storm closed the only road.", "NATO has 32."] * 30
    alone = np.stack([model.probabilities([a], [b])[0] for a, b in zip(first, second)])
    assert np.array_equal(model.probabilities(first, second), alone)
    assert model.probabilities(["The port reopened on Monday."], ["The port did not reopen on Monday."])[0].argmax() == 2


@pytest.mark.skipif(not TRAIN_PYTHON.exists(), reason="needs the training venv (make setup-train)")
def test_the_shipped_scorer_requantised_is_batched_exact_and_padding_blind_and_is_not_requantised_twice(tmp_path):
    from claims.checkworthy_encoder import EncoderCheckworthyModel

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = tmp_path / "cw-static"
    done = subprocess.run([str(TRAIN_PYTHON), "-m", "training.requantize", str(ROOT / "claims" / "models" / "checkworthy-minilm"),
                           str(out), "--rows", "40"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=1200)
    assert done.returncode == 0, done.stderr[-2000:]
    model = EncoderCheckworthyModel(out)
    assert model.meta["batch_invariant"] and model.batch_size > 1
    short, long_ = "Prices rose.", "The ministry said on Tuesday that 4,500 households had been without power since the storm."
    texts = [short, long_, "NATO, founded in 1949, now has 32 members.", "Unemployment fell to 3.9 percent in May."] * 40
    alone = np.array([model.decision([t])[0] for t in texts])
    assert np.array_equal(model.decision(texts), alone) and np.array_equal(model.decision(texts[::-1]), alone[::-1])
    # Padded positions are masked out: the short text padded to the long one's width gets its output alone.
    feed = next(iter(model.model.batches([short, long_], 2)))[1]
    assert feed["attention_mask"][0].sum() < feed["attention_mask"].shape[1]
    assert model.model.run(feed, "logit")[0] == model.decision([short])[0]
    again = subprocess.run([str(TRAIN_PYTHON), "-m", "training.requantize", str(out), str(tmp_path / "x")],
                           cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert again.returncode != 0 and "no dynamically quantised MatMul" in again.stderr
