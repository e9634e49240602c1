-- The version (updated_at) of each live label ({labels}) of the tasks in `wanted`: a land
-- skips annotations unchanged since.
SELECT annotation_id, updated_at
FROM {labels}
WHERE ls_url = $ls_url AND NOT deleted AND task_id IN (SELECT task_id FROM wanted)
