#!/usr/bin/env bash
# The whole walk of README, with curl: start microcred on a fresh SQLite file, exchange the
# setup token, create an institution, a micro-credential and an API token, issue a credential,
# open its public page, fetch its QR code, and verify credentials on the VC-API endpoint.
#   examples/walkthrough.sh [PATH_TO_MICROCRED_BINARY]
# Needs curl and python3 (for reading JSON). Leaves nothing behind.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$root/target/release/microcred}
[ -x "$bin" ] || { echo "build first: cargo build --release"; exit 2; }
port=${PORT:-18090}
base="http://localhost:$port"
work=$(mktemp -d)
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print(eval('d'+sys.argv[1]))" "$1"; }

echo "== 1. start the service (SQLite in $work)"
NO_COLOR=1 "$bin" serve --bind "127.0.0.1:$port" --public-url "$base" --data-dir "$work" >"$work/log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 50); do curl -sf "$base/health" >/dev/null && break; sleep 0.2; done
setup=$(grep -o 'setup_token=[^ ]*' "$work/log" | head -1 | cut -d= -f2)
echo "setup token from the log: ${setup:0:12}..."

echo "== 2. the platform administrator's API token"
admin=$(curl -sf -X POST "$base/api/v1/setup" -H 'content-type: application/json' \
  -d "{\"setupToken\": \"$setup\"}" | json "['token']")

echo "== 3. an institution (awarding body) and its API token"
curl -sf -X POST "$base/api/v1/institutions" -H "Authorization: Bearer $admin" -H 'content-type: application/json' -d '{
  "slug": "ase", "legalName": "Academia de Studii Economice a Moldovei", "registrationNumber": "1002600012345",
  "country": "MD", "street": "str. Bănulescu-Bodoni 61", "locality": "Chișinău", "postalCode": "MD-2005",
  "website": "https://ase.md"}' | json "['did']"
token=$(curl -sf -X POST "$base/api/v1/institutions/ase/tokens" -H "Authorization: Bearer $admin" \
  -H 'content-type: application/json' -d '{"label": "registrar"}' | json "['token']")

echo "== 4. a micro-credential definition (all EU elements)"
python3 -c "import json; print(json.dumps({'slug': 'gdpr-101', 'definition': json.load(open('$root/examples/achievement-data-protection.json'))}))" > "$work/ach.json"
curl -sf -X POST "$base/api/v1/institutions/ase/achievements" -H "Authorization: Bearer $token" \
  -H 'content-type: application/json' -d @"$work/ach.json" | json "['id']"

echo "== 5. issue a credential to a learner (safe to retry: Idempotency-Key)"
curl -sf -X POST "$base/api/v1/institutions/ase/credentials" -H "Authorization: Bearer $token" \
  -H 'content-type: application/json' -H 'Idempotency-Key: moodle-course-7-user-42' -d '{
  "achievement": "gdpr-101",
  "learner": {"name": "Ana Popescu", "email": "ana.popescu@example.md"},
  "grade": "92%", "activityStartDate": "2026-05-04", "activityEndDate": "2026-06-28"}' > "$work/issued.json"
url=$(json "['verificationUrl']" < "$work/issued.json")
code=$(json "['code']" < "$work/issued.json")
echo "verification URL: $url"

echo "== 6. the public page an employer sees"
verdict=$(curl -sf "$url" | grep -o '<h1>[^<]*</h1>' | head -1)
echo "verdict: $verdict"
[ "$verdict" = "<h1>Valid</h1>" ] || { echo "expected Valid"; exit 1; }
curl -sf "$url?lang=ro" | grep -q 'Acordat lui' && echo "Romanian page: ok"

echo "== 7. the QR code"
curl -sf -o "$work/qr.png" "$base/v/$code/qr.png" && echo "QR PNG: $(wc -c < "$work/qr.png") bytes"

echo "== 8. VC-API: verify the signed credential, a peer-signed one, and a tampered one"
python3 -c "import json; print(json.dumps({'verifiableCredential': json.load(open('$work/issued.json'))['credential']}))" > "$work/v1.json"
curl -s -X POST "$base/credentials/verify" -H 'content-type: application/json' -d @"$work/v1.json" | json "['verified']"
for f in signed-1 tampered-achievement-name; do
  python3 -c "import json; print(json.dumps({'verifiableCredential': json.load(open('$root/core/tests/fixtures/peer/$f.json'))}))" > "$work/v.json"
  printf '%s: ' "$f"; curl -s -o /dev/null -w '%{http_code}\n' -X POST "$base/credentials/verify" -H 'content-type: application/json' -d @"$work/v.json"
done
echo "== 9. revoke it: the public page and the VC-API endpoint say so"
curl -sf -X POST "$base/api/v1/institutions/ase/credentials/$code/revoke" -H "Authorization: Bearer $token" \
  -H 'content-type: application/json' -d '{"reason": "issued by mistake"}' | json "['state']"
verdict=$(curl -sf "$url" | grep -o '<h1>[^<]*</h1>' | head -1)
echo "verdict: $verdict"
[ "$verdict" = "<h1>Revoked</h1>" ] || { echo "expected Revoked"; exit 1; }
printf 'VC-API after revocation: '
curl -s -o /dev/null -w '%{http_code}\n' -X POST "$base/credentials/verify" -H 'content-type: application/json' -d @"$work/v1.json"
echo "walkthrough: ok"
