#!/usr/bin/env bash
# Scale-out throughput: a 100,000-line productCreate import through one API server
# (`serve --no-worker`) and 1, then 2, `stevedore worker` processes on Postgres.
#
#   benches/scale_out.sh                       # Postgres at 127.0.0.1:5432, a local blob folder
#   BENCH_LINES=20000 BENCH_WORKERS="1 2 4" benches/scale_out.sh
#   STEVEDORE_BLOB_URL=s3://bucket/bench benches/scale_out.sh   # with the AWS_* settings exported
#
# Each run gets a fresh Postgres schema (dropped afterwards) and prints the `stevedore import`
# summary; the "lines/s" line is the whole flow: upload, run and download.
set -euo pipefail
cd "$(dirname "$0")/.."

export PGOPTIONS="-c client_min_messages=warning"
DATABASE=${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}
LINES=${BENCH_LINES:-100000}
WORKERS=${BENCH_WORKERS:-"1 2"}
TASKS=${BENCH_TASKS_PER_WORKER:-2}
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/stevedore-target}"
cargo build --release -q
BIN="$CARGO_TARGET_DIR/release/stevedore"

work=$(mktemp -d)
pids=()
schema=""
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ -n "$schema" ] && psql "$DATABASE" -q -c "DROP SCHEMA IF EXISTS $schema CASCADE" || true
  rm -rf "$work"
}
trap cleanup EXIT

python3 - "$LINES" > "$work/products.jsonl" <<'PY'
import sys
for i in range(int(sys.argv[1])):
    print('{"input":{"title":"Bench board %d","vendor":"Stevedore","productType":"Snowboard","tags":["bench"]}}' % i)
PY

for workers in $WORKERS; do
  schema="stevedore_bench_$(date +%s)_$workers"
  psql "$DATABASE" -q -c "CREATE SCHEMA $schema"
  url="$DATABASE?options=-c%20search_path%3D$schema"
  dir="$work/data-$workers"
  common=(--data-dir "$dir" --database-url "$url")
  "$BIN" shops create bench.myshopify.com --token shpat_bench "${common[@]}" > /dev/null

  "$BIN" serve --no-worker --listen 127.0.0.1:0 "${common[@]}" > "$work/serve.out" 2> "$work/serve.err" &
  pids+=($!)
  for _ in $(seq 100); do grep -q listening "$work/serve.out" 2>/dev/null && break; sleep 0.1; done
  base=$(awk '/listening/ {print $4}' "$work/serve.out")
  for index in $(seq "$workers"); do
    "$BIN" worker --workers "$TASKS" "${common[@]}" 2> "$work/worker-$workers-$index.err" &
    pids+=($!)
  done

  echo "== $LINES lines, $workers worker process(es) x $TASKS tasks, Postgres"
  "$BIN" import "$work/products.jsonl" --mutation fixtures/product-create.graphql \
    --server "$base" --token shpat_bench --output "$work/result-$workers.jsonl" | grep -v '^$'

  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  pids=()
  psql "$DATABASE" -q -c "DROP SCHEMA $schema CASCADE"
  schema=""
done
