#!/usr/bin/env python3
"""Times the Python hibari-tts package on the sentences of the Rust benchmark
(tests/fixtures/tts/bench.json), on one thread, so both can be compared in one run:

    /tmp/hib/bin/python scripts/bench_tts_python.py        # Python, prints JSON
    cargo bench -p tandem-core --bench tts                 # Rust, same sentences

Time to first audio = text in, the short sentence's waveform out (what Hibari.stream yields
first); the paragraph's real-time factor = synthesis time / audio duration. Medians over
repeats after a warm-up (and the fastest run of each). Setup: python3 -m venv /tmp/hib && /tmp/hib/bin/pip install hibari-tts==0.2.1
"""
import argparse
import json
import os
import statistics
import sys
import time

# One thread everywhere, before numpy/onnxruntime load.
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = "1"

from hibari import Hibari  # noqa: E402
from hibari import dsp  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


FASTEST = {}


def median_ms(fn, repeats, name=None):
    """Median time of `fn` in ms; the fastest run is kept in FASTEST[name]."""
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    if name:
        FASTEST[name] = round(min(times), 2)
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=30)
    args = ap.parse_args()
    with open(os.path.join(ROOT, "tests", "fixtures", "tts", "bench.json"), encoding="utf-8") as f:
        sentences = json.load(f)
    short, paragraph = sentences["short"], sentences["paragraph"]
    t0 = time.perf_counter()
    tts = Hibari(threads=1)
    tts.phonemize("Warm up.")
    load_ms = (time.perf_counter() - t0) * 1e3
    tts("Warm up.", seed=0)

    first_audio = median_ms(lambda: next(tts.stream(short, seed=0)), args.repeats, "first_audio_short_ms")
    short_total = median_ms(lambda: tts(short, seed=0), args.repeats, "short_total_ms")
    para_audio_s = len(tts(paragraph, seed=0)) / dsp.SR
    para_ms = median_ms(lambda: tts(paragraph, seed=0), max(5, args.repeats // 3), "paragraph_ms")
    g2p_short = median_ms(lambda: tts.phonemize(short), args.repeats)
    g2p_para = median_ms(lambda: tts.phonemize(paragraph), args.repeats)
    ps = tts.phonemize(short)[0]
    import numpy as np
    ids = np.asarray([tts.ids(ps)], np.int64)
    speed = np.asarray([1.0], np.float32)
    model_short = median_ms(lambda: tts.sess.run(None, {"ids": ids, "speed": speed}), args.repeats, "model_short_ms")
    out = [o[0] for o in tts.sess.run(None, {"ids": ids, "speed": speed})]
    rng = np.random.default_rng(0)
    vocoder_short = median_ms(lambda: dsp.synth(*out, rng), args.repeats, "vocoder_short_ms")
    print(json.dumps({
        "package": "hibari-tts",
        "fft_backend": dsp.FFT_BACKEND,
        "load_ms": round(load_ms, 1),
        "first_audio_short_ms": round(first_audio, 2),
        "short_total_ms": round(short_total, 2),
        "paragraph_audio_s": round(para_audio_s, 3),
        "paragraph_ms": round(para_ms, 1),
        "paragraph_rtf": round(para_ms / 1e3 / para_audio_s, 4),
        "g2p_short_ms": round(g2p_short, 3),
        "g2p_paragraph_ms": round(g2p_para, 3),
        "model_short_ms": round(model_short, 3),
        "vocoder_short_ms": round(vocoder_short, 3),
        "fastest": FASTEST,
    }, indent=1))


if __name__ == "__main__":
    sys.exit(main())
