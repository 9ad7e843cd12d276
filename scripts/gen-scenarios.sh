#!/usr/bin/env bash
# Generates the full-duplex scenario suite (tests/scenarios/spec.toml) into OUT_DIR
# (default tests/scenarios/suite, git-ignored). First fetches the development recordings it
# mixes in as background speech (scripts/dev-speech.sh).
#
# Usage: scripts/gen-scenarios.sh [OUT_DIR] [-- extra `tandem eval generate` flags]
# Env:   TANDEM=path/to/tandem (default: builds and uses target/debug/tandem)
set -euo pipefail
cd "$(dirname "$0")/.."

out=${1:-tests/scenarios/suite}
shift || true
[[ ${1:-} == -- ]] && shift
dev=$(bash scripts/dev-speech.sh)

tandem=${TANDEM:-}
if [[ -z $tandem ]]; then
  cargo build --quiet -p tandem-cli
  tandem=${CARGO_TARGET_DIR:-target}/debug/tandem
fi
exec "$tandem" eval generate "$out" --dev-speech "$dev" "$@"
