"""Folders and glob patterns expand in bounded time and memory, whatever links they hold: a link
to a folder is followed at most once, a loop is reported, files of other types are reported."""

import os
import threading
import time
import tracemalloc
from pathlib import Path

import pytest

from claims.paths import Skipped
from claims.sources import SourceError, iter_inputs


def expand(*args):
    items = list(iter_inputs([str(a) for a in args]))
    files = [str(i) for i in items if isinstance(i, Path)]
    errors = [str(i) for i in items if isinstance(i, SourceError)]
    passed = [str(i) for i in items if isinstance(i, Skipped)]
    return files, errors, passed


def link_loops(tmp_path):
    """A folder with an article, a subfolder, and the links of the fault probe: a -> . and b -> .
    (plus one up from the subfolder)."""
    root = tmp_path / "news"
    (root / "sub").mkdir(parents=True)
    (root / "good.txt").write_text("NATO has 32 members, officials said in Brussels on Monday.\n")
    (root / "sub" / "more.txt").write_text("The budget rose by 4 percent in 2024, the ministry said.\n")
    os.symlink(".", root / "a")
    os.symlink(".", root / "b")
    os.symlink("..", root / "sub" / "up")
    return root


@pytest.fixture
def looped(tmp_path):
    return link_loops(tmp_path)


def test_a_glob_over_link_loops_ends_quickly_in_little_memory_and_names_each_loop(looped):
    tracemalloc.start()
    started = time.perf_counter()
    files, errors, passed = expand(f"{looped}/**/*.txt")
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert files == [f"{looped}/good.txt", f"{looped}/sub/more.txt"]
    assert not errors
    assert passed == [
        f"{looped}/a: link to {looped}, a folder it is inside: a loop, not followed",
        f"{looped}/b: link to {looped}, a folder it is inside: a loop, not followed",
        f"{looped}/sub/up: link to {looped}, a folder it is inside: a loop, not followed",
    ]
    assert seconds < 5 and peak < 5_000_000  # glob(recursive=True) grew to 21 GB here


def test_a_folder_argument_reports_its_loops_too(looped):
    files, _, passed = expand(looped)
    assert files == [f"{looped}/good.txt", f"{looped}/sub/more.txt"]
    assert len(passed) == 3 and all("a loop, not followed" in p for p in passed)


def test_a_link_to_a_folder_elsewhere_is_followed_once_and_its_files_read_once(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "wire.md").write_text("Russia reported losses on Monday, officials said.\n")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    os.symlink(shared, inbox / "one")
    os.symlink(shared, inbox / "two")
    os.symlink(shared / "wire.md", inbox / "copy.md")
    files, errors, passed = expand(inbox, f"{inbox}/**/*.md")
    assert files == [f"{inbox}/copy.md"]  # the same file by any path is read once
    assert not errors and not passed


def test_a_bounded_pattern_walks_through_a_loop_without_reporting_it(looped):
    files, errors, passed = expand(f"{looped}/*/*/good.txt")
    assert files == [f"{looped}/a/a/good.txt"] and not errors and not passed


def test_files_of_types_claimflow_does_not_read_are_reported_per_argument(tmp_path):
    (tmp_path / "a.txt").write_text("NATO has 32 members.")
    (tmp_path / "articles.json").write_text('[{"text": "NATO has 32 members."}]')
    (tmp_path / "rows.csv").write_text("text\nNATO has 32 members.\n")
    (tmp_path / "more.csv").write_text("text\n")
    (tmp_path / ".DS_Store").write_bytes(b"\0")
    files, errors, (passed,) = expand(tmp_path)
    assert files == [f"{tmp_path}/a.txt"] and not errors
    assert passed.startswith(f"{tmp_path}: 3 files of types claimflow does not read passed over: .csv (2), .json (1); e.g. ")
    assert "written as .jsonl" in passed and ".DS_Store" not in passed


def test_a_folder_of_only_other_types_is_an_error_and_says_what_it_holds(tmp_path):
    (tmp_path / "articles.json").write_text("[]")
    files, errors, passed = expand(tmp_path)
    assert files == [] and errors == [f"{tmp_path}: folder holds no .htm, .html, .jsonl, .markdown, .md, .ndjson, .txt files"]
    assert ".json (1)" in passed[0]


def test_hidden_folders_are_passed_over_unless_a_pattern_names_them(tmp_path):
    (tmp_path / ".drafts").mkdir()
    (tmp_path / ".drafts" / "x.md").write_text("NATO has 32 members.")
    (tmp_path / "y.md").write_text("NATO has 32 members.")
    assert expand(tmp_path)[0] == [f"{tmp_path}/y.md"]
    assert expand(f"{tmp_path}/.drafts/*.md")[0] == [f"{tmp_path}/.drafts/x.md"]


def test_a_named_pipe_is_refused_not_read(tmp_path):
    fifo = tmp_path / "feed.txt"
    os.mkfifo(fifo)
    done = []
    worker = threading.Thread(target=lambda: done.append(expand(fifo)), daemon=True)
    worker.start()
    worker.join(10)
    assert done, "expanding a named pipe hung"
    assert done[0][1] == [f"{fifo}: not a regular file (a device, socket or pipe); expected an article file"]


def test_a_broken_link_is_named(tmp_path):
    os.symlink(tmp_path / "gone.txt", tmp_path / "link.txt")
    (tmp_path / "ok.txt").write_text("NATO has 32 members.")
    assert expand(tmp_path)[:2] == ([f"{tmp_path}/ok.txt"], [f"{tmp_path}/link.txt: broken symbolic link"])


def test_patterns_start_where_their_wildcards_start(tmp_path, monkeypatch):
    (tmp_path / "x" / "y").mkdir(parents=True)
    (tmp_path / "x" / "y" / "z.txt").write_text("NATO has 32 members.")
    monkeypatch.chdir(tmp_path)
    assert expand("x/*/z.txt")[0] == ["x/y/z.txt"]
    assert expand("*/y/*.txt")[0] == ["x/y/z.txt"]
    assert expand("x/**")[0] == ["x/y/z.txt"]
    assert expand(f"{tmp_path}/**/z.txt")[0] == [f"{tmp_path}/x/y/z.txt"]
    assert expand("nothing/*.txt")[1] == ["nothing/*.txt: pattern matches no supported file"]
