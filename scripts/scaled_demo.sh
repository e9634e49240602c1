#!/usr/bin/env bash
# The production shape on one machine (`make scaled-demo`): a private PostgreSQL; the local Label
# Studio and Prefect server keeping their data in it; the warehouse as a DuckLake catalog in it with
# its data files under the demo folder; a Dask scheduler and two workers started apart from
# claimflow, which the ingest's extraction and the match's embedding are sent to. Then the main job
# (`claimflow run`) on the sample articles, and everything this script started is stopped again
# (what ran before it is left running).
#
# Everything lives in CLAIMFLOW_DEMO_DIR (default data/scaled). Ports: the usual settings
# (CLAIMFLOW_POSTGRES_PORT, CLAIMFLOW_LS_PORT, CLAIMFLOW_PREFECT_PORT) and CLAIMFLOW_DEMO_DASK_PORT
# (default 8786). CLAIMFLOW_DEMO_WAREHOUSE=duckdb keeps the warehouse in a DuckDB file instead of
# DuckLake; CLAIMFLOW_DEMO_KEEP=1 leaves the servers and the Dask cluster running at the end (to look
# around in Label Studio and Prefect); stop them with `scripts/scaled_demo.sh stop`.
set -euo pipefail
cd "$(dirname "$0")/.."

DEMO=$(realpath -m "${CLAIMFLOW_DEMO_DIR:-data/scaled}")
DASK_PORT=${CLAIMFLOW_DEMO_DASK_PORT:-8786}
BIN=$PWD/.venv/bin
export CLAIMFLOW_SERVERS_DATABASE=postgres
export CLAIMFLOW_POSTGRES_DATA_DIR=$DEMO/postgres
export CLAIMFLOW_LS_DATA_DIR=$DEMO/labelstudio
export CLAIMFLOW_PREFECT_DATA_DIR=$DEMO/prefect
export CLAIMFLOW_LOG_FILE=$DEMO/claimflow.log
export CLAIMFLOW_TASK_RUNNER=dask
export CLAIMFLOW_DASK_ADDRESS=tcp://127.0.0.1:$DASK_PORT
claimflow() { "$BIN/claimflow" "$@"; }

mkdir -p "$DEMO"
chmod 0711 "$DEMO"  # run as root, PostgreSQL runs as the postgres account, which must pass through

stop_dask() {  # the process groups this script started (a pid reused since by another program is left alone)
  local pid
  for pid in $(cat "$DEMO"/dask-*.pid 2>/dev/null); do
    if tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "bin/dask "; then
      kill -TERM -- "-$pid" 2>/dev/null || true  # each was started as the leader of its own process group
    fi
  done
  rm -f "$DEMO"/dask-*.pid
}

if [ "${1:-}" = stop ]; then
  stop_dask
  claimflow labelstudio stop; claimflow prefect stop; claimflow postgres stop
  exit 0
fi

started=()  # the servers this run started, stopped at the end in reverse order
finish() {
  local status=$?
  if [ "${CLAIMFLOW_DEMO_KEEP:-0}" = 1 ]; then
    echo "scaled-demo: left running (stop with scripts/scaled_demo.sh stop): ${started[*]:-nothing new} + Dask at $CLAIMFLOW_DASK_ADDRESS"
    exit $status
  fi
  stop_dask
  local i
  for ((i = ${#started[@]} - 1; i >= 0; i--)); do
    claimflow "${started[i]}" stop >/dev/null || true
  done
  exit $status
}
trap finish EXIT

start() {  # start SERVER: start it unless it runs already, and remember that this run started it
  if claimflow "$1" status >/dev/null 2>&1; then
    echo "scaled-demo: $1 already runs; left running at the end"
  else
    claimflow "$1" start
    started+=("$1")
  fi
}

stop_dask  # one an earlier run left (CLAIMFLOW_DEMO_KEEP=1)
if ! "$BIN/python" -c 'import socket, sys; socket.socket().bind(("127.0.0.1", int(sys.argv[1])))' "$DASK_PORT" 2>/dev/null; then
  echo "scaled-demo: port $DASK_PORT on 127.0.0.1 is taken; set CLAIMFLOW_DEMO_DASK_PORT to a free port" >&2
  exit 1
fi

start postgres
start labelstudio
start prefect

echo "scaled-demo: starting a Dask scheduler at $CLAIMFLOW_DASK_ADDRESS and two workers (one process, one thread each)"
setsid "$BIN/dask" scheduler --host 127.0.0.1 --port "$DASK_PORT" --no-dashboard >"$DEMO/dask-scheduler.log" 2>&1 &
echo $! >"$DEMO/dask-scheduler.pid"
for n in 1 2; do
  setsid "$BIN/dask" worker "$CLAIMFLOW_DASK_ADDRESS" --nworkers 1 --nthreads 1 --no-dashboard --host 127.0.0.1 \
    >"$DEMO/dask-worker-$n.log" 2>&1 &
  echo $! >"$DEMO/dask-worker-$n.pid"
done
"$BIN/python" scripts/wait_for_dask.py "$CLAIMFLOW_DASK_ADDRESS" 2 "$DEMO/dask-*.log" $(cat "$DEMO"/dask-*.pid)

if [ "${CLAIMFLOW_DEMO_WAREHOUSE:-ducklake}" = duckdb ]; then
  export CLAIMFLOW_DB=$DEMO/claimflow.duckdb
else
  export CLAIMFLOW_DUCKLAKE_DATA_PATH=$DEMO/lake
  eval "$(claimflow postgres env)"  # CLAIMFLOW_DB and PGPASSFILE: the password stays in its file
fi
echo "scaled-demo: the warehouse is ${CLAIMFLOW_DB}"
claimflow run
