#!/usr/bin/env bash
# The docs/sources.md walk, run exactly as written: the block between the walk markers below is
# the block in docs/sources.md (the end-to-end test `the_sources_walk_is_the_sources_walk_script`
# checks that they are the same), then its output is checked.
#   examples/sources-walk.sh
# Needs curl and jq; uses port 8092.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp)
MC_PID=
trap '[ -n "$MC_PID" ] && kill $MC_PID 2>/dev/null; rm -f "$out"' EXIT
exec 3>&1 > >(tee "$out" >&3)
tee_pid=$!

# --- walk:begin
cargo build --release -p microcred
R=$PWD && cd "$(mktemp -d)"
$R/target/release/microcred serve --bind 127.0.0.1:8092 --data-dir data > microcred.log 2>&1 &
MC_PID=$!
B=http://127.0.0.1:8092
until curl -sf $B/health > /dev/null; do sleep 0.2; done

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
A=$B/api/v1/institutions/ase
H="Authorization: Bearer $TOKEN"
J='content-type: application/json'

# 2. An achievement earned by completing the course with a course total of at least 60%.
jq -n --slurpfile d $R/examples/achievement-gdpr-offline.json '{slug: "gdpr-offline", definition: $d[0]}' |
  curl -sf -X POST $A/achievements -H "$H" -H "$J" --data-binary @- | jq -r .criteria.en

# 3. xAPI from any LRS client (SCORM Cloud, a cmi5 player, another LMS): credentials for the
#    client, the learner the statement names (by e-mail), and the activity that is the course.
XAPI=$(curl -sf -X POST $A/xapi/clients -H "$H" -H "$J" -d '{"label": "SCORM Cloud"}')
XAUTH=$(echo "$XAPI" | jq -r '.username + ":" + .secret')
curl -sf -X POST $A/learners -H "$H" -H "$J" \
  -d '{"name": "Ana Moraru", "email": "ana.moraru@example.md", "language": "ro"}' | jq -r .name
curl -sf -X POST $A/activities -H "$H" -H "$J" \
  -d '{"activity": "https://lms.example.md/courses/gdpr-offline", "achievement": "gdpr-offline"}' |
  jq -c '{activity, achievement}'
curl -sf -X POST $B/xapi/statements -u "$XAUTH" -H 'X-Experience-API-Version: 1.0.3' -H "$J" \
  --data-binary @$R/examples/xapi/cmi5-course-completed.json | jq -r 'length'
curl -sf "$A/learner-evaluations?achievement=gdpr-offline" -H "$H" | jq -c '.[0] | {learnerName, outcome, reasons}'

# 4. A registrar's completions file for an offline course: the course code is mapped, each row
#    is evaluated and reported; the same file again issues nothing.
curl -sf -X POST $A/activities -H "$H" -H "$J" \
  -d '{"activity": "GDPR-OFFLINE-2026", "achievement": "gdpr-offline"}' > /dev/null
curl -sf -X POST $A/completions -H "$H" -H 'content-type: text/csv' \
  --data-binary @$R/examples/completions/completions.csv | jq -c '{rows, issued, notMet, refused}'
curl -sf -X POST $A/completions -H "$H" -H 'content-type: text/csv' \
  --data-binary @$R/examples/completions/completions.csv |
  jq -c '{issued, alreadyIssued, refused, why: [.results[] | select(.decision != "already_issued") | .reasons[-1]]}'

# 5. A quiz without an LMS: a GIFT bank, a quiz of the achievement (pass mark 60%), an attempt
#    for a learner - questions without answers - and the answers, graded at once.
BANK=$(curl -sf -X POST "$A/question-banks?format=gift&name=GDPR%20final" -H "$H" \
  --data-binary @$R/examples/quizzes/gdpr.gift)
echo "$BANK" | jq -c '{questions, types}'
QUIZ=$(jq -n --arg bank "$(echo "$BANK" | jq -r .id)" '{title: "GDPR final test",
  achievement: "gdpr-offline", bank: $bank, timeLimitMinutes: 30, maxAttempts: 3, passPercent: 60}' |
  curl -sf -X POST $A/quizzes -H "$H" -H "$J" --data-binary @- | jq -r .id)
DAN=$(curl -sf -X POST $A/learners -H "$H" -H "$J" \
  -d '{"name": "Dan Cojocaru", "email": "dan.cojocaru@example.md"}' | jq -r .id)
ATTEMPT=$(curl -sf -X POST $A/quizzes/$QUIZ/attempts -H "$H" -H "$J" -d "{\"learner\": \"$DAN\"}")
echo "$ATTEMPT" | jq -c '.questions[0] | {type, text, choices}'
curl -sf -X POST $A/quizzes/$QUIZ/attempts/$(echo "$ATTEMPT" | jq -r .id)/submit -H "$H" -H "$J" \
  -d '{"responses": [{"question": 0, "choice": 0}, {"question": 1, "answer": true},
       {"question": 2, "number": 72}, {"question": 3, "text": "CNPDCP"},
       {"question": 4, "choices": [0, 1]}, {"question": 6, "answer": true},
       {"question": 5, "matches": ["Right of access", "Right to erasure", "Breach notification"]}]}' |
  jq -c "{percent: (.percent | round), passed, decision: .evaluation.decision}"

# 6. Every credential is on its public page, valid.
for CODE in $(curl -sf "$A/credentials?limit=50" -H "$H" | jq -r '.[].code'); do
  curl -sf $B/v/$CODE | grep -o '<h1>[^<]*</h1>'
done | sort | uniq -c | sed 's/^ *//'
kill $MC_PID
# --- walk:end

MC_PID=
case $PWD in /tmp/*) rm -rf "$PWD" ;; esac
exec >&3 3>&-
wait $tee_pid 2>/dev/null || sleep 1
expect() { grep -qxF -- "$1" "$out" || { echo "sources walk: expected the line: $1" >&2; exit 1; }; }
expect "Awarded when all of the following are met, as recorded by the course's learning platform: the course is completed; a course total grade of at least 60%."
expect 'Ana Moraru'
expect '1'
expect '{"learnerName":"Ana Moraru","outcome":"issued","reasons":["course completed on 2026-11-28","course total: 86% ≥ 60%"]}'
expect '{"rows":4,"issued":2,"notMet":1,"refused":1}'
expect '{"issued":0,"alreadyIssued":2,"refused":1,"why":["course total: 50% < 60%","line 5, column email: `vasile.lungu@example` is not an e-mail address"]}'
expect '{"questions":8,"types":{"description":1,"match":1,"multichoice":2,"numerical":1,"shortanswer":1,"truefalse":2}}'
expect '{"type":"multichoice","text":"Which of these is a lawful basis for processing personal data under Article 6 GDPR?","choices":["Consent of the data subject","The controller'"'"'s curiosity","Any public interest the clerk finds useful"]}'
expect '{"percent":100,"passed":true,"decision":"issued"}'
expect '4 <h1>Valid</h1>'
echo "sources walk: ok"
