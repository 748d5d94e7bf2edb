#!/usr/bin/env bash
# HTTP load against a fresh release server on loopback (SQLite), the load generator on the same
# machine: the public page /v/{code}, VC-API verify of one of our credentials, and issuing one by
# one over the API (each answer committed), then one bulk job of 10,000 learners from one CSV file.
# Prints requests/s, p50 and p99 per endpoint, the bulk job's time, and the server's peak resident
# memory.
#   scripts/load.sh [SECONDS]      (default 10 s per endpoint; wrk, 1 thread, 16 connections)
#   LOAD_ONLY="page verify issue bulk health"   the parts to run (default: all)
#   LOAD_BULK_ROWS=10000                        rows of the bulk job
#   LOAD_BIN=path/to/microcred                  another build to measure (default: build this one)
# Installs wrk (apt) when missing. Bounded: a fixed time per endpoint, 127.0.0.1 only.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-10}
conns=${LOAD_CONNECTIONS:-16}
command -v wrk >/dev/null || apt-get install -y -qq wrk >/dev/null || { echo "load: cannot install wrk"; exit 2; }
command -v jq >/dev/null || apt-get install -y -qq jq >/dev/null
command -v bc >/dev/null || apt-get install -y -qq bc >/dev/null
if [ -n "${LOAD_BIN:-}" ]; then
  bin=$LOAD_BIN
else
  (cd "$root" && cargo build --release --locked -q -p microcred)
  bin=$root/target/release/microcred
fi
work=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; [ -n "${LOAD_KEEP_LOG:-}" ] && cp "$work/log" "$LOAD_KEEP_LOG"; rm -rf "$work"' EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
B=http://127.0.0.1:$port
# The public rate limit would turn the load into 429s: raised for the measurement.
MICROCRED_RATE_LIMIT=1000000000 RUST_LOG=${LOAD_RUST_LOG:-info,sqlx=warn,tower_http=info} "$bin" serve --bind 127.0.0.1:$port --data-dir "$work/data" > "$work/log" 2>&1 &
pid=$!
until curl -sf $B/health >/dev/null; do
  kill -0 $pid 2>/dev/null || { echo "load: the server did not start:"; cat "$work/log"; exit 1; }
  sleep 0.2
done

SETUP=$(grep -o 'setup_token=mc_[A-Za-z0-9_-]*' "$work/log" | cut -d= -f2)
ADMIN=$(curl -sf -X POST $B/api/v1/setup -H 'content-type: application/json' -d "{\"setupToken\": \"$SETUP\"}" | jq -r .token)
curl -sf -X POST $B/api/v1/institutions -H "Authorization: Bearer $ADMIN" -H 'content-type: application/json' \
  -d '{"slug": "ase", "legalName": "Academia de Studii Economice a Moldovei", "registrationNumber": "1002600012345",
       "country": "MD", "locality": "Chișinău", "website": "https://ase.md"}' >/dev/null
TOKEN=$(curl -sf -X POST $B/api/v1/institutions/ase/tokens -H "Authorization: Bearer $ADMIN" \
  -H 'content-type: application/json' -d '{"label": "load"}' | jq -r .token)
jq -n --slurpfile d "$root/examples/achievement-data-protection.json" '{slug: "gdpr-101", definition: $d[0]}' |
  curl -sf -X POST $B/api/v1/institutions/ase/achievements -H "Authorization: Bearer $TOKEN" \
    -H 'content-type: application/json' --data-binary @- >/dev/null
curl -sf -X POST $B/api/v1/institutions/ase/credentials -H "Authorization: Bearer $TOKEN" \
  -H 'content-type: application/json' -d '{"achievement": "gdpr-101", "learner": {"name": "Ana Popescu",
  "email": "ana@example.md"}, "grade": "92%", "activityEndDate": "2026-06-28"}' > "$work/issued.json"
CODE=$(jq -r .code "$work/issued.json")
jq -c '{verifiableCredential: .credential}' "$work/issued.json" > "$work/verify-body.json"

cat > "$work/post.lua" <<LUA
local f = io.open("$work/verify-body.json"); local body = f:read("*a"); f:close()
wrk.method = "POST"; wrk.body = body; wrk.headers["Content-Type"] = "application/json"
LUA
cat > "$work/issue.lua" <<LUA
local n = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $TOKEN"
request = function()
  n = n + 1
  local who = tostring(math.random(1, 1000000000)) .. "-" .. n
  return wrk.format(nil, nil, nil, '{"achievement": "gdpr-101", "learner": {"name": "Learner ' .. who ..
    '", "email": "l' .. who .. '@example.md"}, "grade": "90%", "activityEndDate": "2026-06-28"}')
end
LUA

row() { # name, wrk output
  local rps p50 p99 non2xx
  rps=$(grep -o 'Requests/sec: *[0-9.]*' <<<"$2" | awk '{print $2}' || true)
  p50=$(awk '$1=="50%"{print $2}' <<<"$2")
  p99=$(awk '$1=="99%"{print $2}' <<<"$2")
  non2xx=$(grep -o 'Non-2xx or 3xx responses: *[0-9]*' <<<"$2" | awk '{print $NF}' || true)
  printf '%-34s %10s %10s %10s %10s %8s %8s\n' "$1" "$rps" "$p50" "$p99" "${non2xx:-0}" "$(mib VmRSS)" "$(mib VmHWM)"
}
mib() { echo $(( $(awk "/$1/{print \$2}" /proc/$pid/status) / 1024 )); } # the server's VmRSS or VmHWM
only=${LOAD_ONLY:-page verify issue bulk health}
want() { [[ " $only " == *" $1 "* ]]; }
rows=${LOAD_BULK_ROWS:-10000}
printf 'load: %s s per endpoint, wrk 1 thread, %s connections, %s CPUs\n' "$secs" "$conns" "$(nproc)"
printf '%-34s %10s %10s %10s %10s %8s %8s\n' endpoint 'req/s' p50 p99 'non-2xx' 'RSS MiB' 'peak'
want page && row "GET /v/{code} (public page)" "$(wrk -t1 -c$conns -d${secs}s --latency $B/v/$CODE)"
want verify && row "POST /credentials/verify" "$(wrk -t1 -c$conns -d${secs}s --latency -s "$work/post.lua" $B/credentials/verify)"
want issue && row "POST .../credentials (issue)" "$(wrk -t1 -c$conns -d${secs}s --latency -s "$work/issue.lua" $B/api/v1/institutions/ase/credentials)"
want health && row "GET /health" "$(wrk -t1 -c$conns -d${secs}s --latency $B/health)"
if want bulk; then
  # One CSV file of $rows learners, uploaded once; the job is followed until it ends.
  { echo "name,email,grade"; for ((i = 0; i < rows; i++)); do echo "Bulk Learner $i,bulk$i@example.md,$((50 + i % 50))%"; done; } > "$work/bulk.csv"
  start=$(date +%s.%N)
  job=$(curl -sf -X POST $B/api/v1/institutions/ase/achievements/gdpr-101/credentials/bulk \
    -H "Authorization: Bearer $TOKEN" -H 'content-type: text/csv' -H 'prefer: respond-async' \
    --data-binary @"$work/bulk.csv" -D "$work/bulk.headers" -o /dev/null && grep -i '^location:' "$work/bulk.headers" | tr -d '\r' | awk '{print $2}')
  uploaded=$(date +%s.%N)
  deadline=$(( $(date +%s) + 300 ))
  while :; do
    curl -sf "$job" -H "Authorization: Bearer $TOKEN" > "$work/job.json"
    state=$(jq -r .state "$work/job.json")
    [ "$state" = done ] || [ "$state" = cancelled ] && break
    [ "$(date +%s)" -gt "$deadline" ] && { echo "load: the bulk job did not end in 300 s: $(cat "$work/job.json")"; break; }
    sleep 0.1
  done
  end=$(date +%s.%N)
  printf 'bulk job, %s rows: upload %.2f s, whole job %.2f s (%.0f rows/s), issued %s, failed %s, state %s; RSS %s MiB, peak %s\n' \
    "$rows" "$(echo "$uploaded - $start" | bc -l)" "$(echo "$end - $start" | bc -l)" \
    "$(echo "$rows / ($end - $start)" | bc -l)" "$(jq -r .issued "$work/job.json")" "$(jq -r .failed "$work/job.json")" "$state" "$(mib VmRSS)" "$(mib VmHWM)"
fi
printf 'server peak RSS: %s MiB\n' $(( $(awk '/VmHWM/{print $2}' /proc/$pid/status) / 1024 ))
