#!/usr/bin/env bash
# Installs the Debian packages Tandem needs (when root), or prints the exact apt-get line and
# fails. Usage: scripts/deps.sh [build|test]   (test adds the X server, WebKitWebDriver for the
# end-to-end tests, the sound server and speech tools).
set -euo pipefail
want=${1:-build}

build_pkgs=(build-essential cmake pkg-config libasound2-dev libclang-dev libssl-dev
  libwebkit2gtk-4.1-dev libxdo-dev libayatana-appindicator3-dev librsvg2-dev
  python3 python3-pip python3-venv)
test_pkgs=(xvfb xauth webkit2gtk-driver imagemagick x11-utils pulseaudio pulseaudio-utils libasound2-plugins espeak-ng sox)
# cmake builds llama.cpp (the embedded language model, from the llama-cpp-sys-2 crate).
# imagemagick (`import`) and x11-utils (`xwininfo`) take the screenshots of the app window.

pkgs=("${build_pkgs[@]}")
[[ $want == test || $want == run ]] && pkgs+=("${test_pkgs[@]}")
# Node.js 18+ and npm build the UI; Debian's nodejs is used only when none is installed.
command -v node >/dev/null && command -v npm >/dev/null || pkgs+=(nodejs npm)
# python3/pip may come from elsewhere (pyenv); what matters is that they work.
if python3 -m pip --version >/dev/null 2>&1 && python3 -c 'import venv' 2>/dev/null; then
  pkgs=("${pkgs[@]/python3-pip}"); pkgs=("${pkgs[@]/python3-venv}"); pkgs=("${pkgs[@]/python3}")
fi

missing=()
for p in "${pkgs[@]}"; do
  [[ -z $p ]] && continue
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ! command -v cargo >/dev/null; then
  echo "error: Rust (cargo) is not installed. Install it with rustup (https://rustup.rs), Rust 1.95 or newer." >&2
  exit 1
fi

if ((${#missing[@]} == 0)); then
  exit 0
fi
line="apt-get install -y --no-install-recommends ${missing[*]}"
if [[ $(id -u) == 0 ]]; then
  echo "Installing system packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "error: missing system packages. Run as root:" >&2
  echo "  sudo apt-get update && sudo $line" >&2
  exit 1
fi
