#!/usr/bin/env bash
# The whole test suite, as README and CI run it: every crate, SQLite and PostgreSQL. Ends with
# the total over all crates: `tests: N passed, M failed`.
set -euo pipefail
cd "$(dirname "$0")/.."

pg=${MICROCRED_TEST_POSTGRES:-postgres://postgres@127.0.0.1:5432/test}
hostport=${pg#*://}; hostport=${hostport#*@}; hostport=${hostport%%/*}
host=${hostport%%:*}; port=${hostport##*:}; [ "$port" = "$hostport" ] && port=5432
if ! (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; then
  echo "PostgreSQL is not reachable at $host:$port (the tests need it): start it, e.g. 'sudo pg_ctlcluster --skip-systemctl-redirect \$(ls /etc/postgresql) main start' or 'docker run -d -p 5432:5432 -e POSTGRES_HOST_AUTH_METHOD=trust -e POSTGRES_DB=test postgres:16', or set MICROCRED_TEST_POSTGRES=postgres://user@host:port/db" >&2
  exit 1
fi

# The Europass tests check credentials against the EDC SHACL shapes with pySHACL (PyPI).
python3 -c "import pyshacl" 2>/dev/null || python3 -m pip install --quiet "pyshacl==0.40.0"

log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
cargo test --workspace --locked --no-fail-fast "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
read -r passed failed < <(awk '/^test result:/ { for (i = 2; i <= NF; i++) {
  if ($i ~ /^passed;?$/) p += $(i - 1); if ($i ~ /^failed;?$/) f += $(i - 1) } } END { print p + 0, f + 0 }' "$log")
echo "tests: ${passed} passed, ${failed} failed"
exit "$status"
