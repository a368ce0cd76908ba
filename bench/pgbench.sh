#!/usr/bin/env bash
# Baseline for SPEC §13: pgbench TPC-B with 8 clients on the same PostgreSQL server the benchmarks use.
# Creates a scratch database on $DATABASE_URL's server, runs `pgbench -i -s 8` then
# `pgbench -c 8 -j 2 -T 20`, prints the TPS and drops the scratch database.
#
# Env: DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres), PGBENCH_SECONDS (default 20),
#      PGBENCH_SCALE (default 8), PGBENCH_CLIENTS (default 8), PGBENCH_THREADS (default 2).
# Last line of output: `pgbench_tps=<number>` (machine-readable, used by run-all.sh).
set -euo pipefail

BASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
SECONDS_TO_RUN="${PGBENCH_SECONDS:-20}"
SCALE="${PGBENCH_SCALE:-8}"
CLIENTS="${PGBENCH_CLIENTS:-8}"
THREADS="${PGBENCH_THREADS:-2}"

for tool in pgbench psql; do
  command -v "$tool" >/dev/null || { echo "pgbench.sh: $tool is not installed" >&2; exit 1; }
done

NAME="bench_pgbench_$(od -An -N4 -tx4 /dev/urandom | tr -d ' \n')"
# same server, other database: replace the path of the URL (keep any ?query)
SCRATCH_URL="$(BASE_URL="$BASE_URL" NAME="$NAME" node -e '
  const u = new URL(process.env.BASE_URL); u.pathname = "/" + process.env.NAME; console.log(u.toString());
')"

drop_db() {
  psql "$BASE_URL" -qX -v ON_ERROR_STOP=1 -c "drop database if exists $NAME with (force)" >/dev/null 2>&1 || true
}
trap drop_db EXIT

psql "$BASE_URL" -qX -v ON_ERROR_STOP=1 -c "create database $NAME" >/dev/null
echo "pgbench: initializing scale $SCALE in $NAME ..."
pgbench -i -q -s "$SCALE" "$SCRATCH_URL" >/dev/null 2>&1

echo "pgbench: TPC-B, $CLIENTS clients, $THREADS threads, ${SECONDS_TO_RUN}s ..."
OUT="$(pgbench -c "$CLIENTS" -j "$THREADS" -T "$SECONDS_TO_RUN" "$SCRATCH_URL" 2>&1)"
echo "$OUT" | grep -E '^(number of (transactions actually processed|failed transactions)|latency average|tps)' || true

# PostgreSQL 15 prints "tps = N (without initial connection time)"; older versions print two tps lines.
TPS="$(echo "$OUT" | sed -nE 's/^tps = ([0-9.]+) \((without initial connection time|excluding connections establishing)\).*/\1/p' | head -n1)"
if [ -z "$TPS" ]; then
  echo "pgbench.sh: could not read the TPS from pgbench's output:" >&2
  echo "$OUT" >&2
  exit 1
fi
echo "pgbench_tps=$TPS"
