#!/usr/bin/env python3
"""Validate the ONNX Whisper tiny.en models from convert_whisper.py against CTranslate2.

For each test WAV this computes the Whisper log-mel in numpy, decodes greedily with the ONNX models
(fp32 and int8) and, when the `ctranslate2` package is importable (validation only; it is not a
conversion dependency), with CTranslate2 on the original model.bin, and compares the token ids.
It also checks the encoder's cross K/V against K/V recomputed from CTranslate2's encoder output,
checks that the decoder gives the same logits for a prompt fed at once or token by token, and
times the encoder and one decoder step on one thread.

Usage:
  python3 models/whisper_reference.py --onnx-dir OUT --model-dir CT2_DIR \
      [--wav FILE]... [--say TEXT]...  (both repeatable) [--padding audio|features|both] [--window-s 30] \
      [--bench] [--json REPORT.json]

`log_mel`, `greedy_decode_onnx` and `TokenDecoder` double as the reference for the
Rust implementation (docs/whisper-onnx.md).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
import wave
from pathlib import Path

import numpy as np

SAMPLE_RATE = 16000
N_FFT = 400
HOP = 160
N_MELS = 80
N_FRAMES_30S = 3000
N_SAMPLES_30S = N_FRAMES_30S * HOP

SOT = 50257
NO_TIMESTAMPS = 50362
EOT = 50256
PROMPT = [SOT, NO_TIMESTAMPS]
MAX_POSITIONS = 448
N_LAYERS, N_HEADS, HEAD_DIM = 4, 6, 64


# ---------------------------------------------------------------------------------------------
# Audio and features
# ---------------------------------------------------------------------------------------------


def load_wav_16k(path: Path) -> np.ndarray:
    """Mono float32 in [-1, 1] at 16 kHz (other rates are resampled with sox, without dither so runs repeat)."""
    with wave.open(str(path), "rb") as w:
        rate, channels, width = w.getframerate(), w.getnchannels(), w.getsampwidth()
    if rate != SAMPLE_RATE or channels != 1 or width != 2:
        with tempfile.TemporaryDirectory() as td:
            dst = Path(td) / "16k.wav"
            subprocess.run(
                [
                    "sox",
                    "-D",
                    str(path),
                    "-r",
                    str(SAMPLE_RATE),
                    "-c",
                    "1",
                    "-b",
                    "16",
                    "-e",
                    "signed-integer",
                    str(dst),
                ],
                check=True,
            )
            return load_wav_16k(dst)
    with wave.open(str(path), "rb") as w:
        pcm = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    return pcm.astype(np.float32) / 32768.0


def hz_to_mel_slaney(f: np.ndarray) -> np.ndarray:
    """Slaney mel scale: linear (3 mel per 200 Hz) below 1 kHz, logarithmic above."""
    f = np.asarray(f, dtype=np.float64)
    f_sp = 200.0 / 3.0
    min_log_hz = 1000.0
    min_log_mel = min_log_hz / f_sp
    logstep = np.log(6.4) / 27.0
    return np.where(f >= min_log_hz, min_log_mel + np.log(np.maximum(f, min_log_hz) / min_log_hz) / logstep, f / f_sp)


def mel_to_hz_slaney(m: np.ndarray) -> np.ndarray:
    m = np.asarray(m, dtype=np.float64)
    f_sp = 200.0 / 3.0
    min_log_hz = 1000.0
    min_log_mel = min_log_hz / f_sp
    logstep = np.log(6.4) / 27.0
    return np.where(m >= min_log_mel, min_log_hz * np.exp(logstep * (m - min_log_mel)), f_sp * m)


def mel_filters(n_mels: int = N_MELS, n_fft: int = N_FFT, sr: int = SAMPLE_RATE) -> np.ndarray:
    """[n_mels, n_fft/2+1] triangular filters on the Slaney mel scale, 0..sr/2, Slaney area-normalized."""
    fft_hz = np.linspace(0.0, sr / 2.0, n_fft // 2 + 1)
    edges_hz = mel_to_hz_slaney(np.linspace(hz_to_mel_slaney(0.0), hz_to_mel_slaney(sr / 2.0), n_mels + 2))
    widths = np.diff(edges_hz)
    out = np.zeros((n_mels, fft_hz.size))
    for i in range(n_mels):
        rising = (fft_hz - edges_hz[i]) / widths[i]
        falling = (edges_hz[i + 2] - fft_hz) / widths[i + 1]
        out[i] = np.maximum(0.0, np.minimum(rising, falling))
        out[i] *= 2.0 / (edges_hz[i + 2] - edges_hz[i])
    return out


def log_mel(audio: np.ndarray, padding: str = "features", n_frames: int = N_FRAMES_30S) -> np.ndarray:
    """Whisper log-mel features [80, n_frames] (float32) of 16 kHz audio.

    STFT n_fft 400, hop 160, periodic Hann, reflect pad 200, power spectrum, Slaney mel filters,
    log10(max(m, 1e-10)), drop the last frame, clamp to (max - 8), (x + 4) / 4.

    padding "audio": zero-pad the waveform to n_frames*160 samples first (OpenAI whisper style);
    padding "features": compute the features of the audio as it is (clamp max over those frames),
    then append zero-valued feature frames up to n_frames (faster-whisper style).
    Audio longer than the window is cut to n_frames*160 samples.
    """
    n_samples = n_frames * HOP
    audio = np.asarray(audio, dtype=np.float32)[:n_samples]
    if padding == "audio":
        audio = np.concatenate([audio, np.zeros(n_samples - audio.size, dtype=np.float32)])
    elif padding != "features":
        raise ValueError(f"padding must be 'audio' or 'features', not {padding!r}")
    x = np.pad(audio.astype(np.float64), (N_FFT // 2, N_FFT // 2), mode="reflect")
    n = 1 + (x.size - N_FFT) // HOP
    idx = np.arange(N_FFT)[None, :] + HOP * np.arange(n)[:, None]
    window = 0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(N_FFT) / N_FFT)  # periodic Hann
    spec = np.fft.rfft(x[idx] * window, axis=1)
    power = (spec.real**2 + spec.imag**2)[:-1]  # drop the last frame
    mel = power @ mel_filters().T  # [frames, 80]
    logm = np.log10(np.maximum(mel, 1e-10))
    logm = np.maximum(logm, logm.max() - 8.0)
    feats = ((logm + 4.0) / 4.0).T.astype(np.float32)  # [80, frames]
    if feats.shape[1] < n_frames:
        feats = np.pad(feats, ((0, 0), (0, n_frames - feats.shape[1])))
    return np.ascontiguousarray(feats[:, :n_frames])


# ---------------------------------------------------------------------------------------------
# Greedy decoding
# ---------------------------------------------------------------------------------------------


class Suppression:
    def __init__(self, config: dict, vocab: int):
        self.every = np.zeros(vocab, dtype=bool)
        self.every[config["suppress_ids"]] = True
        self.every[NO_TIMESTAMPS:] = True
        self.first = self.every.copy()
        self.first[config["suppress_ids_begin"]] = True

    def apply(self, logits: np.ndarray, first: bool) -> np.ndarray:
        out = logits.copy()
        out[self.first if first else self.every] = -np.inf
        return out


def make_session(path: Path, threads: int = 1):
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    return ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])


EMBEDDINGS_FILE = "whisper-token-embeddings.int8"
D_MODEL = 384
N_VOCAB = 51864


class Decoder:
    """A decoder session and its first input: token ids (the fp32 graph) or their embeddings
    (the int8 graph, which takes `embeds` from the rows of whisper-token-embeddings.int8 beside
    it: int8 [vocab][384], f32 scales [vocab], int8 zero points [vocab])."""

    def __init__(self, path: Path):
        self.session = make_session(path)
        self.table = None
        if self.session.get_inputs()[0].name == "embeds":
            raw = np.fromfile(path.parent / EMBEDDINGS_FILE, dtype=np.uint8)
            rows = N_VOCAB * D_MODEL
            q = raw[:rows].view(np.int8).reshape(N_VOCAB, D_MODEL).astype(np.float32)
            scale = raw[rows : rows + 4 * N_VOCAB].view("<f4")
            zero = raw[rows + 4 * N_VOCAB :].view(np.int8).astype(np.float32)
            self.table = (q - zero[:, None]) * scale[:, None]

    def tokens(self, ids: list[int]) -> dict:
        if self.table is None:
            return {"tokens": np.array([ids], np.int64)}
        return {"embeds": self.table[np.array(ids)][None]}

    def run(self, names, feeds):
        return self.session.run(names, feeds)


def empty_cache() -> np.ndarray:
    return np.zeros((N_LAYERS, 1, N_HEADS, 0, HEAD_DIM), dtype=np.float32)


def greedy_decode_onnx(enc, dec, mel: np.ndarray, supp: Suppression, max_positions: int = MAX_POSITIONS):
    """Token ids after the prompt, without EOT."""
    cross_k, cross_v = enc.run(["cross_k", "cross_v"], {"mel": mel[None]})
    self_k, self_v = empty_cache(), empty_cache()
    tokens = list(PROMPT)
    new = list(PROMPT)
    out: list[int] = []
    while len(tokens) < max_positions:
        logits, self_k, self_v = dec.run(
            ["logits", "self_k_out", "self_v_out"],
            {
                **dec.tokens(new),
                "self_k": self_k,
                "self_v": self_v,
                "cross_k": cross_k,
                "cross_v": cross_v,
                "offset": np.array(len(tokens) - len(new), dtype=np.int64),
            },
        )
        nxt = int(np.argmax(supp.apply(logits[0, -1], first=not out)))
        if nxt == EOT:
            break
        out.append(nxt)
        tokens.append(nxt)
        new = [nxt]
    return out


def ct2_model(model_dir: Path, threads: int = 1):
    try:
        import ctranslate2
    except ImportError:
        return None
    return ctranslate2.models.Whisper(str(model_dir), device="cpu", compute_type="float32", intra_threads=threads)


def greedy_decode_ct2(model, mel: np.ndarray) -> list[int]:
    import ctranslate2

    feats = ctranslate2.StorageView.from_array(np.ascontiguousarray(mel[None]))
    res = model.generate(
        feats,
        [PROMPT],
        beam_size=1,
        suppress_blank=True,
        suppress_tokens=[-1],
        max_length=MAX_POSITIONS,
    )
    return list(res[0].sequences_ids[0])


# ---------------------------------------------------------------------------------------------
# Tokenizer (byte-level BPE, decode only)
# ---------------------------------------------------------------------------------------------


def _byte_decoder() -> dict[str, int]:
    """Inverse of the byte-level BPE byte->char table: printable Latin-1 bytes map to themselves,
    the other bytes to U+0100 onwards in byte order."""
    keep = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAC + 1)) + list(range(0xAE, 0xFF + 1))
    table = {}
    extra = 0
    for b in range(256):
        if b in keep:
            table[chr(b)] = b
        else:
            table[chr(256 + extra)] = b
            extra += 1
    return table


class TokenDecoder:
    def __init__(self, tokenizer_json: Path):
        tok = json.loads(tokenizer_json.read_text(encoding="utf-8"))
        self.id_to_piece = {i: p for p, i in tok["model"]["vocab"].items()}
        for a in tok.get("added_tokens", []):
            self.id_to_piece[a["id"]] = a["content"]
        self.special = {a["id"] for a in tok.get("added_tokens", []) if a.get("special")}
        self.bytes = _byte_decoder()

    def decode(self, ids: list[int]) -> str:
        raw = bytearray()
        for i in ids:
            if i in self.special:
                continue
            raw.extend(self.bytes[c] for c in self.id_to_piece[i])
        return raw.decode("utf-8", errors="replace")


# ---------------------------------------------------------------------------------------------
# Checks
# ---------------------------------------------------------------------------------------------


def check_cross_kv(model_dir: Path, enc, ct2, mel: np.ndarray) -> float:
    """max |cross_k/v(onnx) - K/V from CTranslate2's encoder output|, with weights from model.bin."""
    import ctranslate2

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from convert_whisper import read_ct2_model

    m = read_ct2_model(model_dir / "model.bin")
    hidden = np.array(ct2.encode(ctranslate2.StorageView.from_array(np.ascontiguousarray(mel[None])), to_cpu=True))
    ck, cv = enc.run(["cross_k", "cross_v"], {"mel": mel[None]})
    worst = 0.0
    for i in range(N_LAYERS):
        w = m.get(f"decoder/layer_{i}/attention/linear_1/weight").astype(np.float32)
        b = m.get(f"decoder/layer_{i}/attention/linear_1/bias").astype(np.float32)
        kv = hidden[0] @ w.T + b  # [F, 768]
        k = kv[:, :384].reshape(-1, N_HEADS, HEAD_DIM).transpose(1, 0, 2)
        v = kv[:, 384:].reshape(-1, N_HEADS, HEAD_DIM).transpose(1, 0, 2)
        worst = max(worst, float(np.abs(ck[i, 0] - k).max()), float(np.abs(cv[i, 0] - v).max()))
    return worst


def check_prompt_split(enc, dec, mel: np.ndarray) -> float:
    """Logits of 3 tokens fed at once vs. one at a time through the cache: max abs difference."""
    ck, cv = enc.run(["cross_k", "cross_v"], {"mel": mel[None]})
    toks = PROMPT + [440]
    base = {"cross_k": ck, "cross_v": cv}
    full, _, _ = dec.run(
        ["logits", "self_k_out", "self_v_out"],
        {
            **base,
            **dec.tokens(toks),
            "self_k": empty_cache(),
            "self_v": empty_cache(),
            "offset": np.array(0, np.int64),
        },
    )
    sk, sv = empty_cache(), empty_cache()
    steps = []
    for i, t in enumerate(toks):
        lg, sk, sv = dec.run(
            ["logits", "self_k_out", "self_v_out"],
            {**base, **dec.tokens([t]), "self_k": sk, "self_v": sv, "offset": np.array(i, np.int64)},
        )
        steps.append(lg[0, 0])
    return float(np.abs(full[0] - np.stack(steps)).max())


def _times_ms(fn, reps: int) -> dict:
    fn()
    t = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        t.append(1000 * (time.perf_counter() - t0))
    return {"median_ms": round(float(np.median(t)), 2), "min_ms": round(float(np.min(t)), 2)}


def bench(enc, dec, frames: int, reps: int, past: int = 24) -> dict:
    """Encoder time for a window of `frames` mel frames, and one decoder step (T=1, `past` cached)."""
    mel = np.random.default_rng(0).standard_normal((1, N_MELS, frames)).astype(np.float32) * 0.3
    ck, cv = enc.run(["cross_k", "cross_v"], {"mel": mel})
    rng = np.random.default_rng(1)
    cache = (N_LAYERS, 1, N_HEADS, past, HEAD_DIM)
    feeds = {
        **dec.tokens([440]),
        "self_k": rng.standard_normal(cache).astype(np.float32),
        "self_v": rng.standard_normal(cache).astype(np.float32),
        "cross_k": ck,
        "cross_v": cv,
        "offset": np.array(past, np.int64),
    }
    return {
        "encoder": _times_ms(lambda: enc.run(None, {"mel": mel}), reps),
        "decoder_step": _times_ms(lambda: dec.run(None, feeds), reps * 20),
        "past": past,
    }


def espeak_wav(text: str, dst: Path) -> Path:
    raw = dst.with_suffix(".raw.wav")
    subprocess.run(["espeak-ng", "-w", str(raw), text], check=True)
    subprocess.run(["sox", "-D", str(raw), "-r", str(SAMPLE_RATE), "-c", "1", "-b", "16", str(dst)], check=True)
    return dst


MODEL_FILES = {
    "fp32": ("whisper-encoder.onnx", "whisper-decoder.onnx"),
    "int8": ("whisper-encoder.int8.onnx", "whisper-decoder.int8.onnx"),
}


def first_difference(a: list[int], b: list[int]) -> int:
    return next((j for j, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))


def compare(mel: np.ndarray, sessions: dict, ct2, supp: Suppression, text: TokenDecoder) -> dict:
    """Greedy tokens of CTranslate2 (if any) and of each ONNX variant for one window."""
    entry: dict = {}
    ref = greedy_decode_ct2(ct2, mel) if ct2 is not None else None
    if ref is not None:
        entry["ct2"] = {"n_tokens": len(ref), "text": text.decode(ref)}
    for kind, (enc, dec) in sessions.items():
        ids = greedy_decode_onnx(enc, dec, mel, supp)
        res: dict = {"n_tokens": len(ids), "text": text.decode(ids)}
        if ref is not None:
            res["tokens_equal_ct2"] = ids == ref
            if ids != ref:
                res["first_difference_at"] = first_difference(ids, ref)
        entry[kind] = res
    return entry


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--onnx-dir", required=True, type=Path, help="output directory of convert_whisper.py")
    ap.add_argument("--model-dir", required=True, type=Path, help="CTranslate2 model dir (model.bin, config.json)")
    ap.add_argument("--wav", action="append", default=[], type=Path)
    ap.add_argument("--say", action="append", default=[], help="synthesize TEXT with espeak-ng and test it")
    ap.add_argument("--padding", choices=["audio", "features", "both"], default="both")
    ap.add_argument("--window-s", type=float, default=30.0, help="encoder window (s); audio is cut to it")
    ap.add_argument("--bench", action="store_true", help="time encoder and decoder step on one thread")
    ap.add_argument("--json", type=Path, help="write the report as JSON")
    args = ap.parse_args(argv)

    config = json.loads((args.model_dir / "config.json").read_text())
    supp = Suppression(config, 51864)
    text = TokenDecoder(args.onnx_dir / "whisper-tokenizer.json")
    sessions = {
        k: (make_session(args.onnx_dir / e), Decoder(args.onnx_dir / d)) for k, (e, d) in MODEL_FILES.items()
    }
    ct2 = ct2_model(args.model_dir)
    if ct2 is None:
        print("ctranslate2 is not installed: comparing ONNX fp32 vs int8 only", file=sys.stderr)
    n_frames = int(round(args.window_s * 100))
    n_frames -= n_frames % 2
    paddings = ["audio", "features"] if args.padding == "both" else [args.padding]

    report: dict = {"window_frames": n_frames, "files": []}
    fp32_ok = True
    with tempfile.TemporaryDirectory() as td:
        wavs = list(args.wav) + [espeak_wav(t, Path(td) / f"say{i}.wav") for i, t in enumerate(args.say)]
        for wav in wavs:
            audio = load_wav_16k(wav)
            for pad in paddings:
                mel = log_mel(audio, pad, n_frames)
                entry = {"file": wav.name, "seconds": round(audio.size / SAMPLE_RATE, 2), "padding": pad}
                entry.update(compare(mel, sessions, ct2, supp, text))
                fp32_ok &= entry["fp32"].get("tokens_equal_ct2", True)
                if ct2 is not None and pad == paddings[0]:
                    entry["cross_kv_max_abs_diff_fp32"] = check_cross_kv(args.model_dir, sessions["fp32"][0], ct2, mel)
                entry["prompt_split_max_abs_diff_fp32"] = check_prompt_split(*sessions["fp32"], mel)
                report["files"].append(entry)
                print(json.dumps(entry, ensure_ascii=False), flush=True)

    if args.bench:
        report["bench"] = {}
        for kind, (enc, dec) in sessions.items():
            for secs in (30, 10, 5):
                r = bench(enc, dec, secs * 100, reps=8 if secs == 30 else 16)
                report["bench"][f"{kind}_{secs}s"] = r
                print(kind, f"{secs}s", json.dumps(r), flush=True)

    if args.json:
        args.json.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    return 0 if fp32_ok else 1


if __name__ == "__main__":
    sys.exit(main())
