#!/usr/bin/env bash
# The README walk, run exactly as written: the block between the walk markers below is the
# README's block (the end-to-end test `the_readme_walk_is_the_walkthrough_script` checks that
# they are the same), then its output is checked.
#   examples/walkthrough.sh
# Needs curl and jq. Leaves nothing behind (the walk works in a scratch folder).
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp)
MC_PID=
trap '[ -n "$MC_PID" ] && kill $MC_PID 2>/dev/null; rm -f "$out"' EXIT
exec 3>&1 > >(tee "$out" >&3)
tee_pid=$!

# --- walk:begin
cargo build --release                         # the first build takes a few minutes
R=$PWD && cd "$(mktemp -d)"                   # a scratch folder for the walk's files
$R/target/release/microcred serve --bind 127.0.0.1:8090 --data-dir data > microcred.log 2>&1 &
MC_PID=$!
B=http://127.0.0.1:8090
until curl -sf $B/health > /dev/null; do sleep 0.2; done

# 1. The one-time setup token in the log becomes the administrator's API token (shown once).
SETUP=$(grep -o 'setup_token=mc_[A-Za-z0-9_-]*' microcred.log | cut -d= -f2)
ADMIN=$(curl -sf -X POST $B/api/v1/setup -H 'content-type: application/json' \
  -d "{\"setupToken\": \"$SETUP\"}" | jq -r .token)

# 2. An institution: it gets an Ed25519 key (encrypted at rest) and a did:web DID.
curl -sf -X POST $B/api/v1/institutions -H "Authorization: Bearer $ADMIN" \
  -H 'content-type: application/json' -d '{"slug": "ase",
  "legalName": "Academia de Studii Economice a Moldovei", "registrationNumber": "1002600012345",
  "country": "MD", "locality": "Chișinău", "website": "https://ase.md"}' | jq -r .did

# 3. An API token for its registrar (or its LMS), shown once; every change it makes names it.
TOKEN=$(curl -sf -X POST $B/api/v1/institutions/ase/tokens -H "Authorization: Bearer $ADMIN" \
  -H 'content-type: application/json' -d '{"label": "registrar Ana"}' | jq -r .token)

# 4. A micro-credential with every EU element (a missing one is refused, naming its path);
#    PUT makes version 2, and credentials keep the version they were issued under.
jq -n --slurpfile d $R/examples/achievement-data-protection.json '{slug: "gdpr-101", definition: $d[0]}' |
  curl -sf -X POST $B/api/v1/institutions/ase/achievements -H "Authorization: Bearer $TOKEN" \
    -H 'content-type: application/json' --data-binary @- | jq -r .id
jq -n --slurpfile d $R/examples/achievement-data-protection.json '{definition: ($d[0] | .workload.ects = 3)}' |
  curl -sf -X PUT $B/api/v1/institutions/ase/achievements/gdpr-101 -H "Authorization: Bearer $TOKEN" \
    -H 'content-type: application/json' --data-binary @- | jq .version

# 5. Issue a credential; a retry with the same Idempotency-Key returns the first one.
curl -sf -X POST $B/api/v1/institutions/ase/credentials -H "Authorization: Bearer $TOKEN" \
  -H 'content-type: application/json' -H 'Idempotency-Key: moodle-course-7-user-42' \
  -d '{"achievement": "gdpr-101", "learner": {"name": "Ana Popescu", "email": "ana@example.md"},
       "grade": "92%", "activityEndDate": "2026-06-28"}' > issued.json
CODE=$(jq -r .code issued.json)
jq -r .verificationUrl issued.json

# 6. The public page the QR code opens: the verdict first. And the QR code to print.
curl -sf $B/v/$CODE | grep -o '<h1>[^<]*</h1>'
curl -sf -o qr.png $B/v/$CODE/qr.png

# 7. Many learners at once: a CSV file with a header row (name and one identifier - email,
#    national_id, lms_id or did - are required; commas or semicolons), sent with --data-binary.
printf 'name;email;grade\nIon Rusu;ion@example.md;85%%\nMaria Ceban;maria@example.md;99%%\n' > learners.csv
curl -sf -X POST $B/api/v1/institutions/ase/achievements/gdpr-101/credentials/bulk \
  -H "Authorization: Bearer $TOKEN" -H 'content-type: text/csv' --data-binary @learners.csv |
  jq -c '{issued, alreadyIssued, errors}'

# 8. Suspend and lift; correct (a new credential supersedes the old one); revoke (final).
C=$B/api/v1/institutions/ase/credentials
curl -sf -X POST $C/$CODE/suspend -H "Authorization: Bearer $TOKEN" \
  -H 'content-type: application/json' -d '{"reason": "disciplinary inquiry"}' | jq -r .state
curl -sf -X POST $C/$CODE/unsuspend -H "Authorization: Bearer $TOKEN" \
  -H 'content-type: application/json' -d '{"reason": "inquiry closed"}' | jq -r .state
NEW=$(curl -sf -X POST $C/$CODE/correct -H "Authorization: Bearer $TOKEN" \
  -H 'content-type: application/json' -d '{"reason": "name misspelt", "learnerName": "Ana-Maria Popescu"}' |
  jq -r .code)
curl -sf $B/v/$CODE | grep -o '<h1>[^<]*</h1>'
curl -sf -X POST $C/$NEW/revoke -H "Authorization: Bearer $TOKEN" \
  -H 'content-type: application/json' -d '{"reason": "issued by mistake"}' | jq -r .state
curl -sf $B/v/$NEW | grep -o '<h1>[^<]*</h1>'
curl -sf $C/$CODE -H "Authorization: Bearer $TOKEN" | jq -c '{state, replacedBy, events}'

# 9. Verify the first credential on the W3C VC-API endpoint (200 verified, 400 not: it was superseded).
jq '{verifiableCredential: .credential}' issued.json |
  curl -s -o /dev/null -w '%{http_code}\n' -X POST $B/credentials/verify \
    -H 'content-type: application/json' --data-binary @-

# 10. The institution's tokens (labels and last use, never a secret); then stop microcred.
curl -sf $B/api/v1/institutions/ase/tokens -H "Authorization: Bearer $ADMIN" | jq -c '.[] | {label: .label, lastUsedAt}'
kill $MC_PID
# --- walk:end

MC_PID=
case $PWD in /tmp/*) rm -rf "$PWD" ;; esac
exec >&3 3>&-
wait $tee_pid 2>/dev/null || sleep 1
expect() { grep -qxF -- "$1" "$out" || { echo "walkthrough: expected the line: $1" >&2; exit 1; }; }
expect '<h1>Valid</h1>'
expect '{"issued":2,"alreadyIssued":0,"errors":0}'
expect 'suspended'
expect 'active'
expect '<h1>Superseded</h1>'
expect 'revoked'
expect '<h1>Revoked</h1>'
expect '2'
expect '400'
echo "walkthrough: ok"
