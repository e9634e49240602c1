"""Reliability benchmark: figures for the fault probe's cases.

    .venv/bin/python bench/bench_reliability.py --marks 2204

Prints:

- marks: setting the review mark on N tasks of a fresh project of a Label Studio it starts
  (claimflow's LocalServer, a temporary data folder), the way the resolve did it before (one GET
  and one PATCH per task, in turn) and the way it does now (the data read 200 tasks a call, then
  one Data Manager action per 200 tasks; and its fallback for a server that refuses the action,
  one PATCH per task, CLAIMFLOW_LS_CONCURRENCY at once), then a second run with nothing to change;
- loops: expanding '<dir>/**/*.txt' over a tree of 1,000 articles in 100 folders, each folder
  holding links to itself and its parent (seconds, files, peak traced memory);
- long paragraph: extracting a 1,000,100-character paragraph with the configured spaCy pipeline
  (seconds, blocks, claims);
- dead server: the wall time of `claimflow push` against a port nobody serves (the whole
  command, Python start and imports included).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import tempfile
import time
import tracemalloc
from pathlib import Path

from bench_labelstudio import ROOT, free_port  # this folder is on the path of a script run from it


def bench_marks(n: int, concurrency: int) -> None:
    from annotation.client import LabelStudioClient
    from annotation.config import config_text
    from annotation.server import LocalServer

    with tempfile.TemporaryDirectory(prefix="claimflow-bench-") as tmp:
        server = LocalServer(data_dir=Path(tmp) / "ls", venv=ROOT / ".venv-labelstudio", port=free_port())
        t = time.perf_counter()
        server.start(timeout=600)
        print(f"Label Studio started in {time.perf_counter() - t:.0f} s")
        try:
            with LabelStudioClient(server.url, server.credentials().token, concurrency=concurrency) as client:
                fields = dict.fromkeys(re.findall(r"\$(\w+)", config_text()), "NATO has 32 members, officials said.")
                ids = {}
                for name in ("before", "now"):
                    project = client.create_project(f"bench marks {name}", config_text())
                    ids[name] = (project, client.import_tasks(project, [{"data": fields | {"claim_id": f"c{i}"}} for i in range(n)]))

                project, tasks = ids["before"]
                t = time.perf_counter()
                for task in tasks:  # the resolve before: read the task, write its data, one task after the other
                    data = dict(client.sdk.tasks.get(id=task).data or {})
                    data["review"] = "needs_review"
                    client.sdk.tasks.update(id=str(task), data=data)
                before = time.perf_counter() - t

                project, tasks = ids["now"]
                wanted = dict.fromkeys(tasks, "needs_review")
                t = time.perf_counter()
                outcome = client.set_task_field(project, "review", wanted)
                now = time.perf_counter() - t
                t = time.perf_counter()
                again = client.set_task_field(project, "review", wanted)
                noop = time.perf_counter() - t
                assert set(outcome.values()) == {"changed"} and set(again.values()) == {"unchanged"}

                client._bulk_field_action = False  # as for a server without the action
                t = time.perf_counter()
                fallback = client.set_task_field(project, "review", dict.fromkeys(tasks, ""))
                patched = time.perf_counter() - t
                assert set(fallback.values()) == {"changed"}
            print(f"marks, {n} tasks: before {before:.1f} s ({n / before:.0f}/s); now {now:.1f} s ({n / now:.0f}/s), "
                  f"{before / now:.0f}x; again with nothing to change {noop:.2f} s; without the bulk action "
                  f"{patched:.1f} s ({n / patched:.0f}/s, {concurrency} PATCHes at once), {before / patched:.1f}x")
        finally:
            server.stop()


def bench_loops() -> None:
    from claims.sources import iter_inputs

    with tempfile.TemporaryDirectory(prefix="claimflow-loops-") as tmp:
        root = Path(tmp)
        for f in range(100):
            folder = root / f"f{f // 10}" / f"g{f}"
            folder.mkdir(parents=True)
            for a in range(10):
                (folder / f"a{a}.txt").write_text("NATO has 32 members, officials said.\n")
            os.symlink(".", folder / "self")
            os.symlink("..", folder / "up")
        tracemalloc.start()
        t = time.perf_counter()
        items = list(iter_inputs([f"{root}/**/*.txt"]))
        seconds = time.perf_counter() - t
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    files = sum(1 for i in items if isinstance(i, Path))
    loops = sum(1 for i in items if "a loop" in str(i))
    print(f"loops: '**/*.txt' over 100 folders with 200 loop links: {seconds:.2f} s, {files} files, {loops} loops reported, "
          f"peak {peak / 1e6:.1f} MB traced")


def bench_long_paragraph() -> None:
    from claims.blocks import split_blocks
    from claims.extract import extract
    from claims.pipeline import load_pipeline
    from claims.sources import make_article
    from flows.settings import get_settings

    sentence = "The ministry reported 42 new cases in Kyiv on Monday, officials said. "
    text = (sentence * (1_000_100 // len(sentence) + 1))[:1_000_100]
    article = make_article("Kyiv Update\n\n" + text, path="long.txt", fmt="text")
    model = get_settings().spacy_model
    nlp = load_pipeline(model)
    t = time.perf_counter()
    (result,) = extract(nlp, [article])
    seconds = time.perf_counter() - t
    print(f"long paragraph, 1,000,100 characters, {model}: {seconds:.1f} s, {len(split_blocks(article.text))} blocks, "
          f"{len(result.claims)} claims, error {result.error}")


def bench_dead_server() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLAIMFLOW_", "LABEL_STUDIO_"))}
    with tempfile.TemporaryDirectory() as tmp:
        env |= {"CLAIMFLOW_DB": f"{tmp}/w.duckdb", "LABEL_STUDIO_URL": f"http://127.0.0.1:{free_port()}",
                "LABEL_STUDIO_API_KEY": "a" * 40}
        t = time.perf_counter()
        result = subprocess.run([str(ROOT / ".venv" / "bin" / "claimflow"), "push"], env=env, capture_output=True, text=True)
        seconds = time.perf_counter() - t
    lines = result.stderr.strip().splitlines()
    print(f"dead server: `claimflow push` exits {result.returncode} after {seconds:.1f} s with {len(lines)} line(s) on stderr")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--marks", type=int, default=2204)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--skip-marks", action="store_true", help="Do not start Label Studio.")
    args = parser.parse_args()
    bench_dead_server()
    bench_loops()
    bench_long_paragraph()
    if not args.skip_marks:
        bench_marks(args.marks, args.concurrency)


if __name__ == "__main__":
    main()
