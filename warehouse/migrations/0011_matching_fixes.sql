-- Matching, after review: a pair with a single label has no agreement figure (as for
-- claims since 0007); each matched claim keeps the cosines of its k nearest claims of other
-- article, so a later new claim that comes closer than the k-th is paired with it too; a claim task keeps a
-- hash of the matches it shows, so a push updates the tasks whose matches changed; pair labels
-- keep who last changed them, as claim labels do.
ALTER TABLE pair_verdicts ALTER COLUMN agreement DROP NOT NULL;
ALTER TABLE matched_claims ADD COLUMN top_cosines DOUBLE[];  -- its k nearest claims of other articles, closest first
ALTER TABLE tasks ADD COLUMN matches_hash VARCHAR;
ALTER TABLE pair_labels ADD COLUMN updated_by_id INTEGER;
ALTER TABLE pair_labels ADD COLUMN updated_by VARCHAR;
