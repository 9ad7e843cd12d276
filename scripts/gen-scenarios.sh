#!/usr/bin/env bash
# Generates the full-duplex scenario suite (tests/scenarios/spec.toml) into OUT_DIR
# (default tests/scenarios/suite, git-ignored). First fetches the development recordings it
# mixes in as background speech, from pinned packages, into $TANDEM_DEV_SPEECH
# (default ~/.cache/tandem/dev-speech), each file checked by sha256.
#
# Usage: scripts/gen-scenarios.sh [OUT_DIR] [-- extra `tandem eval generate` flags]
# Env:   TANDEM=path/to/tandem (default: builds and uses target/debug/tandem)
set -euo pipefail
cd "$(dirname "$0")/.."

out=${1:-tests/scenarios/suite}
shift || true
[[ ${1:-} == -- ]] && shift
dev=${TANDEM_DEV_SPEECH:-${XDG_CACHE_HOME:-$HOME/.cache}/tandem/dev-speech}
mkdir -p "$dev"

# file in $dev | package | path inside the package | sha256 of the file
recordings=(
  "two_cities.wav|moonshine-voice==0.1.5|moonshine_voice/assets/two_cities.wav|f3348494d77cb74a02862f5e685ed09faf3e75832c5cc5c80703282c2cd8b52e"
  "endgame_nagg_nell.wav|moonshine-voice==0.1.5|moonshine_voice/assets/endgame_nagg_nell.wav|78f44dc6d3da32ecab0c37f391700f0569f4612b8e0be2ecbaf33e1d3d566474"
  "librivox-0870.wav|pocketsphinx==5.1.1|test/data/librivox/sense_and_sensibility_01_austen_64kb-0870.wav|b0557cf95c974d930577e58e46b7f068c432a6e3afcc286563d88922b2a5315c"
  "librivox-0890.wav|pocketsphinx==5.1.1|test/data/librivox/sense_and_sensibility_01_austen_64kb-0890.wav|5793ffbdee55fb8bfd284943a6866864c832d9d4accf2661cabd39915c84ee10"
  "librivox-0920.wav|pocketsphinx==5.1.1|test/data/librivox/sense_and_sensibility_01_austen_64kb-0920.wav|40882414ef4cc51f3ff7a63bad0c8c87e7f595ffeb8209fbf756c8ebc5c28a59"
)

ok() { [[ -f $1 ]] && [[ $(sha256sum "$1" | cut -d' ' -f1) == "$2" ]]; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Downloads a package once per run: the wheel for moonshine-voice (a manylinux x86_64 wheel,
# but the assets are plain files), the sdist for pocketsphinx (its test data ships there).
fetch() {
  local pkg=$1 dest="$tmp/${1%%==*}"
  [[ -d $dest ]] && return 0
  mkdir -p "$dest"
  echo "fetching $pkg" >&2
  case $pkg in
    moonshine-voice*)
      python3 -m pip download --quiet --no-deps --only-binary=:all: \
        --platform manylinux_2_34_x86_64 --python-version 3.11 --dest "$dest" "$pkg"
      (cd "$dest" && python3 -m zipfile -e ./*.whl unpacked) ;;
    pocketsphinx*)
      # --no-binary for this package only: its build tools may still come as wheels.
      python3 -m pip download --quiet --no-deps --no-binary pocketsphinx --dest "$dest" "$pkg"
      mkdir -p "$dest/unpacked"
      tar -xzf "$dest"/*.tar.gz -C "$dest/unpacked" --strip-components=1 --wildcards '*/test/data/librivox/*.wav' ;;
  esac
}

for r in "${recordings[@]}"; do
  IFS='|' read -r file pkg inner sha <<<"$r"
  if ok "$dev/$file" "$sha"; then continue; fi
  fetch "$pkg"
  src="$tmp/${pkg%%==*}/unpacked/$inner"
  if ! ok "$src" "$sha"; then
    echo "error: $inner from $pkg does not have the pinned sha256 $sha" >&2
    exit 1
  fi
  cp "$src" "$dev/$file"
  echo "$dev/$file: verified" >&2
done

tandem=${TANDEM:-}
if [[ -z $tandem ]]; then
  cargo build --quiet -p tandem-cli
  tandem=${CARGO_TARGET_DIR:-target}/debug/tandem
fi
exec "$tandem" eval generate "$out" --dev-speech "$dev" "$@"
