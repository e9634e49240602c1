-- A flow run starts, by this process (a re-used run id starts over: what it finished is cleared).
MERGE INTO runs USING (
    SELECT $run_id AS run_id, $flow AS flow, CAST($started_at AS TIMESTAMP) AS started_at, 'running' AS status,
           CAST($parameters AS JSON) AS parameters, CAST($pid AS INTEGER) AS pid, $host AS host
) AS new
ON runs.run_id = new.run_id
WHEN MATCHED THEN UPDATE SET flow = new.flow, started_at = new.started_at, status = new.status,
    parameters = new.parameters, pid = new.pid, host = new.host, finished_at = NULL, counts = NULL, message = NULL
WHEN NOT MATCHED THEN INSERT BY NAME;
