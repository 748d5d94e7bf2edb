#!/usr/bin/env bash
# Runs every cargo fuzz target for a given time (default 60 s each) and prints what each did.
#   scripts/fuzz.sh [SECONDS] [TARGET...]
# Needs the nightly toolchain (rustup toolchain install nightly) and cargo-fuzz
# (cargo install cargo-fuzz); installs cargo-fuzz when it is missing. The corpora in
# fuzz/corpus/<target> start from the seeds kept in the repository (fuzz/seeds/<target>) and
# are minimised back into them with --minimise.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(verify_credential jcs status_list bulk_csv did_document sealed_credential gift aiken completions_csv xapi_statement)
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
cargo +nightly fuzz build -O
for t in "${targets[@]}"; do
  mkdir -p "corpus/$t" "artifacts/$t"
  cp -n seeds/"$t"/* "corpus/$t/" 2>/dev/null || true
  max_len=4096
  [ "$t" = sealed_credential ] && max_len=200000
  log=$(mktemp)
  cargo +nightly fuzz run -O "$t" "corpus/$t" -- -max_total_time="$seconds" -max_len="$max_len" \
    -rss_limit_mb=2048 -timeout=10 -artifact_prefix="artifacts/$t/" > "$log" 2>&1 || {
    echo "$t: FAILED (artifacts/$t):"; tail -30 "$log"; exit 1; }
  echo "$t: $(grep -o 'Done [0-9]* runs in [0-9]* second(s)' "$log" | tail -1); $(grep -o 'cov: [0-9]*' "$log" | tail -1), corpus $(ls "corpus/$t" | wc -l) inputs"
  rm -f "$log"
done
