-- How many of the project's tasks are mapped in {tasks}.
SELECT count(*) FROM {tasks} WHERE ls_url = $ls_url AND project_id = $project_id
