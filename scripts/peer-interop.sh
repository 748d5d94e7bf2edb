#!/usr/bin/env bash
# Interop, the other direction: Digital Bazaar's implementation (../shared/peer) verifies what
# microcred signs, and rejects a tampered copy.
#   scripts/peer-interop.sh [PATH_TO_MICROCRED_BINARY]
# Needs node and npm (the peer's packages are installed into a temporary copy).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$root/target/release/microcred}
peer_src=${PEER_DIR:-$root/../shared/peer}
[ -x "$bin" ] || { echo "peer-interop: no binary at $bin (cargo build --release first)"; exit 2; }
[ -f "$peer_src/peer.mjs" ] || { echo "peer-interop: no peer at $peer_src"; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$peer_src"/. "$work/peer"
cp "$root/scripts/peer-verify-with-contexts.mjs" "$work/peer/"
(cd "$work/peer" && npm install --no-audit --no-fund --silent >/dev/null 2>&1) \
  || { echo "peer-interop: npm install of the peer failed"; exit 2; }

"$bin" keygen --out "$work/key.json" 2>/dev/null
fail=0
expect() { # expect 0|1 description command...
  local want=$1 what=$2; shift 2
  set +e; out=$("$@" 2>&1); got=$?; set -e
  if [ "$got" = "$want" ]; then echo "ok   - $what ($out)"; else echo "FAIL - $what: exit $got, wanted $want: $out"; fail=1; fi
}

# 1. A plain Open Badges 3.0 credential signed by us: the unmodified `peer.mjs verify` accepts it.
"$bin" sign "$root/core/tests/fixtures/peer/unsigned-badge.json" --key "$work/key.json" --issuer-from-key --out "$work/badge.json"
expect 0 "peer verifies an OB3 credential signed by microcred" node "$work/peer/peer.mjs" verify "$work/badge.json"

# 2. Our full EU micro-credential (with our context, added to the peer's loader).
"$bin" sign "$root/core/tests/fixtures/credentials/good/data-protection.json" --key "$work/key.json" --issuer-from-key --out "$work/eu.json"
expect 0 "peer verifies a microcred EU micro-credential" node "$work/peer/peer-verify-with-contexts.mjs" "$root/schemas/contexts/microcred-v1.jsonld" "$work/eu.json"

# 3. Tampered copies are rejected.
python3 - "$work" <<'PY'
import json, sys
w = sys.argv[1]
d = json.load(open(f"{w}/badge.json")); d["credentialSubject"]["achievement"]["name"] = "Forged"
json.dump(d, open(f"{w}/badge-tampered.json", "w"))
d = json.load(open(f"{w}/eu.json")); d["credentialSubject"]["achievement"]["creditPoint"]["point"] = "30"
json.dump(d, open(f"{w}/eu-tampered.json", "w"))
PY
expect 1 "peer rejects a tampered OB3 credential" node "$work/peer/peer.mjs" verify "$work/badge-tampered.json"
expect 1 "peer rejects a tampered EU micro-credential" node "$work/peer/peer-verify-with-contexts.mjs" "$root/schemas/contexts/microcred-v1.jsonld" "$work/eu-tampered.json"

# 4. And we verify what we signed (same files), exit 0.
expect 0 "microcred verifies its own EU credential" "$bin" verify "$work/eu.json"
exit $fail
