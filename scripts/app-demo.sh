#!/usr/bin/env bash
# Runs the desktop app headless (Xvfb + the PulseAudio rig), starts a conversation with
# TANDEM_AUTOSTART=1, speaks two user lines into the microphone (a question, then a cut-in
# while the answer plays), and takes screenshots of the window along the way.
#
# Usage: scripts/app-demo.sh APP TANDEM_CLI OUT_DIR
#   APP         the built app (e.g. target/debug/tandem-app from `npx tauri build --debug --no-bundle`)
#   TANDEM_CLI  the `tandem` binary, used to synthesize the user's voice
#   OUT_DIR     where the screenshots and the app's log go
# Needs: Xvfb, imagemagick (`import`), pulseaudio, pulseaudio-utils (scripts/deps.sh).
set -euo pipefail
app=$(realpath "$1") cli=$(realpath "$2") out=$3
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
out=$(realpath "$out")

if [[ -z "${TANDEM_PULSE_RIG:-}" ]]; then
  exec bash "$here/with-pulse.sh" "$0" "$@"
fi

work=$(mktemp -d /tmp/tandem-demo.XXXXXX)
display=:${TANDEM_DEMO_DISPLAY:-97}
Xvfb "$display" -screen 0 1100x860x24 -nolisten tcp >"$work/xvfb.log" 2>&1 &
xvfb=$!
app_pid=
cleanup() {
  [[ -n "$app_pid" ]] && kill "$app_pid" 2>/dev/null && wait "$app_pid" 2>/dev/null
  kill "$xvfb" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
export DISPLAY=$display
sleep 1

# The user: the assistant's own voice, lower, so the two are easy to tell apart.
"$cli" say --pitch "${TANDEM_DEMO_PITCH:-0.9}" "What can you do?" -o "$work/ask.wav" >/dev/null 2>&1
"$cli" say --pitch "${TANDEM_DEMO_PITCH:-0.9}" "Stop, stop. What time is it right now?" -o "$work/cut.wav" >/dev/null 2>&1

TANDEM_AUTOSTART=1 WEBKIT_DISABLE_DMABUF_RENDERER=1 RUST_LOG=${RUST_LOG:-info,ort=warn,tandem_core::engine=debug} \
  "$app" >"$out/app.log" 2>&1 &
app_pid=$!

# Wait until the microphone is open (models loaded, engine listening).
for _ in $(seq 1 240); do
  grep -q "audio devices open" "$out/app.log" && break
  sleep 0.5
done
grep -q "audio devices open" "$out/app.log" || { echo "the app never opened the audio devices" >&2; exit 1; }
sleep 2
shot() { import -window root "$out/$1.png"; echo "screenshot: $out/$1.png"; }
shot listening

paplay -d mic "$work/ask.wav"
sleep 0.3
shot thinking
sleep 2.2
shot speaking
paplay -d mic "$work/cut.wav"
sleep 0.2
shot cut-in
sleep 4
shot after
