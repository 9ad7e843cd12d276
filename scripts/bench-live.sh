#!/usr/bin/env bash
# The live loop on the PulseAudio rig (scripts/bench_live.py): CPU, peak RSS, cut-in pause and
# stop times over a loudspeaker echo, reply latencies and stream restarts of `tandem run`.
# Usage: scripts/bench-live.sh [--tandem BIN] [--echo-db DB] [--rounds N] [--policy model|rules] [--tail SECONDS]
#   [--room RT60_S [--room-loop BIN]]  (the speaker looped back through a reverberant room;
#   BIN defaults to examples/room_loop beside --tandem: cargo build -p tandem-tests --example room_loop)
# (default: target/release/tandem, -20 dB, 5 rounds). Models must be fetched (`make models`).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
exec bash "$here/with-pulse.sh" python3 "$here/bench_live.py" "$@"
