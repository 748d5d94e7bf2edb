#!/usr/bin/env bash
# The docs/europass.md walk, run exactly as written: the block between the walk markers below is
# the block in docs/europass.md (the end-to-end test `the_europass_walk_is_the_europass_walk_script`
# checks that they are the same), then its output is checked.
#   examples/europass-walk.sh
# Needs curl, jq, base64 and openssl; uses ports 8092 (microcred), 9091, 2526 (SMTP sink) and
# 9191 (timestamp authority).
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp)
MC_PID=
FAKE_PID=
trap '[ -n "$MC_PID" ] && kill $MC_PID 2>/dev/null; [ -n "$FAKE_PID" ] && kill $FAKE_PID 2>/dev/null; rm -f "$out"' EXIT
exec 3>&1 > >(tee "$out" >&3)
tee_pid=$!

# --- walk:begin
cargo build --release -p microcred -p microcred-fake-moodle
R=$PWD && cd "$(mktemp -d)"
# An SMTP sink standing in for your mail server and a timestamp authority standing in for your
# trust service's (the fake Moodle's; its web side is unused here).
$R/target/release/fake-moodle --bind 127.0.0.1:9091 --smtp 127.0.0.1:2526 --tsa 127.0.0.1:9191 > sink.log 2>&1 &
FAKE_PID=$!
M=http://127.0.0.1:9091
$R/target/release/microcred serve --bind 127.0.0.1:8092 --data-dir data \
  --smtp-url smtp://127.0.0.1:2526 --mail-from credentials@ase.example \
  --tsa-url http://127.0.0.1:9191/ > microcred.log 2>&1 &
MC_PID=$!
B=http://127.0.0.1:8092
until curl -sf $B/health > /dev/null && curl -sf $M/_fake/mail > /dev/null; do sleep 0.2; done

# 1. Administrator, institution, registrar token and achievement, as in the README walk.
SETUP=$(grep -o 'setup_token=mc_[A-Za-z0-9_-]*' microcred.log | cut -d= -f2)
ADMIN=$(curl -sf -X POST $B/api/v1/setup -H 'content-type: application/json' \
  -d "{\"setupToken\": \"$SETUP\"}" | jq -r .token)
curl -sf -X POST $B/api/v1/institutions -H "Authorization: Bearer $ADMIN" \
  -H 'content-type: application/json' -d '{"slug": "ase",
  "legalName": "Academia de Studii Economice a Moldovei", "registrationNumber": "1002600012345",
  "country": "MD", "locality": "Chișinău"}' > /dev/null
TOKEN=$(curl -sf -X POST $B/api/v1/institutions/ase/tokens -H "Authorization: Bearer $ADMIN" \
  -H 'content-type: application/json' -d '{"label": "registrar Ana"}' | jq -r .token)
jq -n --slurpfile d $R/examples/achievement-data-protection.json '{slug: "gdpr-101", definition: $d[0]}' |
  curl -sf -X POST $B/api/v1/institutions/ase/achievements -H "Authorization: Bearer $TOKEN" \
    -H 'content-type: application/json' --data-binary @- > /dev/null

# 2. The institution's electronic seal. Yours comes from a qualified trust service provider as a
#    .p12 file; to try the flow without one, make a throw-away seal (never on the EU Trusted List).
$R/target/release/microcred demo-seal --organisation "Academia de Studii Economice a Moldovei" \
  --organisation-identifier VATMD-1002600012345 --country MD --password s3cret --out seal
jq -n --arg p12 "$(base64 -w0 seal.p12)" '{pkcs12: $p12, password: "s3cret"}' |
  curl -sf -X PUT $B/api/v1/institutions/ase/eseal -H "Authorization: Bearer $TOKEN" \
    -H 'content-type: application/json' --data-binary @- | jq -c '{algorithm, organisationIdentifier, qualified}'

# 3. Issue a credential: Ana gets an e-mail with her private link.
curl -sf -X POST $B/api/v1/institutions/ase/credentials -H "Authorization: Bearer $TOKEN" \
  -H 'content-type: application/json' \
  -d '{"achievement": "gdpr-101", "learner": {"name": "Ana Popescu", "email": "ana@example.md"}, "grade": "92%"}' > /dev/null
until curl -sf "$M/_fake/mail?to=ana@example.md" | jq -e 'length > 0' > /dev/null; do sleep 0.5; done
LINK=$(curl -sf "$M/_fake/mail?to=ana@example.md" | jq -r '.[0].data' | tr -d '\r' | grep -o 'http[^ <>"]*/holder/[^ <>"]*' | head -1)

# 4. From her link: the uploadable form for the EU's EDC tools, and the sealed form for her
#    Europass wallet, timestamped by the TSA (JAdES baseline T); the seal verifies.
curl -sf $LINK/europass.json | jq -r '.credential.type | join(" ")'
curl -sf $LINK/europass-sealed.jsonld -o europass-sealed.jsonld
$R/target/release/microcred verify europass-sealed.jsonld > report.txt
head -2 report.txt; grep -o '\[passed \] signature timestamp (sigTst)' report.txt
kill $MC_PID $FAKE_PID
# --- walk:end

MC_PID=
FAKE_PID=
case $PWD in /tmp/*) rm -rf "$PWD" ;; esac
exec >&3 3>&-
wait $tee_pid 2>/dev/null || sleep 1
expect() { grep -qxF -- "$1" "$out" || { echo "europass walk: expected the line: $1" >&2; exit 1; }; }
expect '{"algorithm":"RS256","organisationIdentifier":"VATMD-1002600012345","qualified":false}'
expect 'VerifiableCredential EuropeanDigitalCredential'
expect 'SEAL VALID'
expect '[passed ] signature timestamp (sigTst)'
expect '  sealed by:  CN=Academia de Studii Economice a Moldovei (demo seal), C=MD, O=Academia de Studii Economice a Moldovei, OID(2.5.4.97)=VATMD-1002600012345'
echo "europass walk: ok"
