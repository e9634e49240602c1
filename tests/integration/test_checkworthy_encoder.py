"""Check-worthiness v2 in processes of its own: the shipped model scores without importing torch,
and `claimflow train` fine-tunes a small one end to end in the training venv it sets up itself."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from claims import checkworthy
from tests.conftest import ROOT


@pytest.mark.slow
def test_the_scorer_runs_without_torch():
    code = ("import sys; from claims import checkworthy; s = checkworthy.score_texts(['Taxes rose 3% in 2020.']); "
            "assert 0 <= s[0] <= 1; assert 'torch' not in sys.modules, 'torch was imported'")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


# --- training, end to end ----------------------------------------------------------------------

_FACTS = ["Unemployment fell by {n} percent in {y}.", "The deficit rose to {n} billion dollars in {y}.",
          "Exports grew by {n} percent in {y}, the ministry said."]
_NOT = ["I think we should do better.", "What are we going to do about it?", "Thank you very much.",
        "We must stand together.", "Let me tell you something.", "That is a great question."]


def tiny_rows(n: int, seed: int, start: int) -> list[tuple[str, str, str]]:
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        sid = str((start + i) * 700)  # ids 700 apart: rows fall into many blocks of debates
        if rng.random() < 0.35:
            rows.append((sid, _FACTS[i % 3].format(n=rng.integers(2, 60), y=rng.integers(1990, 2020)), "Yes"))
        else:
            rows.append((sid, _NOT[i % len(_NOT)], "No"))
    return rows


@pytest.mark.slow
def test_the_cli_sets_up_the_training_venv_fine_tunes_exports_and_calibrates_a_model(tmp_path):
    from typer.testing import CliRunner

    from training.data import write_tsv
    from flows.cli import app

    files = {name: tmp_path / f"{name}.tsv" for name in ("train", "dev", "test")}
    write_tsv(files["train"], tiny_rows(90, 1, 0))
    write_tsv(files["dev"], tiny_rows(30, 2, 90))
    write_tsv(files["test"], tiny_rows(40, 3, 200))
    out, work = tmp_path / "model", tmp_path / "job"
    result = CliRunner().invoke(app, ["train", "--train", str(files["train"]), "--dev", str(files["dev"]), "--out", str(out),
                                      "--epochs", "1", "--work-dir", str(work)])
    assert result.exit_code == 0, result.output
    assert f"CLAIMFLOW_SCORER={out}" in result.output and "F1 (out of debate)" in result.output
    meta = json.loads((out / "meta.json").read_text())
    assert meta["version"].startswith("cw-minilm-") and 0 < meta["threshold"] < 1
    assert meta["int8_vs_torch"]["correlation"] > 0.9  # the int8 graph computes what torch did
    # Shipped: a model of all rows; calibrated on the scores of one that never saw fold 0's debates.
    rows = [json.loads(line) for line in (work / "rows.jsonl").read_text().splitlines()]
    held = np.load(work / "fold-0" / "index.npy")
    assert meta["shipped_model_rows"] == meta["pooled_rows"] == len(rows) == 120
    assert held.size and all(rows[i]["fold"] == 0 for i in held)
    assert meta["jobs"]["fold-0"]["rows"] == sum(r["fold"] != 0 for r in rows) == len(rows) - held.size
    assert meta["metrics"]["out_of_debate"]["n"] == held.size

    # The new folder is a scorer by itself, through the same code as the shipped one.
    scores = checkworthy.score_texts(["Exports grew by 12 percent in 2004, the ministry said.", "Thank you very much."], out)
    assert all(0 <= s <= 1 for s in scores)
    result = CliRunner().invoke(app, ["evaluate", str(files["test"]), "--model", str(out)])
    assert result.exit_code == 0 and "40 sentences" in result.output, result.output
