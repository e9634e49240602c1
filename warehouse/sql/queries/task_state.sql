-- task id -> ({subject}, the task's updated_at when its annotations were last landed) of the
-- project's tasks ({tasks}).
SELECT task_id, {subject}, ls_updated_at FROM {tasks} WHERE ls_url = $ls_url AND project_id = $project_id
