-- What annotators wrote as they meant it, and what they are told of their quarantined answers.

-- The evidence field's free text ("see the Kiel aid tracker"), kept whole beside its links.
ALTER TABLE labels ADD COLUMN evidence_note VARCHAR;

-- The notice claimflow last wrote into the task (data.quarantine_html in Label Studio): why an
-- answer of it was quarantined and what to fix; '' once every such answer is fixed or gone.
ALTER TABLE tasks ADD COLUMN quarantine_notice VARCHAR;
ALTER TABLE pair_tasks ADD COLUMN quarantine_notice VARCHAR;
