#!/usr/bin/env bash
# Long-session memory check (issue 15, item 7): does `tandem duplex` keep a flat memory footprint
# over an hour of conversation? Generates the scenario suites (scripts/gen-scenarios.sh: the
# default spec, plus the held-back one when espeak-ng is installed), concatenates their user
# channels into MINUTES of audio with silences between them (scripts/long_session.py build),
# runs `tandem duplex --pace virtual` on it under nice, sampling VmRSS every 5 s into
# WORK_DIR/rss.csv, and prints a JSON summary: rss_start_mb (first sample after 30 s of wall
# time, models loaded), rss_quarters_mb (at 25/50/75/100 % of the audio), rss_peak_mb,
# slope_mb_per_hour (least squares over the second half, MB per hour of audio), audio_s, wall_s,
# turns (requests whose answer started playing), cut_ins (barge_in events) and every event kind.
#
# Usage: scripts/long-session.sh [MINUTES (default 60)] [WORK_DIR (default: a temp dir)]
# Env:   TANDEM=path/to/tandem (default: builds and uses target/release/tandem)
#        DUPLEX_FLAGS="..." extra `tandem duplex` flags (default: --echo-db -20)
#        RSS_EVERY=seconds between samples (5), RSS_START_AFTER=seconds (30)
set -euo pipefail
cd "$(dirname "$0")/.."

minutes=${1:-60}
work=${2:-$(mktemp -d -t tandem-long-session.XXXXXX)}
mkdir -p "$work"

tandem=${TANDEM:-}
if [[ -z $tandem ]]; then
  cargo build --quiet --release -p tandem-cli
  tandem=${CARGO_TARGET_DIR:-target}/release/tandem
fi
export TANDEM=$tandem

suites=("$work/suite")
bash scripts/gen-scenarios.sh "$work/suite" >"$work/gen.log" 2>&1
if command -v espeak-ng >/dev/null; then
  SPEC=tests/scenarios/heldback.toml bash scripts/gen-scenarios.sh "$work/heldback" >>"$work/gen.log" 2>&1
  suites+=("$work/heldback")
fi

python3 scripts/long_session.py build "$work/session.wav" "$minutes" "${suites[@]}" >&2
# shellcheck disable=SC2086  # DUPLEX_FLAGS is a list of flags
python3 scripts/long_session.py run "$tandem" "$work/session.wav" "$work" ${DUPLEX_FLAGS:---echo-db -20} \
  | tee "$work/summary.json"
echo "work dir: $work (session.wav, rss.csv, events.jsonl, summary.json)" >&2
