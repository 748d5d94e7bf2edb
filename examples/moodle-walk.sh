#!/usr/bin/env bash
# The docs/moodle.md walk, run exactly as written: the block between the walk markers below is
# the block in docs/moodle.md (the end-to-end test `the_moodle_walk_is_the_moodle_walk_script`
# checks that they are the same), then its output is checked.
#   examples/moodle-walk.sh
# Needs curl and jq; uses ports 8091 (microcred), 9090 (fake Moodle) and 2525 (SMTP sink).
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
# A fake Moodle (web services as Moodle answers them) with an SMTP sink, standing in for yours.
$R/target/release/fake-moodle --bind 127.0.0.1:9090 --smtp 127.0.0.1:2525 > fake-moodle.log 2>&1 &
FAKE_PID=$!
M=http://127.0.0.1:9090
# --insecure-outbound: the fake Moodle is plain http on loopback, which microcred refuses
# otherwise (a real Moodle is an https site on the public internet).
$R/target/release/microcred serve --bind 127.0.0.1:8091 --data-dir data --insecure-outbound \
  --smtp-url smtp://127.0.0.1:2525 --mail-from credentials@ase.example > microcred.log 2>&1 &
MC_PID=$!
B=http://127.0.0.1:8091
until curl -sf $B/health > /dev/null && curl -sf $M/_fake/mail > /dev/null; do sleep 0.2; done

# 1. Administrator, institution and registrar token, as in the README walk.
SETUP=$(grep -o 'setup_token=mc_[A-Za-z0-9_-]*' microcred.log | cut -d= -f2)
ADMIN=$(curl -sf -X POST $B/api/v1/setup -H 'content-type: application/json' \
  -d "{\"setupToken\": \"$SETUP\"}" | jq -r .token)
curl -sf -X POST $B/api/v1/institutions -H "Authorization: Bearer $ADMIN" \
  -H 'content-type: application/json' -d '{"slug": "ase",
  "legalName": "Academia de Studii Economice a Moldovei", "registrationNumber": "1002600012345",
  "country": "MD", "locality": "Chișinău"}' > /dev/null
TOKEN=$(curl -sf -X POST $B/api/v1/institutions/ase/tokens -H "Authorization: Bearer $ADMIN" \
  -H 'content-type: application/json' -d '{"label": "registrar Ana"}' | jq -r .token)

# 2. An achievement whose earningRules say what earns it: the course completed, at least 80%
#    on the quiz "Final test", and a sign-in through MPass; it prints the criteria text they write.
jq -n --slurpfile d $R/examples/achievement-gdpr-moodle.json '{slug: "gdpr-moodle", definition: $d[0]}' |
  curl -sf -X POST $B/api/v1/institutions/ase/achievements -H "Authorization: Bearer $TOKEN" \
    -H 'content-type: application/json' --data-binary @- | jq -r .criteria.en

# 3. Connect the Moodle site: the token is checked (site name, the functions it may call).
CONN=$(curl -sf -X POST $B/api/v1/institutions/ase/moodle -H "Authorization: Bearer $TOKEN" \
  -H 'content-type: application/json' \
  -d "{\"siteUrl\": \"$M\", \"token\": \"0123456789abcdef0123456789abcdef\"}")
echo "$CONN" | jq -r .siteName
CID=$(echo "$CONN" | jq -r .id)
SECRET=$(echo "$CONN" | jq -r .hookSecret)          # shown once: it goes into Moodle's plugin

# 4. Map the Moodle course (by shortname or id) to the achievement.
curl -sf -X POST $B/api/v1/institutions/ase/moodle/$CID/courses -H "Authorization: Bearer $TOKEN" \
  -H 'content-type: application/json' -d '{"course": "GDPR101", "achievement": "gdpr-moodle"}' | jq -c .

# 5. In Moodle, Ada (user 17) scores 8.5/10 on the final test and completes the course.
curl -sf -X POST $M/_fake/quiz-grade -H 'content-type: application/json' -d '{"quiz": 7, "user": 17, "grade": 8.5}'
curl -sf -X POST $M/_fake/complete -H 'content-type: application/json' -d '{"course": 5, "user": 17}'

# 6. Moodle's tool_trigger forwards the course_completed event, as configured in this guide.
curl -sf -X POST $B/api/v1/hooks/moodle/$CID -H "Authorization: Bearer $SECRET" \
  --data-binary '{"event":"\\core\\event\\course_completed","learner":"17","course":"5","objectid":"88"}' |
  jq -c '{accepted, duplicate}'

# 7. The worker confirms through the web services, evaluates the rules and issues; the
#    evaluation says why.
until curl -sf "$B/api/v1/institutions/ase/evaluations?learner=17" -H "Authorization: Bearer $TOKEN" |
  jq -e 'length > 0' > /dev/null; do sleep 0.5; done
curl -sf "$B/api/v1/institutions/ase/evaluations?learner=17" -H "Authorization: Bearer $TOKEN" |
  jq -c '.[0] | {outcome, reasons}'

# 8. The credential is on its public page, valid.
CODE=$(curl -sf $B/api/v1/institutions/ase/credentials -H "Authorization: Bearer $TOKEN" | jq -r '.[0].code')
curl -sf $B/v/$CODE | grep -o '<h1>[^<]*</h1>'

# 9. Ada got an e-mail (here, in the SMTP sink) with the verification link, the QR code and her
#    private link.
until curl -sf "$M/_fake/mail?to=ada@example.org" | jq -e 'length > 0' > /dev/null; do sleep 0.5; done
curl -sf "$M/_fake/mail?to=ada@example.org" | jq -r '.[0].subject'

# 10. Ion (user 18) scored 7.2: not awarded, and the registrar sees why.
curl -sf -X POST $M/_fake/quiz-grade -H 'content-type: application/json' -d '{"quiz": 7, "user": 18, "grade": 7.2}'
curl -sf -X POST $M/_fake/complete -H 'content-type: application/json' -d '{"course": 5, "user": 18}'
curl -sf -X POST $B/api/v1/hooks/moodle/$CID -H "Authorization: Bearer $SECRET" \
  --data-binary '{"event":"\\core\\event\\course_completed","learner":"18","course":"5","objectid":"89"}' > /dev/null
until curl -sf "$B/api/v1/institutions/ase/evaluations?learner=18" -H "Authorization: Bearer $TOKEN" |
  jq -e 'length > 0' > /dev/null; do sleep 0.5; done
curl -sf "$B/api/v1/institutions/ase/evaluations?learner=18" -H "Authorization: Bearer $TOKEN" |
  jq -r '.[0].reasons[]'
kill $MC_PID $FAKE_PID
# --- walk:end

MC_PID=
FAKE_PID=
case $PWD in /tmp/*) rm -rf "$PWD" ;; esac
exec >&3 3>&-
wait $tee_pid 2>/dev/null || sleep 1
expect() { grep -qxF -- "$1" "$out" || { echo "moodle walk: expected the line: $1" >&2; exit 1; }; }
expect "Awarded when all of the following are met, as recorded by the course's learning platform: the course is completed; at least 80% on the quiz “Final test”. The learner's identity was established by signing in through: mpass."
expect 'Acme Learning'
expect '{"courseId":5,"shortname":"GDPR101","fullname":"Personal data protection in public administration","achievement":"gdpr-moodle"}'
expect '{"accepted":true,"duplicate":false}'
expect '{"outcome":"issued","reasons":["course completed on '"$(date -u +%Y-%m-%d)"'","quiz '"'"'Final test'"'"': 85% ≥ 80%","signed in with '"'"'mpass'"'"'"]}'
expect '<h1>Valid</h1>'
expect 'Your micro-credential: Personal data protection in public administration'
expect "quiz 'Final test': 72% < 80%"
echo "moodle walk: ok"
