#!/usr/bin/env bash
# Generates a full-duplex scenario suite from a spec into OUT_DIR (default tests/scenarios/suite,
# git-ignored). First fetches the development recordings it mixes in as background speech
# (scripts/dev-speech.sh).
#
# Usage: scripts/gen-scenarios.sh [--spec FILE] [OUT_DIR] [-- extra `tandem eval generate` flags]
# Env:   SPEC=FILE     the spec (default: tests/scenarios/spec.toml, built into tandem); the
#                      held-back suite is SPEC=tests/scenarios/heldback.toml (needs espeak-ng)
#        TANDEM=path/to/tandem (default: builds and uses target/debug/tandem, built the way
#                      `make test` builds it, so the two share one build)
set -euo pipefail
cd "$(dirname "$0")/.."

spec=${SPEC:-}
if [[ ${1:-} == --spec ]]; then
  spec=${2:?--spec needs a file}
  shift 2
fi
out=${1:-tests/scenarios/suite}
shift || true
[[ ${1:-} == -- ]] && shift
dev=$(bash scripts/dev-speech.sh)

tandem=${TANDEM:-}
if [[ -z $tandem ]]; then
  cargo test --quiet --workspace --locked --no-run
  tandem=${CARGO_TARGET_DIR:-target}/debug/tandem
fi
exec "$tandem" eval generate "$out" --dev-speech "$dev" ${spec:+--spec "$spec"} "$@"
