"""Great Expectations suites (JSON, in this folder) and the validation that gates every landing.
Plain Python; does not import flows/ or Prefect. Great Expectations is imported lazily (~4 s)."""
