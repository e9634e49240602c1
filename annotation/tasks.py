"""Claims as Label Studio tasks: data fields for the config, and the model's score as a prediction.

All translation from claimflow's records to Label Studio's task JSON lives here.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable, Mapping
from annotation.config import ClaimControls, claim_controls
from claims.normalize import web_url


def _lines(text: str) -> str:
    """Escaped text with each line break kept as <br>: a heading stays on its own line instead of
    running into the next sentence."""
    return html.escape(text).replace("\n", "<br>")


def context_html(context: str, start: int, end: int) -> str:
    """The context as HTML with the claim (``context[start:end]``) marked and its line breaks
    kept; everything escaped."""
    return _lines(context[:start]) + "<mark>" + _lines(context[start:end]) + "</mark>" + _lines(context[end:])


def _source_parts(row: Mapping) -> list[str]:
    parts = [row.get("source") or "source unknown"]
    if row.get("published_at"):
        parts.append(str(row["published_at"])[:10])
    return parts


def source_line(row: Mapping) -> str:
    """Source, date and URL as plain text (a readable Data Manager column)."""
    return " · ".join(_source_parts(row) + ([str(row["url"])] if row.get("url") else []))


def source_html(row: Mapping) -> str:
    """Source and date, and the URL as a link that opens in a new tab (only http and https)."""
    return " · ".join([html.escape(p) for p in _source_parts(row)] + ([link_html(row["url"])] if row.get("url") else []))


def link_html(url: str, text: str | None = None) -> str:
    """``url`` as a link that opens in a new tab showing ``text`` (the URL itself by default), if it
    is an http or https URL; else ``text`` or the URL as plain text. Everything escaped."""
    shown = html.escape(text if text is not None else str(url))
    if (href := web_url(url)) is None:
        return shown
    return f'<a href="{html.escape(href, quote=True)}" target="_blank" rel="noopener noreferrer">{shown}</a>'


REVIEW_FIELD = "review"
# The notice of the task's quarantined answers (quarantine_html), shown at the top of the form.
QUARANTINE_FIELD = "quarantine_html"
# What an annotator can do about each check of the land their answer failed.
ADVICE = {
    "verdict_present": "choose a verdict",
    "verdict_allowed": "choose one of the verdicts of the form",
    "relation_present": "choose how the claims relate",
    "relation_allowed": "choose one of the relations of the form",
    "confidence_is_integer": "give a confidence of 1 to 5 stars",
    "confidence_in_range": "give a confidence of 1 to 5 stars",
    "evidence_urls_well_formed": "write evidence links as web addresses (https://...), one per line; anything else in words",
    "rationale_within_limit": "shorten the rationale",
    "evidence_within_limit": "shorten the evidence",
    "one_label_per_claim_and_annotator": "you answered this task twice: delete one of your answers",
    "one_label_per_pair_and_annotator": "you answered this task twice: delete one of your answers",
    "edited_only_by_author": "someone else changed this answer: open it and submit it again yourself",
    "check_worthy_allowed": "answer \"worth checking?\" with one of its two choices",
}


def quarantine_html(answers: list[tuple[str | None, list[str]]]) -> str:
    """The notice of a task's quarantined answers, escaped HTML in a highlighted box: for each
    (annotator, what to fix) what the annotator can do, then Update. Empty without any."""
    if not answers:
        return ""
    items = "".join(f"<li><b>{html.escape(who or 'an answer')}</b>: {html.escape('; '.join(todo))}.</li>" for who, todo in answers)
    return ('<div style="background:#fff1f0;border:1px solid #ffa39e;border-radius:6px;padding:0.3em 0.9em;margin:0.3em 0">'
            "<b>Not recorded yet:</b> an answer of this task was set aside by the quality checks. "
            f"Fix it and press Update; this notice goes at the next land.<ul>{items}</ul></div>")
# A match at or above this contradiction is shown as one that may contradict the claim.
MAY_CONTRADICT = 0.5
# Data fields the Data Manager's table does not show (see hidden_columns): ids for machines, and
# every *_html field, which it would show as raw markup.
HIDDEN_FIELDS = ("article_id",)


def hidden_columns(fields: Iterable[str]) -> list[str]:
    """The Data Manager column ids of the data fields annotators need not see in its table."""
    return [f"tasks:data.{k}" for k in dict.fromkeys(fields) if k in HIDDEN_FIELDS or k.endswith("_html")]


def checked_before_html(fact_checks: list[Mapping]) -> str:
    """The published fact-checks the claim matches (claim_fact_checks), escaped HTML: each
    fact-check's rating, publisher, date and link, the claim as it reviewed it, and how close
    the match is; empty without any."""
    if not fact_checks:
        return ""
    items = []
    for f in fact_checks:
        rating = html.escape(f.get("rating") or "no rating")
        verdict = f" ({html.escape(f['verdict'].replace('_', ' '))})" if f.get("verdict") else ""
        who = " · ".join(str(x) for x in (f.get("publisher") or "publisher unknown", str(f.get("reviewed_at") or "")[:10]) if x)
        items.append(f'<li><b>{rating}</b>{verdict}: “{html.escape(f.get("claim_reviewed") or "")}” — '
                     f'{link_html(f.get("url") or "", who)} (match {float(f.get("score") or 0):.2f})</li>')
    return "<p><b>Checked before:</b></p><ul>" + "".join(items) + "</ul>"


def matches_html(matches: list[Mapping], may_contradict: float = MAY_CONTRADICT, fact_checks: list[Mapping] | None = None) -> str:
    """What the claim task shows beside the claim: the published fact-checks it matches
    (:func:`checked_before_html`), then its paired claims from other articles (claim_pairs),
    escaped HTML: each with why it is listed in words (it may contradict the claim, it tells the
    same event, or another event), its article, source and date."""
    checked = checked_before_html(fact_checks or [])
    if not matches:
        return checked + "<p>No claim of another article on the same story yet.</p>"
    items = []
    for m in matches:
        why = html.escape(match_reason(m, may_contradict))
        if float(m.get("contradiction") or 0.0) >= may_contradict:
            why = f'<b style="color:#b42318">may contradict</b>: {why}'
        where = " · ".join(html.escape(str(x)) for x in (m.get("source") or "source unknown", str(m.get("published_at") or "")[:10]) if x)
        items.append(f"<li>{why}: “{html.escape(m.get('claim') or '')}” — "
                     f"<i>{html.escape(m.get('article_title') or '(untitled article)')}</i> ({where})</li>")
    return checked + "<ul>" + "".join(items) + "</ul>"


# The pair's reasons (claims/match.py) that say why two claims may contradict, in words.
_CONTRADICTION_CUES = ("antonym", "negation_mismatch", "refuting", "hedge_mismatch", "number_mismatch", "different_dates",
                       "article_refuting")


def match_reason(match: Mapping, may_contradict: float = MAY_CONTRADICT) -> str:
    """Why a paired claim is listed, in words: what the inference model judged and the cues
    behind a possible contradiction, or that it tells the same event, or a related one."""
    try:
        reasons = json.loads(match.get("reasons") or "[]")
    except (TypeError, ValueError):
        reasons = []
    contradiction = float(match.get("contradiction") or 0.0)
    if contradiction >= may_contradict:
        cues = [r["detail"] for r in reasons if r.get("cue") in _CONTRADICTION_CUES][:2]
        inferred = any(r.get("cue") == "inference" and "cannot both be true" in r.get("detail", "") for r in reasons)
        lead = ["the inference model finds they cannot both be true"] if inferred or not cues else []
        return "says otherwise: " + "; ".join(lead + cues)
    if match.get("relation") == "different_event":
        dates = next((r["detail"].split(":")[0] for r in reasons if r.get("cue") == "different_dates"), "")
        return f"a similar claim about another event ({dates})" if dates else "a similar claim about another event"
    if float(match.get("similarity") or 0.0) >= 0.5:
        return "the same event, told alike"
    return "the same story, another point"


def claim_task(
    row: Mapping, *, threshold: float, controls: ClaimControls | None = None, may_contradict: float = MAY_CONTRADICT,
    predict_from_fact_check: float = 0.8,
) -> dict:
    """One task for one claim row (a row of the warehouse's claim_overview view).

    The task's data carries the claim id, so a task in Label Studio can always be traced back to
    its claim. The prediction pre-selects "check_worthy" when the score reaches ``threshold``
    and carries the score and the scorer as ``model_version``. When the claim's best fact-check
    match (``row["fact_checks"]``) scores ``predict_from_fact_check`` or more and its rating maps
    to a verdict, the prediction pre-selects that verdict too, and its ``model_version`` says
    which fact-check it comes from.
    """
    controls = controls or claim_controls()
    cw = controls.checkworthy
    choice = cw.choices[0] if row["score"] >= threshold else cw.choices[1]
    result = [{"from_name": cw.name, "to_name": cw.to_name, "type": cw.result_type, "value": {"choices": [choice]}}]
    model_version = row["scorer"]
    best = next(iter(row.get("fact_checks") or []), None)
    if best and best.get("verdict") in controls.verdicts and float(best["score"]) >= predict_from_fact_check:
        v = controls.verdict
        result.append({"from_name": v.name, "to_name": v.to_name, "type": v.result_type, "value": {"choices": [best["verdict"]]}})
        model_version = (f"{row['scorer']} + verdict from a fact-check ({best.get('publisher') or 'publisher unknown'}: "
                         f"{best.get('rating')}; {best.get('method')} match {float(best['score']):.2f})")
    return {
        "data": {
            "claim_id": row["claim_id"],
            "article_id": row["article_id"],
            "article_title": row.get("article_title") or "(untitled article)",
            "source_line": source_line(row),
            "source_html": source_html(row),
            "claim": row["claim"],
            "context_html": context_html(row["context"], row["claim_start_in_context"], row["claim_end_in_context"]),
            "claim_type": row["claim_type"],
            # What other articles say of the same thing (claim_pairs), so a contradiction is
            # seen while judging the claim.
            "matches_html": matches_html(row.get("matches") or [], may_contradict, row.get("fact_checks") or []),
            "score": round(float(row["score"]), 4),
            # Set by the resolve step ("needs_review" on ties and low agreement): a reviewer
            # filters on it in the Data Manager. Present from import so the column exists.
            REVIEW_FIELD: "",
            QUARANTINE_FIELD: "",
        },
        "predictions": [{"model_version": model_version, "score": round(float(row["score"]), 4), "result": result}],
    }
