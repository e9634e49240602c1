-- The projects of a Label Studio server that claimflow pushed tasks to ({tasks}).
SELECT DISTINCT project_id FROM {tasks} WHERE ls_url = $ls_url ORDER BY project_id
