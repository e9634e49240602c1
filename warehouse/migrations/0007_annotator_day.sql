-- What a day of real annotation work asked for: who last wrote each annotation, the annotators'
-- "worth checking?" answer, each article's language and page size, skipped inputs told apart
-- from failed ones, and no agreement figure for a claim with a single label.

-- labels: updated_by is Label Studio's "last user who updated this annotation" (the API user
-- for an annotation created on someone's behalf); an edit by anyone but the author is
-- quarantined (edited_only_by_author), so it never lands under the author's name.
ALTER TABLE labels ADD COLUMN updated_by_id INTEGER;
ALTER TABLE labels ADD COLUMN updated_by VARCHAR;       -- that user's email
ALTER TABLE labels ADD COLUMN check_worthy BOOLEAN;     -- the annotator's answer; NULL if not given

-- articles: the language detected (ISO 639-1, py3langid) and, for HTML, the characters of
-- text on the whole page, to compare with what extraction kept.
ALTER TABLE articles ADD COLUMN language VARCHAR;
ALTER TABLE articles ADD COLUMN page_chars INTEGER;

-- ingest_failures: 'error' (could not be read or extracted) or 'skipped' (read, and left out
-- on purpose: a language not in CLAIMFLOW_LANGUAGES).
ALTER TABLE ingest_failures ADD COLUMN kind VARCHAR DEFAULT 'error';

-- verdicts: agreement is NULL for a claim with fewer than two annotations (one label agrees
-- with nothing).
ALTER TABLE verdicts ALTER COLUMN agreement DROP NOT NULL;
