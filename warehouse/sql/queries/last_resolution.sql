-- The inputs and policy of the latest completed resolve that marked the tasks in Label Studio.
SELECT parameters ->> 'inputs' AS inputs, parameters ->> 'policy' AS policy
FROM runs
WHERE flow = 'resolve' AND status = 'completed' AND (parameters ->> 'mark')::BOOLEAN
ORDER BY finished_at DESC
LIMIT 1
