#!/usr/bin/env python3
"""Checks generated floor episodes against the data contract (scripts/floor/README.md):

    python scripts/floor/validate.py DIR [--limit N]

For every DIR/<split>/<id>/: mic.wav and far.wav are 16 kHz mono 16-bit and equally long,
duration_ms matches, events are of known kinds, inside the episode, carry `addressed` as the
contract says, turns end with exactly one `final` segment, the user's own events never
overlap, requests never start over the assistant, interruptions start inside an assistant
span and backchannels overlap one (or sit between two), and far.wav is quiet (30 dB below its
loudest frame) outside assistant events. Prints the failing episodes (the first 20) and
exits 1 if there are any.
"""

from __future__ import annotations

import argparse
import json
import sys
import wave
from collections import defaultdict
from pathlib import Path

import numpy as np

KINDS = {"assistant", "request", "interruption", "backchannel", "side_talk", "phone", "other", "background", "noise"}
SPLITS = ("train", "val", "heldback")


def read(path: Path) -> np.ndarray:
    with wave.open(str(path), "rb") as w:
        assert w.getframerate() == 16000, f"{path}: rate {w.getframerate()}"
        assert w.getnchannels() == 1, f"{path}: channels {w.getnchannels()}"
        assert w.getsampwidth() == 2, f"{path}: sample width {w.getsampwidth()}"
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float64) / 32768.0


def check(d: Path) -> None:
    meta = json.loads((d / "episode.json").read_text())
    for key in ("id", "split", "seed", "template", "duration_ms", "user_voice", "room", "user_level_dbfs", "events"):
        assert key in meta, f"missing {key}"
    assert meta["id"] == d.name and meta["split"] == d.parent.name, "id/split do not match the directory"
    for key in ("rt60_s", "echo_db", "echo_delay_ms", "noise", "snr_db"):
        assert key in meta["room"], f"room lacks {key}"
    for key in ("engine", "name", "pitch", "speed"):
        assert key in meta["user_voice"], f"user_voice lacks {key}"
    mic, far = read(d / "mic.wav"), read(d / "far.wav")
    assert len(mic) == len(far), f"mic {len(mic)} vs far {len(far)} samples"
    assert meta["duration_ms"] == len(mic) * 1000 // 16000, "duration_ms does not match the audio"
    dur = meta["duration_ms"]
    turns = defaultdict(list)
    assistant = []
    for e in meta["events"]:
        k = e["kind"]
        assert k in KINDS, f"unknown kind {k}"
        assert 0 <= e["start_ms"] < e["end_ms"] <= dur, f"{k} {e['start_ms']}-{e['end_ms']} outside 0-{dur}"
        assert "text" in e and "speaker" in e
        if k == "assistant":
            assistant.append((e["start_ms"], e["end_ms"]))
            continue
        assert e["addressed"] == (k in ("request", "interruption")), f"{k}: addressed {e['addressed']}"
        if k in ("request", "interruption"):
            turns[e["turn"]].append(e)
        if k == "background":
            assert "level_db" in e, "background without level_db"
    user = sorted((e for e in meta["events"] if e["speaker"] == "user"), key=lambda e: e["start_ms"])
    for a, b in zip(user, user[1:]):
        assert b["start_ms"] >= a["end_ms"], f"user events overlap: {a['kind']} {a['start_ms']}-{a['end_ms']}, {b['kind']} at {b['start_ms']}"
    for e in user:
        if e["kind"] == "request":
            assert not any(a < e["start_ms"] < b for a, b in assistant), f"request at {e['start_ms']} starts over the assistant"
    for t, segs in turns.items():
        finals = [s["final"] for s in sorted(segs, key=lambda s: s["start_ms"])]
        assert finals[-1] and not any(finals[:-1]), f"turn {t}: final flags {finals}"
        assert len({s["kind"] for s in segs}) == 1, f"turn {t} mixes kinds"
    for e in meta["events"]:
        if e["kind"] == "interruption" and e["final"] is not None and e is min(turns[e["turn"]], key=lambda s: s["start_ms"]):
            assert any(a <= e["start_ms"] < b for a, b in assistant), f"interruption at {e['start_ms']} outside the assistant"
        if e["kind"] == "backchannel":
            s, t = e["start_ms"], e["end_ms"]
            over = any(s < b + 300 and t > a - 300 for a, b in assistant)
            assert over, f"backchannel at {s} nowhere near the assistant"
    # far.wav is quiet outside assistant events: no 20 ms frame within 30 dB of its loudest
    # (the events' extents come from a 35 dB threshold on 10 ms frames)
    n = len(far) // 320
    p = 10 * np.log10(np.maximum(np.mean(far[: n * 320].reshape(n, 320) ** 2, axis=1), 1e-20))
    inside = np.zeros(n, bool)
    for a, b in assistant:
        inside[max(0, a // 20 - 2) : b // 20 + 3] = True
    loud = np.nonzero((p > max(float(p.max()) - 30.0, -70.0)) & ~inside)[0]
    assert len(loud) == 0, f"far.wav has sound outside assistant events at {loud[:5] * 20} ms"
    assert np.abs(mic).max() < 1.0, "mic.wav clips"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dir")
    ap.add_argument("--limit", type=int, default=0, help="check at most N episodes per split")
    args = ap.parse_args()
    total, bad = 0, 0
    for split in SPLITS:
        dirs = sorted(p for p in (Path(args.dir) / split).glob(f"{split}-*") if p.is_dir())
        if args.limit:
            dirs = dirs[: args.limit]
        for d in dirs:
            total += 1
            try:
                check(d)
            except (AssertionError, KeyError) as err:
                bad += 1
                if bad <= 20:
                    print(f"{d}: {type(err).__name__}: {err}")
    print(f"{total - bad} of {total} episodes follow the contract")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
