import json
from datetime import datetime

import pytest

from claims.errors import SourceError
from claims.sources import expand_paths, read_articles

MB = 1_000_000


def read_all(*paths, max_bytes=2 * MB):
    files, errors = expand_paths(paths)
    items = list(read_articles(files, max_bytes))
    articles = [i for i in items if not isinstance(i, SourceError)]
    return articles, errors + [i for i in items if isinstance(i, SourceError)]


def test_text_and_markdown_files_are_read_with_a_title(tmp_path):
    (tmp_path / "a.txt").write_text("NATO Summit Ends\n\nNATO has **32** members, officials said.\n")
    (tmp_path / "b.md").write_text("# Budget News\n\nThe budget rose by 4% in 2024.\n")
    articles, errors = read_all(tmp_path)
    assert not errors
    assert [(a.title, a.format) for a in articles] == [("NATO Summit Ends", "text"), ("Budget News", "markdown")]
    assert articles[0].text == "NATO Summit Ends\n\nNATO has 32 members, officials said."


def test_front_matter_sets_metadata_and_is_not_part_of_the_text(tmp_path):
    (tmp_path / "a.md").write_text(
        "---\ntitle: \"Given Title\"\nsource: Example Times\nurl: https://example.org/a\npublished_at: 2025-02-14\n---\nBody sentence about NATO here.\n"
    )
    (article,), errors = read_all(tmp_path / "a.md")
    assert not errors
    assert (article.title, article.source, article.url) == ("Given Title", "Example Times", "https://example.org/a")
    assert article.published_at == datetime(2025, 2, 14)
    assert article.text == "Body sentence about NATO here."


def test_jsonl_reads_one_article_per_line_and_names_bad_lines(tmp_path):
    rows = [
        json.dumps({"text": "NATO has 32 members.", "title": "One", "source": "Wire", "published_at": "2025-02-14T10:00:00+01:00"}),
        "",
        "{not json",
        json.dumps(["a", "list"]),
        json.dumps({"title": "no text"}),
        json.dumps({"text": 42}),
        json.dumps({"text": "Fine text here.", "url": 7}),
        json.dumps({"text": "Bad date here.", "published_at": "yesterday"}),
        json.dumps({"text": "   "}),
        json.dumps({"text": "Russia reported losses on Monday."}),
    ]
    path = tmp_path / "feed.jsonl"
    path.write_text("\n".join(rows) + "\n")
    articles, errors = read_all(path)
    assert [a.title for a in articles] == ["One", "Russia reported losses on Monday."]
    assert articles[0].published_at == datetime(2025, 2, 14, 9, 0)  # stored in UTC
    assert [a.source_line for a in articles] == [1, 10]
    reasons = {e.line: e.reason for e in errors}
    assert set(reasons) == {3, 4, 5, 6, 7, 8, 9}
    assert "invalid JSON" in reasons[3]
    assert "expected a JSON object" in reasons[4]
    assert reasons[5] == "field 'text' is missing"
    assert reasons[6] == "field 'text' must be a string"
    assert reasons[7] == "field 'url' must be a string"
    assert "published_at" in reasons[8] and "yesterday" in reasons[8]
    assert reasons[9] == "field 'text' is empty"
    assert all(str(path) in str(e) and f":{e.line}:" in str(e) for e in errors)


def test_html_is_extracted_with_trafilatura(tmp_path):
    html = """<html><head><title>Site | Big news</title>
    <meta property="article:published_time" content="2025-02-14"></head><body>
    <nav>Home About Contact</nav><article><h1>Big news today</h1>
    <p>The minister said on Monday that 40 percent of the budget would go to defence, a rise from 2023.</p>
    <h2>Allies react</h2><p>NATO was founded in 1949 and now has 32 members, officials said in Brussels on Tuesday.</p>
    </article><footer>Copyright</footer></body></html>"""
    (tmp_path / "page.html").write_text(html)
    (article,), errors = read_all(tmp_path / "page.html")
    assert not errors
    assert article.title == "Big news today"
    assert article.format == "html"
    assert "NATO was founded in 1949" in article.text and "Copyright" not in article.text
    assert article.published_at == datetime(2025, 2, 14)


BAD_INPUTS = {
    "empty.txt": (b"", "file is empty"),
    "blank.txt": (b"  \n\n \t\n", "file is empty"),
    "binary.txt": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary file"),
    "latin1.txt": ("Caf\u00e9 au lait in M\u00fcnchen.".encode("latin-1"), "not UTF-8 text (invalid byte 0xe9 at offset 3)"),
    "empty.jsonl": (b"\n\n", "file is empty"),
    "nothing.html": (b"<html><body><script>var x = 1;</script></body></html>", "no article text found"),
}


@pytest.mark.parametrize("name", sorted(BAD_INPUTS))
def test_bad_files_get_a_clear_error_naming_the_file(tmp_path, name):
    content, reason = BAD_INPUTS[name]
    path = tmp_path / name
    path.write_bytes(content)
    articles, errors = read_all(path)
    assert articles == []
    (error,) = errors
    assert error.path == str(path) and reason in error.reason
    assert str(path) in str(error)


def test_a_20_mb_article_is_refused_by_size(tmp_path):
    path = tmp_path / "huge.txt"
    path.write_text(("NATO has 32 members. " * 50 + "\n") * 19_500)
    assert path.stat().st_size > 20 * MB
    articles, errors = read_all(path)
    assert articles == []
    assert "article is 20.5 MB, over the 2.0 MB limit (CLAIMFLOW_MAX_ARTICLE_BYTES)" in str(errors[0])


def test_missing_paths_unmatched_globs_and_unsupported_types_are_errors(tmp_path):
    (tmp_path / "notes.pdf").write_bytes(b"%PDF")
    (tmp_path / "ok.txt").write_text("NATO has 32 members.")
    files, errors = expand_paths([tmp_path / "nope.txt", str(tmp_path / "*.docx"), tmp_path / "notes.pdf", tmp_path / "ok.txt"])
    assert files == [tmp_path / "ok.txt"]
    assert [e.reason for e in errors] == [
        "no such file or directory",
        "pattern matches no supported file",
        "unsupported file type '.pdf'; expected .htm, .html, .jsonl, .markdown, .md, .ndjson, .txt",
    ]


def test_folders_and_globs_expand_to_supported_files_once(tmp_path):
    (tmp_path / "sub").mkdir()
    for name in ("a.txt", "sub/b.md", "sub/c.jsonl", "skip.pdf"):
        (tmp_path / name).write_text("x")
    files, errors = expand_paths([tmp_path, str(tmp_path / "**" / "*.md")])
    assert not errors
    assert [f.relative_to(tmp_path).as_posix() for f in files] == ["a.txt", "sub/b.md", "sub/c.jsonl"]


def test_good_files_are_read_even_when_others_fail(tmp_path):
    (tmp_path / "bad.txt").write_bytes(b"\xff\xfe\x00")
    (tmp_path / "good.txt").write_text("NATO has 32 members.")
    articles, errors = read_all(tmp_path)
    assert [a.text for a in articles] == ["NATO has 32 members."]
    assert len(errors) == 1


@pytest.mark.parametrize(
    ("encoding", "bom", "name"),
    [("utf-16-le", b"\xff\xfe", "UTF-16 (little-endian)"), ("utf-16-be", b"\xfe\xff", "UTF-16 (big-endian)"),
     ("utf-16-le", b"", "UTF-16 (little-endian)"), ("utf-32-le", b"\xff\xfe\x00\x00", "UTF-32 (little-endian)")],
)
def test_a_utf16_or_utf32_file_is_named_by_its_encoding_not_called_binary(tmp_path, encoding, bom, name):
    path = tmp_path / "saved-by-notepad.txt"
    path.write_bytes(bom + "NATO has 32 members, officials said.\n".encode(encoding))
    articles, (error,) = read_all(path)
    assert articles == []
    assert error.reason == f"{name} text; expected UTF-8: re-save it as UTF-8"


def test_an_article_of_more_lines_than_the_limit_is_refused_naming_it_and_the_others_are_read(tmp_path):
    many = tmp_path / "many.txt"
    many.write_text("\n".join(f"Aid up {i % 10}." for i in range(101)))  # 101 lines, blank ones not counted
    rows = tmp_path / "rows.jsonl"
    rows.write_text(json.dumps({"text": "Line one.\n\nLine two."}) + "\n" + json.dumps({"text": "x.\n" * 101}) + "\n")
    (tmp_path / "ok.txt").write_text("NATO has 32 members.\n\n\nIt said so.")
    found = list(read_articles([many, rows, tmp_path / "ok.txt"], 2 * MB, max_lines=100))
    errors = [str(f) for f in found if isinstance(f, SourceError)]
    assert errors == [
        f"{many}: article has 101 lines, over the 100 limit (CLAIMFLOW_MAX_ARTICLE_LINES): split it into several articles, or raise the limit",
        f"{rows}:2: article has 101 lines, over the 100 limit (CLAIMFLOW_MAX_ARTICLE_LINES): split it into several articles, or raise the limit",
    ]
    assert [a.source_path for a in found if not isinstance(a, SourceError)] == [str(rows), str(tmp_path / "ok.txt")]


def test_an_article_of_exactly_the_limit_is_read(tmp_path):
    path = tmp_path / "edge.txt"
    path.write_text("\n\n".join(f"Aid up {i}." for i in range(100)))
    (article,) = read_articles([path], 2 * MB, max_lines=100)
    assert not isinstance(article, SourceError) and article.text.count("\n\n") == 99


def test_nul_and_other_control_characters_go_from_every_field_of_a_jsonl_article(tmp_path):
    """One rule for every field: a NUL written as \\u0000 in JSON is dropped from the URL, the source
    and the date as it is from the text and the title."""
    path = tmp_path / "nul.jsonl"
    row = {"text": "NATO has 32\u0000 members.", "title": "NA\u0000TO", "url": "https://example.org/\u0000a\u0007b",
           "source": "Wire\u0000", "published_at": "2025-02-14\u0000"}
    path.write_text(json.dumps(row) + "\n")
    (article,) = read_articles([path], MB)
    assert not isinstance(article, SourceError), article
    assert (article.text, article.title, article.url, article.source) == ("NATO has 32 members.", "NATO", "https://example.org/ab", "Wire")
    assert article.published_at == datetime(2025, 2, 14)
