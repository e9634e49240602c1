-- The report's annotators table.
SELECT *
FROM annotator_agreement
ORDER BY labels DESC
