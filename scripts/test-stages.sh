#!/usr/bin/env bash
# Runs the `make test` stages in turn, times each, and ends with one line saying how long each
# took (also when a stage fails: the line then names it). Usage: scripts/test-stages.sh STAGE...
set -uo pipefail
make=${MAKE:-make}
t0=$(date +%s)
times=()
fmt() { printf '%dm%02ds' $(($1 / 60)) $(($1 % 60)); }
summary() {
  local IFS=,
  echo "make test took $(fmt $(($(date +%s) - t0))):${times[*]}"
}
for stage in "$@"; do
  s=$(date +%s)
  if ! "$make" --no-print-directory "$stage"; then
    times+=(" $stage $(fmt $(($(date +%s) - s))) (failed)")
    summary
    exit 1
  fi
  times+=(" $stage $(fmt $(($(date +%s) - s)))")
done
echo "All tests passed."
summary
