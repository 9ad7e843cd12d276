#!/usr/bin/env bash
# Checks that built binaries contain no test double: FakeLlmServer (a fake LLM server that
# listens on a port) lives in its own crate, tandem-test-llm (crates/test-llm), which the
# workspace's crates take only as a dev-dependency. Looks for its names in the binary's strings
# (type, function and crate names, its source file in panic locations and debug info, its
# thread names).
# Usage: scripts/check-release.sh BINARY...   (exit 1 if any contains it, 2 if one is missing)
set -euo pipefail
[[ $# -gt 0 ]] || { echo "usage: $0 BINARY..." >&2; exit 2; }
pattern='FakeLlmServer|tandem_test_llm|test-llm/src/lib\.rs|fake-llm-(accept|conn)'
status=0
for bin in "$@"; do
  if [[ ! -f $bin ]]; then
    echo "check-release: $bin does not exist" >&2
    exit 2
  fi
  hits=$(LC_ALL=C grep -a -o -E "$pattern" "$bin" | sort | uniq -c || true)
  if [[ -n $hits ]]; then
    echo "check-release: $bin contains the test LLM server (crate tandem-test-llm):" >&2
    echo "$hits" >&2
    status=1
  else
    echo "check-release: $bin contains no test server"
  fi
done
exit $status
