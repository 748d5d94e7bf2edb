#!/usr/bin/env bash
# The whole test suite, as README and CI run it.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --workspace --locked "$@"
