"""The morning list's grouping: stories are the connected groups of related articles, in the
order of their best claim, and a claim's rank is its place on the list."""

from datetime import date

from warehouse.morning import build_list, stories


def claim(claim_id: str, article: str, score: float) -> dict:
    return {"claim_id": claim_id, "article_id": article, "score": score}


def test_related_articles_form_one_story_even_through_a_third_article():
    groups = stories([("a", "b"), ("b", "c")], ["a", "c", "d"])
    assert groups["a"][0] == groups["c"][0] != groups["d"][0]
    assert (groups["a"][1], groups["d"][1]) == (3, 1)


def test_the_list_is_grouped_by_story_in_the_order_of_each_story_s_best_claim():
    candidates = [claim("x1", "a", 0.95), claim("y1", "d", 0.9), claim("x2", "c", 0.8), claim("y2", "d", 0.7), claim("x3", "a", 0.6)]
    rows = build_list(candidates, [("a", "b"), ("b", "c")], date(2026, 12, 6))
    assert [(r["claim_id"], r["story"], r["rank"]) for r in rows] == [
        ("x1", 1, 1), ("x2", 1, 2), ("x3", 1, 3), ("y1", 2, 4), ("y2", 2, 5)]
    assert {r["list_date"] for r in rows} == {date(2026, 12, 6)} and rows[0]["story_articles"] == 3
    assert build_list([], [("a", "b")], date(2026, 12, 6)) == []
