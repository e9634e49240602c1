"""The analysts' report: the warehouse's views as tables and charts in one static HTML page, and
the tables the data docs beside it validate (:func:`docs_batches`).

:func:`report_data` reads (one read-only connection); :func:`render` is pure (frames -> HTML),
with charts drawn by matplotlib as inline SVG, so the page works offline and by e-mail.
"""

from __future__ import annotations

import html
import io
import math
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib import resources

import duckdb
import pandas as pd

from warehouse.db import sql

VERDICT_COLUMNS = ["supported", "refuted", "misleading", "not_enough_info", "not_checkable"]
VERDICT_COLOURS = ["#2e7d32", "#c62828", "#ef6c00", "#757575", "#5c6bc0"]

# What the report shows: one query over the analysts' views each.
SECTIONS = [
    "sources", "articles", "annotators", "pairs", "agreement", "quarantine", "needs_review", "status",
    "contradictions", "source_matrix",
]  # each one query, warehouse/sql/report/report_<name>.sql


@dataclass
class ReportData:
    frames: dict[str, pd.DataFrame]
    generated_at: datetime


# The cards above the tables: (label, the claim statuses counted). "pushed" counts every claim
# with a task, the tables' "pushed" (article_summary, source_summary): one meaning in the report.
CARDS = [
    ("claims", ("not_pushed", "pushed", "open", "resolved", "needs_review")),
    ("not pushed", ("not_pushed",)),
    ("pushed", ("pushed", "open", "resolved", "needs_review")),
    ("no answer yet", ("pushed",)),
    ("open", ("open",)),
    ("resolved", ("resolved",)),
    ("needs review", ("needs_review",)),
]


def status_cards(status: dict[str, int]) -> list[tuple[str, int]]:
    """The cards' (label, count) from the claims per status (report_status)."""
    return [(label, sum(int(status.get(s, 0)) for s in statuses)) for label, statuses in CARDS]


def report_data(con: duckdb.DuckDBPyConnection) -> ReportData:
    return ReportData({name: con.execute(sql(f"report_{name}")).df() for name in SECTIONS}, datetime.now(timezone.utc))


def docs_batches(con: duckdb.DuckDBPyConnection) -> dict[str, pd.DataFrame]:
    """The tables the data docs beside the report validate, by suite: claims, live labels, verdicts."""
    return {name: con.execute(sql(f"docs_{name}")).df() for name in ("claims", "labels", "verdicts")}


def _svg(figure) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(figure)
    text = buffer.getvalue()
    return text[text.index("<svg"):]


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def verdicts_by_source_chart(sources: pd.DataFrame) -> str | None:
    if sources.empty or sources[VERDICT_COLUMNS].to_numpy().sum() == 0:
        return None
    plt = _plt()
    data = sources.set_index("source")[VERDICT_COLUMNS].astype(float)
    fig, ax = plt.subplots(figsize=(8, 0.5 + 0.45 * len(data)))
    data.plot.barh(stacked=True, ax=ax, color=VERDICT_COLOURS, width=0.7)
    ax.set_xlabel("resolved claims")
    ax.set_ylabel("")
    ax.invert_yaxis()
    ax.legend(fontsize=8, frameon=False, bbox_to_anchor=(1.0, 1.0), loc="upper left")
    ax.spines[["top", "right"]].set_visible(False)
    return _svg(fig)


def agreement_chart(articles: pd.DataFrame) -> str | None:
    data = articles.dropna(subset=["alpha"])
    if data.empty:
        return None
    plt = _plt()
    data = data.assign(label=data["title"].fillna("(untitled)").str.slice(0, 50)).set_index("label")["alpha"].sort_values()
    fig, ax = plt.subplots(figsize=(8, 0.5 + 0.4 * len(data)))
    ax.barh(data.index, data.to_numpy(), color=["#c62828" if a < 0.667 else "#2e7d32" for a in data])
    ax.axvline(0.667, color="#555", linestyle="--", linewidth=1)
    ax.set_xlabel("Krippendorff's alpha (nominal); dashed: 0.667, the usual floor for tentative conclusions")
    ax.set_xlim(min(-0.1, data.min() - 0.05), 1.0)
    ax.spines[["top", "right"]].set_visible(False)
    return _svg(fig)


def quarantine_chart(quarantine: pd.DataFrame) -> str | None:
    if quarantine.empty:
        return None
    plt = _plt()
    data = quarantine.pivot_table(index="day", columns="reason", values="rows", aggfunc="sum", fill_value=0)
    data.index = [str(d)[:10] for d in data.index]
    fig, ax = plt.subplots(figsize=(8, 3.2))
    data.plot.bar(stacked=True, ax=ax, width=0.7, rot=0)
    ax.set_ylabel("rows quarantined")
    ax.legend(fontsize=8, frameon=False, bbox_to_anchor=(1.0, 1.0), loc="upper left")
    ax.spines[["top", "right"]].set_visible(False)
    return _svg(fig)


def source_matrix_chart(matrix: pd.DataFrame) -> str | None:
    """Sources against sources: the colour is how often people found their claims contradict
    (of the pairs they resolved as agree or contradict), or, where nobody has judged a pair yet,
    the share of their pairs the model says may contradict (hatched); each cell gives the counts."""
    if matrix.empty:
        return None
    plt = _plt()
    import numpy as np

    sources = sorted(set(matrix["source_x"]) | set(matrix["source_y"]))
    index = {s: n for n, s in enumerate(sources)}
    values = np.full((len(sources), len(sources)), np.nan)
    judged = np.zeros_like(values, dtype=bool)
    labels = [["" for _ in sources] for _ in sources]
    for r in matrix.itertuples():
        x, y = index[r.source_x], index[r.source_y]
        people = r.agree + r.contradict
        value = r.contradict / people if people else r.may_contradict / r.pairs
        text = (f"{r.contradict}/{people} contradict\n(people)" if people
                else f"{r.may_contradict}/{r.pairs} may\ncontradict (model)")
        for a, b in ((x, y), (y, x)):
            values[a, b], judged[a, b], labels[a][b] = value, bool(people), text
    size = 1.6 + 1.1 * len(sources)
    fig, ax = plt.subplots(figsize=(min(size + 2, 14), min(size, 12)))
    image = ax.imshow(values, cmap="RdYlGn_r", vmin=0, vmax=1)
    for a in range(len(sources)):
        for b in range(len(sources)):
            if labels[a][b]:
                ax.text(b, a, labels[a][b], ha="center", va="center", fontsize=7)
                if not judged[a, b]:
                    ax.add_patch(plt.Rectangle((b - 0.5, a - 0.5), 1, 1, fill=False, hatch="//", edgecolor="#999", linewidth=0))
    short = [s if len(s) <= 38 else s[:36] + "…" for s in sources]
    ax.set_xticks(range(len(sources)), short, rotation=40, ha="right", fontsize=8)
    ax.set_yticks(range(len(sources)), short, fontsize=8)
    fig.colorbar(image, ax=ax, fraction=0.035, label="share contradicting: people's, or the model's (hatched)")
    return _svg(fig)
def _cell_html(value) -> str:
    """A cell as escaped HTML: no "nan" or "None", a map (votes) as "refuted 2, supported 1"."""
    if isinstance(value, dict):
        return html.escape(", ".join(f"{k} {v}" for k, v in value.items()))
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA or value is pd.NaT:
        return ""
    return html.escape(str(value))


def html_table(frame: pd.DataFrame) -> str:
    """A frame as an HTML table, every cell escaped. A ``task_url`` column is not shown: it
    makes the ``task_id`` of its row a link to the task in Label Studio."""
    urls = frame["task_url"] if "task_url" in frame.columns else None
    shown = frame.drop(columns=["task_url"]) if urls is not None else frame
    cells = shown.map(_cell_html)
    if urls is not None and "task_id" in cells.columns:
        cells["task_id"] = [
            f'<a href="{html.escape(str(u), quote=True)}">{c}</a>' if isinstance(u, str) and u.startswith(("http://", "https://")) else c
            for c, u in zip(cells["task_id"], urls)
        ]
    # Column names break at their underscores, so a header is never wider than its figures.
    cells.columns = [html.escape(str(c)).replace("_", "_<wbr>") for c in cells.columns]
    return cells.to_html(index=False, classes="data", border=0, escape=False)


def render(data: ReportData, *, data_docs: dict[str, str] | None = None) -> str:
    """The report page as HTML; ``data_docs`` links the data docs ("index") and each suite's
    latest validation page."""
    from jinja2 import Environment, select_autoescape
    from markupsafe import Markup

    template = resources.files("warehouse").joinpath("templates", "report.html.j2").read_text(encoding="utf-8")
    env = Environment(autoescape=select_autoescape(default=True, default_for_string=True))
    f = data.frames

    def table(frame: pd.DataFrame) -> Markup:
        if frame.empty:
            return Markup("<p class=empty>Nothing yet.</p>")
        return Markup(f'<div class="scroll">{html_table(frame)}</div>')

    charts = {
        "verdicts": verdicts_by_source_chart(f["sources"]),
        "agreement": agreement_chart(f["articles"]),
        "quarantine": quarantine_chart(f["quarantine"]),
        "source_matrix": source_matrix_chart(f["source_matrix"]),
    }
    return env.from_string(template).render(
        generated_at=data.generated_at.strftime("%Y-%m-%d %H:%M UTC"),
        cards=status_cards(dict(zip(f["status"]["status"], f["status"]["claims"]))),
        tables={name: table(frame) for name, frame in f.items()},
        charts={k: Markup(v) if v else None for k, v in charts.items()},
        data_docs=data_docs,
    )
