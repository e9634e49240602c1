# The two commands of the README: `make demo` runs the main job, `make test` runs the tests.
# Both install everything they need first (scripts/setup.sh is idempotent).
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: setup demo test test-unit bench lock clean

setup:
	@scripts/setup.sh

demo: setup
	$(VENV)/bin/claimflow run

test: setup
	$(PY) -m pytest $(PYTEST_ARGS)

test-unit: setup
	$(PY) -m pytest -m "not integration" $(PYTEST_ARGS)

bench: setup
	$(PY) bench/bench_ingest.py
	$(PY) bench/bench_labelstudio.py
	$(PY) bench/bench_quality.py
	$(PY) bench/bench_commands.py
	$(PY) bench/bench_webhooks.py

# Re-resolve the lock files (needs the registry); commit the result.
lock: setup
	$(VENV)/bin/uv pip compile pyproject.toml --extra dev --generate-hashes --python-version 3.11 -q -o requirements/pipeline.lock
	$(VENV)/bin/uv pip compile requirements/labelstudio.in --generate-hashes --python-version 3.11 -q -o requirements/labelstudio.lock

clean:
	rm -rf $(VENV) .venv-labelstudio data/ .pytest_cache
