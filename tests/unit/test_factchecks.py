"""Reading published fact-checks: each format, ratings mapped to claimflow's verdicts with the
original kept, and a malformed record named by file, line and field while the others are read."""

from datetime import date
from pathlib import Path

import pytest

from claims.factchecks import FactCheck, Problem, fact_check_id, read_fact_checks, verdict_of

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "factchecks"


def read(name: str) -> tuple[list[FactCheck], list[Problem]]:
    items = list(read_fact_checks(FIXTURES / name))
    return [i for i in items if isinstance(i, FactCheck)], [i for i in items if isinstance(i, Problem)]


def test_a_page_s_claimreview_json_ld_is_read_from_its_graph_and_other_json_ld_is_passed_over():
    records, problems = read("page.html")
    assert problems == [] and len(records) == 1
    r = records[0]
    assert r.claim_reviewed == "The city council has banned bicycles on the harbour bridge from next month."
    assert (r.rating, r.verdict, r.publisher, r.publisher_url) == ("False", "refuted", "Example Fact Desk", "https://factdesk.example")
    assert (r.reviewed_at, r.claim_date, r.language) == (date(2026, 11, 3), date(2026, 10, 30), "en")
    assert (r.appearance_url, r.claim_author) == ("https://social.example/posts/98765", "A viral post")
    assert r.title == "No, bicycles are not banned from the harbour bridge"
    assert r.fact_check_id == fact_check_id("http://www.factdesk.example/checks/harbour-bridge-bicycles/", r.claim_reviewed.upper())


def test_the_google_fact_check_api_s_claims_give_one_fact_check_per_review():
    records, problems = read("google_api.json")
    assert problems == [] and len(records) == 3
    flu = [r for r in records if r.claim_reviewed.startswith("Drinking hot water")]
    assert {(r.publisher, r.rating, r.verdict, r.language) for r in flu} == {
        ("Health Checkers", "Pants on Fire", "refuted", "en"), ("Verifica", "Falso", None, "it")}
    assert {r.claim_author for r in flu} == {"Social media posts"} and {r.claim_date for r in flu} == {date(2026, 1, 12)}
    assert len({r.fact_check_id for r in flu}) == 2  # one claim, two reviews
    jobs = next(r for r in records if r.publisher == "Numbers Desk")
    assert (jobs.verdict, jobs.reviewed_at, jobs.claim_date) == ("supported", date(2026, 10, 20), None)


def test_a_csv_with_named_columns_lands_its_good_rows_and_names_the_bad_ones():
    records, problems = read("library.csv")
    assert [(r.claim_reviewed[:20], r.rating, r.verdict) for r in records] == [
        ("The new stadium cost", "Four Pinocchios", "refuted"), ("Tap water in the nor", "Missing context", "misleading")]
    assert [str(p) for p in problems] == [
        f"{FIXTURES / 'library.csv'}:4: reviewed_at: not a date: 'not a date'",
        f"{FIXTURES / 'library.csv'}:5: claim_reviewed: missing",
    ]


def test_json_lines_name_the_line_and_field_of_each_bad_record_and_read_the_rest():
    records, problems = read("reviews.jsonl")
    assert [(r.claim_reviewed[:15], r.rating, r.verdict) for r in records] == [
        ("Every primary s", "Half True", "misleading"), ("The river reach", "4/5", "supported")]
    path = FIXTURES / "reviews.jsonl"
    assert [(p.path, p.line, p.field) for p in problems] == [(str(path), 2, "url"), (str(path), 3, None), (str(path), 4, "@type")]
    assert "not a ClaimReview (found NewsArticle)" in str(problems[2])


@pytest.mark.parametrize("rating, verdict", [
    ("Pants on Fire!", "refuted"), ("Four Pinocchios", "refuted"), ("Mostly false", "misleading"), ("MOSTLY TRUE", "supported"),
    ("Half-True", "misleading"), ("Not true", "refuted"), ("This claim is false.", "refuted"), ("Unproven", "not_enough_info"),
    ("1/5", "refuted"), ("5/5", "supported"), ("Satire", "refuted"), ("Falso", None), ("", None), (None, None),
])
def test_common_ratings_map_to_claimflow_s_verdicts(rating, verdict):
    assert verdict_of(rating) == verdict


def test_an_unknown_file_kind_is_one_problem(tmp_path):
    path = tmp_path / "reviews.xml"
    path.write_text("<x/>", encoding="utf-8")
    assert [str(p) for p in read_fact_checks(path)] == [f"{path}: unknown format: give a .jsonl, .json, .jsonld, .html, .csv or .tsv file"]


def test_a_social_post_with_its_signature_is_a_paragraph_and_its_signature_is_not_a_claim():
    from claims.blocks import split_blocks

    post = ("WATCH: President met with loud boos at the World Series on Sunday night. pic.twitter.com/4RTW8ZqxqP "
            "— NBC News (@NBCNews) October 28, 2019")
    blocks = split_blocks(post)
    assert [(b.kind, post[b.start : b.end]) for b in blocks] == [
        ("paragraph", "WATCH: President met with loud boos at the World Series on Sunday night. pic.twitter.com/4RTW8ZqxqP"),
        ("boilerplate", "— NBC News (@NBCNews) October 28, 2019")]
    assert split_blocks("WATCH: the video of the flood")[0].kind == "boilerplate"  # a teaser stays one
