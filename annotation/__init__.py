"""Label Studio: the labeling config, task building, idempotent sync, result parsing and the
local server of the embedded default. Plain Python; does not import flows/ or Prefect."""
