#!/usr/bin/env python3
"""How well the voice encoder tells voices apart on a generated scenario suite (dev-time tool).

For every scenario with user speech, each later segment (per meta.json) is embedded whole and
compared with the scenario's first user segment: the user's own segments (pauses, cut-ins,
backchannels) against another voice's (replies to the user, `other_speaker`). Prints one line
per segment and the percentiles of both groups; `Params::other_voice_below` was chosen from
this on the development suite (never on the held-back one).

Runs with the converter's environment (numpy, onnxruntime), e.g.
  ~/.cache/tandem/models/.venv-convert/bin/python scripts/voice_similarity.py /tmp/dev-suite \
      --model ~/.cache/tandem/models/voice/voice-encoder.onnx
The embedding follows models::voice: -30 dBFS, 1.6 s windows every 0.77 s, mean, normalised.
"""

import argparse
import glob
import json
import wave

import numpy as np
import onnxruntime as ort

WINDOW, STEP = 25_600, 12_320


def embed(sess, x):
    x = x * (10 ** (-30 / 20) / (np.sqrt(np.mean(x**2)) + 1e-9))
    if len(x) < WINDOW:
        x = np.pad(x, (0, WINDOW - len(x)))
    starts = list(range(0, max(1, len(x) - WINDOW + 1), STEP))
    if len(x) - (starts[-1] + WINDOW) > WINDOW // 4:
        starts.append(len(x) - WINDOW)
    batch = np.stack([x[s : s + WINDOW] for s in starts]).astype(np.float32)
    e = sess.run(None, {"audio": batch})[0].mean(0)
    return e / np.linalg.norm(e)


def read(path):
    with wave.open(path) as w:
        a = np.frombuffer(w.readframes(w.getnframes()), "<i2").astype(np.float32) / 32768
        return a.reshape(-1, w.getnchannels())[:, 0]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("suite")
    ap.add_argument("--model", required=True)
    ap.add_argument("--min-ms", type=int, default=100)
    args = ap.parse_args()
    sess = ort.InferenceSession(args.model, providers=["CPUExecutionProvider"])
    groups = {"user": [], "other": []}
    for d in sorted(glob.glob(args.suite + "/*/")):
        meta = json.load(open(d + "meta.json"))
        audio = read(d + "input.wav")
        segs = [(s["role"], audio[s["start_ms"] * 16 : s["end_ms"] * 16], s) for s in meta["segments"]]
        users = [s for s in segs if s[0].startswith("user")]
        if not users:
            continue
        ref = embed(sess, users[0][1])
        for role, x, s in segs[1:]:
            if s["end_ms"] - s["start_ms"] < args.min_ms:
                continue
            sim = float(ref @ embed(sess, x))
            groups["user" if role.startswith("user") else "other"].append(sim)
            print(f"{meta['id']:26s} {role:18s} {s['end_ms'] - s['start_ms']:5d} ms {sim:.3f} {s['text'][:40]}")
    for name, v in groups.items():
        if v:
            print(name, len(v), "min/p5/p50/p95/max", np.percentile(v, [0, 5, 50, 95, 100]).round(3))


if __name__ == "__main__":
    main()
