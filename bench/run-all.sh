#!/usr/bin/env bash
# Runs every benchmark one after another and prints a summary with the ratios SPEC §13 sets goals for.
# Figures only: nothing here fails on a slow result (it fails only when a benchmark itself breaks).
#
#   bash bench/run-all.sh                      # build into dist/ (npm run build + swc bench), then run all
#   BENCH_OUT=/tmp/dd-bench bash bench/run-all.sh   # build into a private directory instead of dist/
#
# Env: DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres, must be local), plus the knobs
# each benchmark documents (INGEST_*, SETTLE_*, HISTORY_*, PGBENCH_*). SOAK=1 adds the 30-minute soak
# (soak.ts; SOAK_SECONDS, WINDOW and the other SOAK_* knobs). Logs go to $BENCH_LOGS (default a
# temporary directory).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
LOGS="${BENCH_LOGS:-$(mktemp -d -t drawdown-bench-XXXXXX)}"
mkdir -p "$LOGS"

echo "== build"
if [ -n "${BENCH_OUT:-}" ]; then
  OUT="$BENCH_OUT"
  rm -rf "$OUT"
  npx swc src migrations bench -d "$OUT" -q
  ln -sfn "$ROOT/node_modules" "$OUT/node_modules"
else
  OUT="$ROOT/dist"
  npm run build --silent
  npx swc bench -d dist -q
fi

# value of `RESULT name=value` in a log (empty when missing)
res() { sed -nE "s/^RESULT $2=([0-9.eE+-]+|nan)$/\1/p" "$LOGS/$1.log" | tail -n1; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b + 0 == 0) print "n/a"; else printf "%.2f", a / b }'; }
num() { awk -v a="$1" -v d="${2:-1}" 'BEGIN { if (a == "") print "n/a"; else printf "%.*f", d, a }'; }

run() { # name, command...
  local name="$1"
  shift
  echo
  echo "== $name"
  if ! "$@" 2>&1 | tee "$LOGS/$name.log"; then
    echo "!! $name failed (log: $LOGS/$name.log)"
    FAILED="${FAILED:-} $name"
  fi
}

run pgbench bash bench/pgbench.sh
TPS="$(sed -nE 's/^pgbench_tps=([0-9.]+)$/\1/p' "$LOGS/pgbench.log" | tail -n1)"
# the server's own node flags (package.json start, the Dockerfile; bench/lib.ts SERVER_NODE_FLAGS): several
# benchmarks host the server in their own process; the bare baselines get the same runtime
NODE="node --max-semi-space-size=64"
run graphql-baseline $NODE "$OUT/bench/graphql-baseline.js"
run ingest $NODE "$OUT/bench/ingest.js"
run settle $NODE "$OUT/bench/settle.js"
run history $NODE "$OUT/bench/history.js"
run ws-baseline $NODE "$OUT/bench/ws-baseline.js"
run live $NODE "$OUT/bench/live.js"
run webhooks $NODE "$OUT/bench/webhooks.js"
run check $NODE "$OUT/bench/check.js"
run replicas $NODE "$OUT/bench/replicas.js"
# the soak takes SOAK_SECONDS (1800) plus a warm-up window: only with SOAK=1
if [ "${SOAK:-0}" = 1 ]; then run soak $NODE "$OUT/bench/soak.js"; fi

EVENTS="$(res ingest ingest_events_per_s)"
MOVES="$(res settle settle_movements_per_s)"
HOT="$(res history hot_charges_per_s)"
HOT_ERR="$(res history hot_errors)"
READS="$(res history history_page1_reads_per_s)"
READS_P99="$(res history history_page1_p99_ms)"
BASE="$(res graphql-baseline graphql_baseline_reads_per_s)"
DEPTH="$(res history history_depth)"
DEEP="$(res history history_deep_over_page1)"

echo
echo "== summary ($(nproc) cores; logs in $LOGS)"
printf '%-44s %14s %10s   %s\n' "workload" "figure" "ratio" "SPEC §13 goal"
printf '%-44s %14s %10s   %s\n' "pgbench TPC-B, 8 clients (TPS)" "$(num "$TPS")" "1.00" "baseline"
printf '%-44s %14s %10s   %s\n' "bare graphql-js history page (reads/s)" "$(num "$BASE")" "" "baseline"
printf '%-44s %14s %10s   %s\n' "usage ingest, batches of 500 (events/s)" "$(num "$EVENTS")" \
  "$(ratio "$EVENTS" "$TPS")×" "≥ 6× pgbench TPS (accepted == sent: $(awk -v v="$(res ingest ingest_accepted_equals_sent)" 'BEGIN { print (v + 0 == 1 ? "yes" : "NO") }'))"
printf '%-44s %14s %10s   %s\n' "settlement of 10k customers (movements/s)" "$(num "$MOVES")" \
  "$(ratio "$MOVES" "$TPS")×" "≥ 2× pgbench TPS"
printf '%-44s %14s %10s   %s\n' "one hot customer, 8 clients (charges/s)" "$(num "$HOT")" \
  "$(ratio "$HOT" "$TPS")×" "≥ 0.3× pgbench TPS, no errors (errors: $(num "$HOT_ERR" 0))"
printf '%-44s %14s %10s   %s\n' "history page 1, 50 clients (reads/s)" "$(num "$READS")" \
  "$(ratio "$READS" "$BASE")×" "≥ 0.5× bare graphql-js; open-loop p99 at half load ≤ 25 ms ($(num "$(res history history_page1_open_p99_ms)" 2) ms; closed-loop p99 $(num "$READS_P99") ms)"
printf '%-44s %14s %10s   %s\n' "  vs pgbench TPS" "" "$(ratio "$READS" "$TPS")×" ""
printf '%-44s %14s %10s   %s\n' "history page at depth $(num "$DEPTH" 0) / page 1 (p50)" "$(num "$DEEP" 2)" "" \
  "≤ 2× at depth 1M (both read from PostgreSQL; against the kept page 1: $(num "$(res history history_deep_over_kept_page1)" 2)×)"
printf '%-44s %14s %10s   %s\n' "creditBalances, 50 clients (reads/s)" "$(num "$(res history balance_reads_per_s)")" \
  "$(ratio "$(res history balance_reads_per_s)" "$BASE")×" "≥ 0.5× bare graphql-js; open-loop p99 at half load ≤ 25 ms ($(num "$(res history balance_open_p99_ms)" 2) ms; closed-loop p99 $(num "$(res history balance_p99_ms)") ms)"

WSB="$(res ws-baseline ws_baseline_deliveries_per_s)"
LIVE="$(res live live_deliveries_per_s)"
printf '%-44s %14s %10s   %s\n' "raw ws broadcast, 1,000 subscribers (deliv/s)" "$(num "$WSB")" "" "baseline"
printf '%-44s %14s %10s   %s\n' "live fan-out, 1,000 subscribers (deliv/s)" "$(num "$LIVE")" \
  "$(ratio "$LIVE" "$WSB")×" "≥ 0.5× raw ws; commit→client p99 ≤ 250 ms (quiet $(num "$(res live live_p99_ms)") ms, while settling $(num "$(res live live_settle_p99_ms)") ms)"
printf '%-44s %14s %10s   %s\n' "  while settlement runs (deliv/s)" "$(num "$(res live live_settle_deliveries_per_s)")" \
  "$(ratio "$(res live live_settle_deliveries_per_s)" "$WSB")×" "server CPU per delivery: $(num "$(res live live_server_cpu_us_per_delivery)") µs (raw ws $(num "$(res ws-baseline ws_baseline_server_cpu_us_per_delivery)") µs); server main thread waited for a core $(num "$(res live live_main_thread_waited_over_ran)" 2)× the time it ran"
printf '%-44s %14s %10s   %s\n' "10,000 idle subscriptions (server RSS, MB)" "$(num "$(res live live_idle_rss_mb)" 0)" "" \
  "≤ 1,536 MB ($(num "$(res live live_idle_subscriptions)" 0) open)"

printf '%-44s %14s %10s   %s\n' "webhooks, 10k events × 10 receivers (deliv/s)" "$(num "$(res webhooks webhook_deliveries_per_s)")" \
  "$(ratio "$(res webhooks webhook_deliveries_per_s)" "$TPS")×" "API latency vs its baseline (own processes): while delivering p50 $(num "$(res webhooks webhook_api_delivering_p50_ratio)" 2)×, p99 $(num "$(res webhooks webhook_api_delivering_p99_ratio)" 2)×; while recording p99 $(num "$(res webhooks webhook_api_recording_p99_ratio)" 2)×; whole run p50 $(num "$(res webhooks webhook_api_p50_ratio)" 2)×, p99 $(num "$(res webhooks webhook_api_p99_ratio)" 2)×; reads/s $(num "$(res webhooks webhook_api_reads_ratio)" 2)×"
printf '%-44s %14s %10s   %s\n' "checkCredits, 50 clients, hot customer (reads/s)" "$(num "$(res check check_reads_per_s)")" \
  "$(num "$(res check check_ratio_to_baseline)" 2)×" "≥ 0.5× bare graphql-js (same run); open-loop p99 ≤ 10 ms (p99 $(num "$(res check check_open_p99_ms)" 2) ms at $(num "$(res check check_open_rate)") offered; bare graphql-js at half its own rate: p99 $(num "$(res check check_baseline_open_p99_ms)" 2) ms)"

printf '%-44s %14s %10s   %s\n' "two API processes vs one, mixed (requests/s)" "$(num "$(res replicas replicas_two_ops_per_s)")" \
  "$(num "$(res replicas replicas_ops_ratio)" 2)×" "one process $(num "$(res replicas replicas_one_ops_per_s)") requests/s; reads $(num "$(res replicas replicas_reads_ratio)" 2)×, charges $(num "$(res replicas replicas_charges_ratio)" 2)× (docs/scaling.md)"

if [ "${SOAK:-0}" = 1 ]; then
  printf '%-44s %14s %10s   %s\n' "mixed soak, last window (ops/s)" "$(num "$(res soak soak_ops_per_s_last)")" \
    "$(num "$(res soak soak_throughput_drop)" 3)" "throughput drop (ratio column) ≤ 0.10 first → last window (least-squares line $(num "$(res soak soak_trend_drop)" 3)); p99 $(num "$(res soak soak_p99_ratio)" 2)× (≤ 2×); RSS +$(num "$(res soak soak_rss_growth)" 3) (< 0.20); errors $(num "$(res soak soak_errors)" 0), drift $(num "$(res soak soak_drift)" 0)"
fi

if [ -n "${FAILED:-}" ]; then
  echo "failed:${FAILED}"
  exit 1
fi
