#!/usr/bin/env bash
# Sign/verify benchmark, ours against Digital Bazaar's implementation in the same run:
#   scripts/bench.sh [N] [--json]
# Builds the release binary, prepares a copy of ../shared/peer (npm install) with
# scripts/peer-bench.mjs, and runs `microcred bench -n N --peer <copy>` (a table, or --json).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
n=${1:-300}; shift || true
peer_src=${PEER_DIR:-$root/../shared/peer}
(cd "$root" && cargo build --release --locked -q -p microcred)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$peer_src"/. "$work/peer"
cp "$root/scripts/peer-bench.mjs" "$work/peer/"
(cd "$work/peer" && npm install --no-audit --no-fund --silent >/dev/null 2>&1) \
  || { echo "bench: npm install of the peer failed"; exit 2; }
"$root/target/release/microcred" bench -n "$n" --peer "$work/peer" "$@"
