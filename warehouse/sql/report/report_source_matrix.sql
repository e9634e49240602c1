-- How often two sources agree or contradict: the model's view and people's, per pair of sources.
SELECT source_x, source_y, pairs, mean_contradiction, may_contradict, resolved, agree, contradict, unrelated,
       different_event, contradict_share
FROM source_matrix
ORDER BY source_x, source_y
