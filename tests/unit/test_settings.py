"""Settings read once per command: a later read gets a copy while nothing they come from changed,
and a fresh read as soon as something did."""

from __future__ import annotations

import pytest

import flows.settings as settings_module
from flows.settings import get_settings


@pytest.fixture
def reads(monkeypatch, tmp_path):
    """How many times the settings were read from their sources, in a folder of the test's own."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(settings_module, "_from_environment", None)
    for name in ("CLAIMFLOW_DB", "CLAIMFLOW_PUSH_THRESHOLD"):
        monkeypatch.delenv(name, raising=False)
    count = {"n": 0}
    real = settings_module.Settings

    class Counted(real):
        def __init__(self, **values):
            count["n"] += 1
            super().__init__(**values)

    monkeypatch.setattr(settings_module, "Settings", Counted)
    return count


def test_a_second_read_is_a_copy_and_an_override_saying_the_same_reads_nothing_again(reads):
    first = get_settings()
    second = get_settings(db=str(first.db))  # a flow given the command's own warehouse
    assert reads["n"] == 1
    assert second.db == first.db and second is not first
    second.push_threshold = 0.99  # a change to one copy is not seen by the next read
    assert get_settings().push_threshold == first.push_threshold


def test_a_changed_variable_a_different_override_or_a_new_env_file_is_read_again(reads, monkeypatch, tmp_path):
    get_settings()
    assert str(get_settings(db="other.duckdb").db) == "other.duckdb"
    monkeypatch.setenv("CLAIMFLOW_DB", str(tmp_path / "env.duckdb"))
    assert str(get_settings().db) == str(tmp_path / "env.duckdb")
    monkeypatch.delenv("CLAIMFLOW_DB")
    (tmp_path / ".env").write_text("CLAIMFLOW_PUSH_THRESHOLD=0.7\n")
    assert get_settings().push_threshold == 0.7
    before = reads["n"]
    get_settings()
    assert reads["n"] == before  # nothing changed since
