#!/usr/bin/env bash
# Runs a command against a private, headless PulseAudio server with null sinks: a real, paced
# 48 kHz sound server without a sound card. `speaker` is where the app plays; `mic` is what it
# records (its monitor is the default source); `paplay -d mic FILE` injects the "user".
# Usage: scripts/with-pulse.sh COMMAND [ARGS...]
set -euo pipefail
rig=$(mktemp -d /tmp/tandem-pulse.XXXXXX)
export XDG_RUNTIME_DIR=$rig/run HOME=${TANDEM_RIG_KEEP_HOME:-$HOME}
mkdir -p "$XDG_RUNTIME_DIR" "$rig/home"
chmod 700 "$XDG_RUNTIME_DIR"
export PULSE_RUNTIME_PATH=$XDG_RUNTIME_DIR/pulse PULSE_STATE_PATH=$rig/state PULSE_COOKIE=$rig/cookie
pulseaudio -n --daemonize=no --exit-idle-time=-1 --use-pid-file=no --system=false \
  -L "module-native-protocol-unix auth-anonymous=1" \
  -L "module-null-sink sink_name=speaker rate=48000 channels=2" \
  -L "module-null-sink sink_name=mic rate=48000 channels=1" \
  -L "module-always-sink" >"$rig/pulse.log" 2>&1 &
pa=$!
cleanup() { kill "$pa" 2>/dev/null || true; wait "$pa" 2>/dev/null || true; rm -rf "$rig"; }
trap cleanup EXIT
for _ in $(seq 1 50); do pactl info >/dev/null 2>&1 && break; sleep 0.1; done
if ! pactl info >/dev/null 2>&1; then
  echo "error: the test PulseAudio server did not start; its log:" >&2
  cat "$rig/pulse.log" >&2
  exit 1
fi
pactl set-default-sink speaker
pactl set-default-source mic.monitor
export TANDEM_PULSE_RIG=1
"$@"
