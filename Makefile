# The two commands of the README: `make demo` runs the main job, `make test` runs the tests.
# Both install everything they need first (scripts/setup.sh is idempotent).
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: setup setup-train demo scaled-demo test test-unit bench lock clean

setup:
	@scripts/setup.sh

# The training venv (torch, transformers) of `claimflow train`, which also sets it up by itself
# (training/setup_venv.sh, from training/requirements.lock).
setup-train:
	@training/setup_venv.sh

demo: setup
	$(VENV)/bin/claimflow run

# The production shape on this machine: PostgreSQL, Label Studio and Prefect on it, the warehouse on
# DuckLake, a Dask scheduler and two workers; the main job on the samples, then all of it stopped.
# Settings and options are in scripts/scaled_demo.sh.
scaled-demo: setup
	@scripts/scaled_demo.sh

test: setup
	$(PY) -m pytest $(PYTEST_ARGS)

# tests/unit only: no server, no process of their own (under a minute).
test-unit: setup
	$(PY) -m pytest tests/unit -m "not slow" $(PYTEST_ARGS)

bench: setup
	$(PY) bench/bench_ingest.py
	$(PY) bench/bench_dask.py --chunks 50 10
	$(PY) bench/bench_labelstudio.py
	$(PY) bench/bench_quality.py
	$(PY) bench/bench_match.py
	$(PY) bench/contradiction_data.py bench/out/contradiction
	$(PY) bench/bench_contradiction.py bench/out/contradiction
	$(PY) bench/bench_factchecks.py bench/out/factchecks --split dev
	$(PY) bench/bench_factcheck_scale.py
	$(PY) bench/bench_model.py
	$(PY) bench/bench_batches.py claims/models/checkworthy-minilm/model.onnx
	$(PY) bench/bench_commands.py
	$(PY) bench/bench_webhooks.py
	$(PY) bench/bench_reliability.py
	$(PY) bench/bench_ducklake.py

# Re-resolve the lock files (needs the registry); commit the result.
lock: setup
	$(VENV)/bin/uv pip compile pyproject.toml --extra dev --generate-hashes --python-version 3.11 -q -o requirements/pipeline.lock
	$(VENV)/bin/uv pip compile requirements/models.in --no-deps --generate-hashes --python-version 3.11 -q -o requirements/models.lock
	$(VENV)/bin/uv pip compile requirements/labelstudio.in --generate-hashes --python-version 3.11 -q -o requirements/labelstudio.lock
	$(VENV)/bin/uv pip compile training/requirements.in --generate-hashes --python-version 3.11 --find-links $${CLAIMFLOW_TORCH_WHEELS:-/opt/wheels} -q -o training/requirements.lock

clean:
	rm -rf $(VENV) .venv-labelstudio .venv-train data/ .pytest_cache
