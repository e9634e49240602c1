"""Great Expectations data docs: the suites, and the latest validation of each table against its
suite, as a static HTML site.

The repository's file context is copied into the output folder first, so building docs never
writes into the source tree (or an installed package)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd

from expectations.gate import ROW, parameters, suite_json, suites_dir, with_epochs


def build_data_docs(out_dir: Path, batches: dict[str, pd.DataFrame]) -> Path:
    """Validate each frame against the suite of its name through a checkpoint that updates the
    data docs; return the docs' index.html."""
    import great_expectations as gx
    from great_expectations.checkpoint import UpdateDataDocsAction
    from great_expectations.core import ExpectationSuite
    from great_expectations.data_context.types.base import ProgressBarsConfig

    root = Path(out_dir) / "gx"
    if root.exists():
        shutil.rmtree(root)
    # The context's configuration is copied; the suites are added afresh (which gives them the
    # ids Great Expectations wants before it validates, without writing ids into the repository).
    shutil.copytree(Path(str(suites_dir().parent)), root, ignore=shutil.ignore_patterns("uncommitted", "*.json"))
    context = gx.get_context(mode="file", project_root_dir=str(root.parent))
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    source = context.data_sources.add_pandas("warehouse")
    for name, frame in batches.items():
        suite = context.suites.add(ExpectationSuite(**suite_json(name)))
        batch_definition = source.add_dataframe_asset(name).add_batch_definition_whole_dataframe("latest")
        definition = context.validation_definitions.add(
            gx.ValidationDefinition(name=f"{name} (warehouse)", data=batch_definition, suite=suite)
        )
        checkpoint = context.checkpoints.add(
            gx.Checkpoint(
                name=f"{name}_checkpoint",
                validation_definitions=[definition],
                actions=[UpdateDataDocsAction(name="update_data_docs")],
                result_format={"result_format": "SUMMARY"},
            )
        )
        data = with_epochs(frame.reset_index(drop=True)).assign(**{ROW: range(len(frame))})
        checkpoint.run(batch_parameters={"dataframe": data}, expectation_parameters=parameters())
    context.build_data_docs()
    return root / "uncommitted" / "data_docs" / "local_site" / "index.html"


def validation_pages(index: Path) -> dict[str, Path]:
    """suite name -> the page of its latest validation. (The docs' index lists them with
    JavaScript from CDNs, so offline it shows no list; these pages read fine without it.)"""
    pages: dict[str, Path] = {}
    for page in sorted((index.parent / "validations").glob("*/*/*/*.html")):
        pages[page.relative_to(index.parent / "validations").parts[0]] = page
    return pages
