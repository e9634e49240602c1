"""The training package as a whole: its configs hold the shipped models' hyperparameters, its
declared workflow (training/project.yml) is valid and runs its own command line, and it imports
claims/ only."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from claims.checkworthy import ENCODER_MODEL_DIR, TFIDF_MODEL_DIR
from claims.match import DEFAULT_MATCHER_DIR
from training import config
from training.errors import ConfigError
from training.matcher import MatcherConfig

TRAINING = Path(config.__file__).resolve().parent


def meta(folder: Path, name: str = "meta.json") -> dict:
    return json.loads((folder / name).read_text(encoding="utf-8"))


def test_the_configs_hold_the_options_the_shipped_check_worthiness_models_were_trained_with():
    assert config.flat(config.CHECKWORTHY_ENCODER) == meta(ENCODER_MODEL_DIR)["options"]
    # The shipped TF-IDF model predates the option `repeats`; its one partition is the default.
    assert config.flat(config.CHECKWORTHY_TFIDF) == meta(TFIDF_MODEL_DIR)["options"] | {"repeats": 1}


def test_the_matcher_config_holds_the_shipped_matchers_priors_and_thresholds():
    shipped = meta(DEFAULT_MATCHER_DIR, "matcher.json")
    cfg = MatcherConfig.read()
    assert {"similarity": cfg.similarity_prior, "contradiction": cfg.contradiction_prior, "firm": cfg.firm} == shipped["meta"]["priors"]
    related = dict(shipped["thresholds"])
    assert 0 < related.pop("related") < 1  # fitted: the threshold that keeps cfg.related_recall of the fit half's related rows
    assert cfg.thresholds == related
    assert shipped["meta"]["related_recall_on_fit"] == cfg.related_recall


def test_options_come_from_the_default_config_then_a_config_file_then_keywords(tmp_path):
    other = tmp_path / "mine.toml"
    other.write_text("[model]\nC = 0.3\n[calibration]\nbootstraps = 20\n", encoding="utf-8")
    opts = config.options(config.CHECKWORTHY_TFIDF, other, {"bootstraps": 5})
    assert opts == config.flat(config.CHECKWORTHY_TFIDF) | {"C": 0.3, "bootstraps": 5}


@pytest.mark.parametrize("text", ["[model]\nC_value = 0.3\n", "bogus = 1\n"])
def test_a_misspelt_option_in_a_config_file_is_refused(tmp_path, text):
    other = tmp_path / "mine.toml"
    other.write_text(text, encoding="utf-8")
    with pytest.raises(TypeError, match="unknown training options"):
        config.options(config.CHECKWORTHY_TFIDF, other)


def test_a_broken_config_names_its_file(tmp_path):
    broken = tmp_path / "broken.toml"
    broken.write_text("[model\nC = 1\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"broken\.toml: not a valid TOML config"):
        config.flat(broken)
    with pytest.raises(ConfigError, match=r"missing\.toml: cannot read"):
        MatcherConfig.read(tmp_path / "missing.toml")


def test_the_declared_workflow_is_valid_and_runs_the_packages_own_commands():
    from weasel.util import load_project_config

    from training.__main__ import parser

    project = load_project_config(TRAINING)
    commands = {c["name"]: c for c in project["commands"]}
    assert set(project["workflows"]) >= {"checkworthy", "tfidf", "matcher"}
    assert all(step in commands for steps in project["workflows"].values() for step in steps)
    for command in commands.values():
        for line in command["script"]:
            words = line.split()
            if words[:3] == ["python", "-m", "training"]:
                parser().parse_args(words[3:])  # the command and every option it passes exist (else SystemExit)
            else:
                assert words == ["bash", "setup_venv.sh"], line
        for path in command["deps"]:
            # The benchmarks are beside the project and the models are made by other commands.
            if not path.startswith((project["vars"]["benchmarks"], project["vars"]["models"])):
                assert (TRAINING / path).exists(), path
    for asset in project["assets"]:
        assert asset["dest"].startswith("../../shared/benchmarks/")


def test_the_command_line_evaluates_a_model_and_writes_its_metrics(tmp_path, capsys):
    from training.__main__ import main
    from training.data import write_tsv

    rows = tmp_path / "rows.tsv"
    write_tsv(rows, [("1", "Unemployment fell to 3.5% in 2019, the lowest since 1969.", "Yes"),
                     ("2", "What should we do next?", "No")])
    out = tmp_path / "metrics" / "tfidf.json"
    assert main(["evaluate", str(rows), "--model", str(TFIDF_MODEL_DIR), "--metrics", str(out)]) == 0
    written = json.loads(out.read_text(encoding="utf-8"))
    assert written == json.loads(capsys.readouterr().out)
    assert written["n"] == 2 and written["positives"] == 1 and written["f1"] == 1.0


def test_the_command_line_names_a_bad_file_in_one_line(tmp_path, capsys):
    from training.__main__ import main

    bad = tmp_path / "bad.tsv"
    bad.write_text("Sentence_id\tText\tclass_label\n1\tA claim.\tMaybe\n", encoding="utf-8")
    assert main(["evaluate", str(bad), "--model", str(TFIDF_MODEL_DIR)]) == 1
    assert "bad.tsv:2: bad label 'Maybe'" in capsys.readouterr().err


def _imported_packages(source: Path) -> set[str]:
    tree = ast.parse(source.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("module", sorted(p.name for p in TRAINING.glob("*.py")))
def test_training_imports_claims_and_no_other_package_of_the_project(module):
    assert not _imported_packages(TRAINING / module) & {"flows", "warehouse", "annotation", "expectations", "prefect"}


def test_no_package_imports_a_private_name_of_training_and_claims_does_not_import_training():
    root = TRAINING.parent
    for source in [*root.glob("claims/*.py"), *root.glob("flows/**/*.py"), *root.glob("bench/*.py")]:
        tree = ast.parse(source.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("training"):
                assert not source.is_relative_to(root / "claims"), source
                assert not [a.name for a in node.names if a.name.startswith("_")], source
