-- Every pair of articles the matcher found to tell the same story.
SELECT article_id_a, article_id_b FROM article_pairs WHERE related;
