-- Remember up to when each changed task's annotations have been landed ({tasks}).
UPDATE {tasks} SET ls_updated_at = changed.ls_updated_at
FROM changed
WHERE {tasks}.ls_url = $ls_url AND {tasks}.project_id = $project_id AND {tasks}.task_id = changed.task_id;
