#!/usr/bin/env python3
"""CTranslate2 reference for the ASR corpus test, and the faster-whisper side of the ASR benchmark.

Reference mode (default): decodes every file of tests/fixtures/asr/corpus.json greedily with
CTranslate2 on the original model.bin (float32 compute, beam 1, no timestamps, the same 30 s
windows and zero-feature padding as Tandem) and writes tests/fixtures/asr/ct2_reference.json,
with CTranslate2's own int8 transcript beside each (`int8_text`).
The Rust test compares `tandem`'s transcripts and word error rate with it.

Bench mode (--bench): times faster-whisper (CTranslate2) greedy on the same files with the same
weights, one thread, int8 and float32, and prints the real-time factor as JSON.

Needs a throwaway venv (not a Tandem dependency):
  python3 -m venv /tmp/asr-venv
  /tmp/asr-venv/bin/pip install ctranslate2==4.8.5 faster-whisper==1.2.1 numpy==2.4.6
  /tmp/asr-venv/bin/python scripts/asr_reference.py [--bench]
Files come from scripts/dev-speech.sh; the model from `tandem models fetch`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "models"))

import numpy as np  # noqa: E402

import whisper_reference as wr  # noqa: E402

WINDOW = wr.N_SAMPLES_30S


def cache_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "tandem"


def ct2_dir(model_dir: Path, tmp: Path) -> Path:
    """The model directory as CTranslate2 loads it: the fetched files plus vocabulary.json (the
    token pieces in id order, from tokenizer.json), which the registry package does not ship."""
    pieces = wr.TokenDecoder(model_dir / "tokenizer.json").id_to_piece
    for name in ("model.bin", "config.json", "tokenizer.json"):
        (tmp / name).symlink_to(model_dir / name)
    (tmp / "vocabulary.json").write_text(json.dumps([pieces[i] for i in range(len(pieces))]))
    return tmp


def corpus(dev: Path) -> list[tuple[str, Path]]:
    spec = json.loads((ROOT / "tests/fixtures/asr/corpus.json").read_text())
    return [(f["file"], dev / f["file"]) for f in spec["files"]]


def reference(model_dir: Path, dev: Path, out: Path) -> None:
    import ctranslate2

    model = wr.ct2_model(model_dir, threads=1)
    # CTranslate2's own int8 weights: how far quantization alone moves the words.
    model8 = ctranslate2.models.Whisper(str(model_dir), device="cpu", compute_type="int8", intra_threads=1)
    tok = wr.TokenDecoder(model_dir / "tokenizer.json")
    files = {}
    for name, path in corpus(dev):
        audio = wr.load_wav_16k(path)
        tokens: list[int] = []
        tokens8: list[int] = []
        for start in range(0, max(len(audio), 1), WINDOW):
            mel = wr.log_mel(audio[start : start + WINDOW], padding="features")
            tokens += wr.greedy_decode_ct2(model, mel)
            tokens8 += wr.greedy_decode_ct2(model8, mel)
        text = tok.decode(tokens).strip()
        files[name] = {"text": text, "tokens": tokens, "int8_text": tok.decode(tokens8).strip()}
        print(f"{name}: {text}", file=sys.stderr)
    out.write_text(
        json.dumps(
            {
                "about": "CTranslate2 greedy transcripts of tests/fixtures/asr/corpus.json; written by scripts/asr_reference.py",
                "ctranslate2": ctranslate2.__version__,
                "compute_type": "float32 (text, tokens); int8 (int8_text)",
                "files": files,
            },
            indent=1,
        )
        + "\n"
    )


def bench(model_dir: Path, dev: Path, reps: int) -> dict:
    import faster_whisper

    files = [(n, wr.load_wav_16k(p)) for n, p in corpus(dev)]
    audio_s = sum(len(a) for _, a in files) / wr.SAMPLE_RATE
    report = {"faster_whisper": faster_whisper.__version__, "audio_s": round(audio_s, 2), "threads": 1}
    for compute in ("int8", "float32"):
        model = faster_whisper.WhisperModel(str(model_dir), device="cpu", compute_type=compute, cpu_threads=1)
        opts = dict(
            language="en",
            beam_size=1,
            temperature=0.0,
            without_timestamps=True,
            condition_on_previous_text=False,
            vad_filter=False,
        )
        list(model.transcribe(files[0][1], **opts)[0])  # warm-up
        runs = []
        for _ in range(reps):
            t0 = time.perf_counter()
            for _, audio in files:
                list(model.transcribe(audio, **opts)[0])
            runs.append(time.perf_counter() - t0)
        # Partial latency: re-decoding a 3 s utterance (what a streaming partial costs).
        short = files[-1][1][: 3 * wr.SAMPLE_RATE]
        part = []
        for _ in range(5 * reps):
            t0 = time.perf_counter()
            list(model.transcribe(short, **opts)[0])
            part.append(time.perf_counter() - t0)
        report[compute] = {
            "corpus_s_median": round(float(np.median(runs)), 3),
            "corpus_s_min": round(min(runs), 3),
            "rtf_median": round(float(np.median(runs)) / audio_s, 4),
            "partial_3s_ms_median": round(float(np.median(part)) * 1e3, 1),
            "partial_3s_ms_min": round(min(part) * 1e3, 1),
        }
    return report


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model-dir", type=Path, default=cache_dir() / "models/whisper-tiny.en-ct2")
    ap.add_argument("--dev-speech", type=Path, default=Path(os.environ.get("TANDEM_DEV_SPEECH", cache_dir() / "dev-speech")))
    ap.add_argument("--out", type=Path, default=ROOT / "tests/fixtures/asr/ct2_reference.json")
    ap.add_argument("--bench", action="store_true", help="time faster-whisper instead of writing the reference")
    ap.add_argument("--reps", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as td:
        model_dir = ct2_dir(args.model_dir, Path(td))
        if args.bench:
            print(json.dumps(bench(model_dir, args.dev_speech, args.reps), indent=1))
        else:
            reference(model_dir, args.dev_speech, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
