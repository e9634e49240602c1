"""Great Expectations data docs: the suites, and the latest validation of each table against its
suite, as a static HTML site.

The repository's file context is copied into the output folder first, so building docs never
writes into the source tree (or an installed package)."""

from __future__ import annotations

import html
import re
import shutil
from importlib import resources
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
    index = root / "uncommitted" / "data_docs" / "local_site" / "index.html"
    make_offline(index)
    return index


# <link> and <script> elements that load files from other hosts (the docs use CDNs for
# Bootstrap, bootstrap-table, Font Awesome, jQuery and Vega).
_REMOTE = re.compile(
    r"<link\b[^>]*\bhref=[\"']https?://[^>]*>\s*|<script\b[^>]*\bsrc=[\"']https?://[^>]*>\s*</script>\s*", re.I
)


# The docs' logo and background image, fetched from a web server (with the context's id in
# the query); the site has the logo in static/images.
_REMOTE_LOGO = re.compile(r"""src=["']https?://[^"']*/(logo-long\.png)[^"']*["']""", re.I)
_REMOTE_URL = re.compile(r"""url\(\s*["']?https?://[^)]*\)""", re.I)


def make_offline(index: Path) -> None:
    """Every page of the data docs without its files from CDNs, with claimflow's small
    stylesheet inlined instead (the pages render styled offline), and the index with a plain
    list of the validation and suite pages (it lists them with JavaScript, which offline does
    not run)."""
    css = resources.files("expectations").joinpath("docs_offline.css").read_text(encoding="utf-8")
    style = f"<style>\n{css}</style>\n"
    site = index.parent
    for page in site.rglob("*.html"):
        to_root = "../" * (len(page.relative_to(site).parts) - 1)
        text = _REMOTE.sub("", page.read_text(encoding="utf-8"))
        text = _REMOTE_LOGO.sub(lambda m: f'src="{to_root}static/images/{m.group(1)}"', text)
        text = _REMOTE_URL.sub("none", text)
        if page == index:
            text = text.replace("<body>", "<body>\n" + _page_list(site), 1) if "<body>" in text else text + _page_list(site)
        text = text.replace("</head>", style + "</head>", 1) if "</head>" in text else style + text
        page.write_text(text, encoding="utf-8")


def _page_list(site: Path) -> str:
    def links(folder: str) -> str:
        pages = sorted((site / folder).rglob("*.html")) if (site / folder).is_dir() else []
        items = "".join(
            f'<li><a href="{html.escape(p.relative_to(site).as_posix(), quote=True)}">'
            f"{html.escape(' / '.join(p.relative_to(site / folder).with_suffix('').parts))}</a></li>"
            for p in pages
        )
        return f"<ul>{items}</ul>" if items else "<p>None.</p>"

    return (f'<div class="cf-offline-list"><h3>Validation results</h3>{links("validations")}'
            f'<h3>Expectation suites</h3>{links("expectations")}</div>\n')


def validation_pages(index: Path) -> dict[str, Path]:
    """suite name -> the page of its latest validation."""
    pages: dict[str, Path] = {}
    for page in sorted((index.parent / "validations").glob("*/*/*/*.html")):
        pages[page.relative_to(index.parent / "validations").parts[0]] = page
    return pages
