-- A flow run starts (a re-used run id starts over): one row per run_id in runs.
-- Parameters: run_id, flow, started_at, parameters (JSON), pid, host.
MERGE INTO runs
USING (SELECT ?::VARCHAR AS run_id, ?::VARCHAR AS flow, ?::TIMESTAMP AS started_at, ?::JSON AS parameters,
              ?::INTEGER AS pid, ?::VARCHAR AS host) AS started
ON runs.run_id = started.run_id
WHEN MATCHED THEN UPDATE SET
    flow = started.flow, started_at = started.started_at, status = 'running', parameters = started.parameters,
    pid = started.pid, host = started.host
WHEN NOT MATCHED THEN INSERT (run_id, flow, started_at, status, parameters, pid, host)
    VALUES (started.run_id, started.flow, started.started_at, 'running', started.parameters, started.pid, started.host);
