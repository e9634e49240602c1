-- The list of `batch`'s day replaces that day's rows.
DELETE FROM morning_list WHERE list_date IN (SELECT DISTINCT list_date FROM batch);
INSERT INTO morning_list BY NAME SELECT * FROM batch;
