"""Signal helpers for the floor-model data generator: WAV I/O, resampling, trimming, levels,
synthetic rooms (impulse responses, noise), band limits and non-speech sounds.

Everything works on float64 mono arrays at SR (16 kHz) unless a rate is given. All randomness
comes from the numpy Generator passed in, so equal seeds give equal audio.
"""

from __future__ import annotations

import math
import wave
from fractions import Fraction
from pathlib import Path

import numpy as np
from scipy import signal

SR = 16000
FRAME_10MS = SR // 100


# ---------------------------------------------------------------------------------------- I/O


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    """A 16-bit PCM WAV as float64 in [-1, 1] (channels averaged) and its sample rate."""
    with wave.open(str(path), "rb") as w:
        if w.getsampwidth() != 2:
            raise ValueError(f"{path}: only 16-bit PCM is supported (got {8 * w.getsampwidth()} bit)")
        rate, ch, n = w.getframerate(), w.getnchannels(), w.getnframes()
        data = np.frombuffer(w.readframes(n), dtype="<i2").astype(np.float64) / 32768.0
    if ch > 1:
        data = data.reshape(-1, ch).mean(axis=1)
    return data, rate


def parse_wav_bytes(blob: bytes, what: str) -> tuple[np.ndarray, int]:
    """A RIFF WAV held in memory (espeak-ng --stdout); tolerates the unknown-length header."""
    if blob[:4] != b"RIFF" or blob[8:12] != b"WAVE":
        raise ValueError(f"{what}: not a WAV stream")
    pos, rate, data = 12, None, None
    while pos + 8 <= len(blob):
        cid, size = blob[pos : pos + 4], int.from_bytes(blob[pos + 4 : pos + 8], "little")
        body = pos + 8
        if cid == b"fmt ":
            fmt, ch, rate = (
                int.from_bytes(blob[body : body + 2], "little"),
                int.from_bytes(blob[body + 2 : body + 4], "little"),
                int.from_bytes(blob[body + 4 : body + 8], "little"),
            )
            bits = int.from_bytes(blob[body + 14 : body + 16], "little")
            if fmt != 1 or ch != 1 or bits != 16:
                raise ValueError(f"{what}: expected 16-bit mono PCM")
        elif cid == b"data":
            end = len(blob) if size in (0, 0xFFFFFFFF) or body + size > len(blob) else body + size
            raw = blob[body:end]
            data = np.frombuffer(raw[: len(raw) // 2 * 2], dtype="<i2").astype(np.float64) / 32768.0
            break
        pos = body + size + (size & 1)
    if rate is None or data is None:
        raise ValueError(f"{what}: no fmt/data chunk")
    return data, rate


def write_wav16(path: Path, x: np.ndarray, rate: int = SR) -> None:
    """16-bit mono PCM; values are clipped to full scale and rounded (deterministic)."""
    pcm = np.round(np.clip(x, -1.0, 32767 / 32768) * 32768.0).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())


def resample(x: np.ndarray, rate_from: int, rate_to: int = SR) -> np.ndarray:
    if rate_from == rate_to:
        return x.astype(np.float64, copy=False)
    frac = Fraction(rate_to, rate_from)
    return signal.resample_poly(x, frac.numerator, frac.denominator)


# ------------------------------------------------------------------------------------- levels


def db(v: float) -> float:
    return 20.0 * math.log10(max(v, 1e-12))


def undb(d: float) -> float:
    return 10.0 ** (d / 20.0)


def frame_db(x: np.ndarray, frame: int = FRAME_10MS) -> np.ndarray:
    n = len(x) // frame
    if n == 0:
        return np.full(1, db(float(np.sqrt(np.mean(x**2)))) if len(x) else -240.0)
    p = np.mean(x[: n * frame].reshape(n, frame) ** 2, axis=1)
    return 10.0 * np.log10(np.maximum(p, 1e-24))


def voiced_extent(
    x: np.ndarray, rel_db: float = 35.0, floor_db: float = -55.0, frame: int = FRAME_10MS
) -> tuple[int, int] | None:
    """[first, last) samples of the frames louder than both (loudest frame - rel_db) and
    floor_db: the energy-threshold voiced extent. None when nothing passes."""
    e = frame_db(x, frame)
    thr = max(float(e.max()) - rel_db, floor_db)
    idx = np.nonzero(e > thr)[0]
    if len(idx) == 0:
        return None
    return int(idx[0]) * frame, min(len(x), (int(idx[-1]) + 1) * frame)


def active_rms(x: np.ndarray, rel_db: float = 30.0) -> float:
    """RMS over the 10 ms frames within rel_db of the loudest one (speech-active level)."""
    if len(x) == 0:
        return 0.0
    e = frame_db(x)
    sel = e[e > float(e.max()) - rel_db]
    return float(np.sqrt(np.mean(10.0 ** (sel / 10.0))))


def set_level(x: np.ndarray, level_dbfs: float) -> np.ndarray:
    r = active_rms(x)
    return x * (undb(level_dbfs) / r) if r > 0 else x


def fade(x: np.ndarray, n_in: int = 0, n_out: int = 0) -> np.ndarray:
    y = x.copy()
    if n_in > 0:
        n_in = min(n_in, len(y))
        y[:n_in] *= 0.5 - 0.5 * np.cos(np.pi * np.arange(n_in) / n_in)
    if n_out > 0:
        n_out = min(n_out, len(y))
        y[len(y) - n_out :] *= 0.5 + 0.5 * np.cos(np.pi * np.arange(1, n_out + 1) / n_out)
    return y


def trim_clip(x: np.ndarray, margin: int = 320) -> tuple[np.ndarray, int, int]:
    """Cuts leading/trailing silence, keeping `margin` samples (faded) each side. Returns the
    clip and its voiced extent [v0, v1) inside it."""
    ext = voiced_extent(x)
    if ext is None:
        raise ValueError("clip has no voiced frames")
    a, b = ext
    lo, hi = max(0, a - margin), min(len(x), b + margin)
    clip = fade(x[lo:hi], a - lo, hi - b)
    return clip, a - lo, b - lo


# -------------------------------------------------------------------------------------- rooms


def make_rir(rng: np.random.Generator, rt60_s: float, drr_db: float, max_len_s: float = 1.0) -> np.ndarray:
    """Synthetic room impulse response: a direct path at t=0, a few early reflections and an
    exponentially decaying, low-passed noise tail (-60 dB at rt60_s), scaled so that the direct
    to reverberant energy ratio is drr_db; unit total energy."""
    n = int(SR * min(max_len_s, max(0.12, 1.1 * rt60_s)))
    t = np.arange(n) / SR
    tail = rng.standard_normal(n) * np.exp(-6.908 * t / rt60_s)
    t0 = int(SR * rng.uniform(0.002, 0.010))
    tail *= np.clip((np.arange(n) - t0) / (0.005 * SR), 0.0, 1.0)
    a = rng.uniform(0.1, 0.6)
    tail = signal.lfilter([1.0 - a], [1.0, -a], tail)
    for _ in range(int(rng.integers(3, 9))):
        k = int(SR * rng.uniform(0.002, 0.025))
        tail[k] += (1 if rng.random() < 0.5 else -1) * rng.uniform(0.1, 0.5)
    tail *= math.sqrt(10.0 ** (-drr_db / 10.0) / float(np.sum(tail**2)))
    tail[0] += 1.0
    return tail / math.sqrt(float(np.sum(tail**2)))


def convolve(x: np.ndarray, h: np.ndarray) -> np.ndarray:
    if len(x) == 0:
        return x
    return signal.oaconvolve(x, h)[: len(x) + len(h) - 1]


_BANDS: dict[tuple[float, float], np.ndarray] = {}


def bandlimit(x: np.ndarray, lo_hz: float = 300.0, hi_hz: float = 3400.0) -> np.ndarray:
    key = (lo_hz, hi_hz)
    if key not in _BANDS:
        _BANDS[key] = signal.butter(4, [lo_hz, hi_hz], btype="bandpass", fs=SR, output="sos")
    return signal.sosfilt(_BANDS[key], x)


def highpass(x: np.ndarray, hz: float, order: int = 2) -> np.ndarray:
    return signal.sosfilt(signal.butter(order, hz, btype="highpass", fs=SR, output="sos"), x)


def lowpass(x: np.ndarray, hz: float, order: int = 2) -> np.ndarray:
    return signal.sosfilt(signal.butter(order, hz, btype="lowpass", fs=SR, output="sos"), x)


def colored_noise(rng: np.random.Generator, n: int, kind: str) -> np.ndarray:
    """Unit-RMS white, pink (1/f power) or brown (1/f^2 power) noise."""
    w = rng.standard_normal(n)
    if kind != "white":
        spec = np.fft.rfft(w)
        f = np.fft.rfftfreq(n, 1.0 / SR)
        f[0] = f[1]
        alpha = {"pink": 0.5, "brown": 1.0}[kind]
        shape = f ** (-alpha) * np.clip(f / 20.0, 0.0, 1.0)
        w = np.fft.irfft(spec * shape, n)
    return w / max(float(np.std(w)), 1e-12)


def hum(rng: np.random.Generator, n: int) -> np.ndarray:
    base = 50.0 if rng.random() < 0.5 else 60.0
    t = np.arange(n) / SR
    y = sum(
        (0.6**k) * np.sin(2 * np.pi * base * (k + 1) * t + rng.uniform(0, 2 * np.pi)) for k in range(5)
    )
    return y / float(np.std(y))


# ----------------------------------------------------------------------------- non-speech


NOISE_KINDS = ("click", "knock", "cough", "clatter", "keyboard", "thump", "clap")


def _decay(n: int, tau_s: float) -> np.ndarray:
    return np.exp(-np.arange(n) / (tau_s * SR))


def _impact(rng: np.random.Generator, f_lo: float, f_hi: float, tau: tuple[float, float]) -> np.ndarray:
    n = int(SR * 0.25)
    t = np.arange(n) / SR
    env = _decay(n, rng.uniform(*tau))
    tone = np.sin(2 * np.pi * rng.uniform(f_lo, f_hi) * t) * env
    tr = lowpass(rng.standard_normal(n) * _decay(n, 0.003), 3000.0)
    return tone + rng.uniform(0.3, 1.0) * tr / max(float(np.abs(tr).max()), 1e-9)


def _click(rng: np.random.Generator) -> np.ndarray:
    n = int(SR * rng.uniform(0.004, 0.02))
    return highpass(rng.standard_normal(n) * _decay(n, rng.uniform(0.001, 0.005)), rng.uniform(800, 3000))


def _place_all(parts: list[tuple[int, np.ndarray]]) -> np.ndarray:
    n = max(p + len(x) for p, x in parts)
    y = np.zeros(n)
    for p, x in parts:
        y[p : p + len(x)] += x
    return y


def _cough(rng: np.random.Generator) -> np.ndarray:
    dur = rng.uniform(0.1, 0.5)
    n = int(SR * dur)
    src = rng.standard_normal(n)
    out = 0.4 * highpass(src, 200.0)
    for lo, hi in ((300, 700), (1000, 2200), (2400, 3400)):
        fc = rng.uniform(lo, hi)
        bw = fc * rng.uniform(0.15, 0.35)
        sos = signal.butter(2, [fc - bw / 2, fc + bw / 2], btype="bandpass", fs=SR, output="sos")
        out += rng.uniform(0.5, 1.5) * signal.sosfilt(sos, src)
    t = np.arange(n) / SR
    f0 = rng.uniform(90, 260)
    buzz = signal.sawtooth(2 * np.pi * f0 * t) * (t > dur * 0.3)
    out += rng.uniform(0.0, 0.4) * lowpass(buzz, 2500.0)
    attack = np.clip(t / rng.uniform(0.005, 0.02), 0, 1)
    env = attack * np.exp(-t / (dur * rng.uniform(0.25, 0.45)))
    if dur > 0.3 and rng.random() < 0.5:  # cough-cough
        k = int(n * rng.uniform(0.45, 0.6))
        env[k:] += 0.7 * np.clip((t[: n - k]) / 0.01, 0, 1) * np.exp(-t[: n - k] / (dur * 0.2))
    return out * env


def noise_burst(rng: np.random.Generator, kind: str) -> np.ndarray:
    """A non-speech sound, normalized to unit active RMS."""
    if kind == "click":  # a pen, a switch, a mouse: 2-5 clicks
        parts, t = [], 0.0
        for _ in range(int(rng.integers(2, 6))):
            parts.append((int(t * SR), _click(rng) * rng.uniform(0.5, 1.0)))
            t += rng.uniform(0.03, 0.15)
        y = _place_all(parts)
    elif kind == "knock":
        k = int(rng.integers(1, 4))
        gap = rng.uniform(0.1, 0.25)
        y = _place_all([(int(i * gap * SR), _impact(rng, 80, 300, (0.01, 0.04))) for i in range(k)])
    elif kind == "cough":
        y = _cough(rng)
    elif kind == "clatter":
        parts, t = [], 0.0
        for _ in range(int(rng.integers(3, 11))):
            x = _impact(rng, 1500, 5000, (0.01, 0.08)) if rng.random() < 0.6 else _click(rng)
            parts.append((int(t * SR), x * rng.uniform(0.3, 1.0)))
            t += rng.uniform(0.02, 0.12)
        y = _place_all(parts)
    elif kind == "keyboard":
        parts, t = [], 0.0
        for _ in range(int(rng.integers(5, 21))):
            parts.append((int(t * SR), _click(rng) * rng.uniform(0.5, 1.0)))
            t += rng.uniform(0.06, 0.2)
        y = _place_all(parts)
    elif kind == "thump":
        n = int(SR * rng.uniform(0.15, 0.35))
        t = np.arange(n) / SR
        y = np.sin(2 * np.pi * rng.uniform(40, 90) * t) * _decay(n, rng.uniform(0.04, 0.1))
        y += 0.5 * lowpass(rng.standard_normal(n), 500.0) * _decay(n, 0.02)
    elif kind == "clap":
        parts, t = [], 0.0
        for _ in range(int(rng.integers(2, 6))):
            n = int(SR * rng.uniform(0.01, 0.03))
            x = signal.sosfilt(
                signal.butter(2, [900, 3200], btype="bandpass", fs=SR, output="sos"),
                rng.standard_normal(n) * _decay(n, 0.006),
            )
            parts.append((int(t * SR), x))
            t += rng.uniform(0.15, 0.4)
        y = _place_all(parts)
    else:
        raise ValueError(f"unknown noise kind {kind!r}")
    y = y - float(np.mean(y))
    r = active_rms(y)
    return y / r if r > 0 else y


def ringtone(rng: np.random.Generator) -> np.ndarray:
    """A phone ringing: 1-3 rings of two alternating tones."""
    f1, f2 = rng.uniform(600, 1200), rng.uniform(900, 1600)
    parts, t = [], 0.0
    for _ in range(int(rng.integers(1, 4))):
        n = int(SR * rng.uniform(0.4, 0.9))
        tt = np.arange(n) / SR
        x = np.where((tt * 20).astype(int) % 2 == 0, np.sin(2 * np.pi * f1 * tt), np.sin(2 * np.pi * f2 * tt))
        parts.append((int(t * SR), fade(x, 80, 80)))
        t += n / SR + rng.uniform(0.3, 0.6)
    y = _place_all(parts)
    return y / active_rms(y)


def music_bed(rng: np.random.Generator, n: int) -> np.ndarray:
    """Simple synthetic music: triads of harmonic tones over a bass line, one chord a bar,
    sometimes with hi-hat ticks. Unit active RMS."""
    bpm = rng.uniform(70, 130)
    beat = 60.0 / bpm
    bar_n = int(4 * beat * SR)
    root = int(rng.integers(45, 58))
    minor = rng.random() < 0.4
    scale = [0, 2, 3, 5, 7, 8, 10] if minor else [0, 2, 4, 5, 7, 9, 11]
    progs = [[0, 4, 5, 3], [0, 5, 3, 4], [0, 3, 4, 4], [5, 3, 0, 4], [0, 0, 3, 4]]
    prog = progs[int(rng.integers(len(progs)))]
    nh = int(rng.integers(3, 7))
    tilt = rng.uniform(1.0, 2.0)
    out = np.zeros(n + bar_n)
    tt = np.arange(bar_n) / SR

    def tone(midi: float, env: np.ndarray) -> np.ndarray:
        f = 440.0 * 2 ** ((midi - 69) / 12)
        y = sum(np.sin(2 * np.pi * f * k * tt) / k**tilt for k in range(1, nh + 1) if f * k < 7000)
        return y * env

    chord_env = np.clip(tt / 0.01, 0, 1) * np.exp(-tt / rng.uniform(0.6, 2.5))
    beat_n = int(beat * SR)
    bass_env = np.zeros(bar_n)
    for b in range(4):
        seg = np.arange(min(beat_n, bar_n - b * beat_n)) / SR
        bass_env[b * beat_n : b * beat_n + len(seg)] = np.clip(seg / 0.005, 0, 1) * np.exp(-seg / 0.25)
    ticks = rng.random() < 0.5
    pos, i = 0, 0
    while pos < n:
        deg = prog[i % len(prog)]
        notes = [root + 12 + scale[(deg + s) % 7] + 12 * ((deg + s) // 7) for s in (0, 2, 4)]
        bar = sum(tone(m, chord_env) for m in notes) / 3 + 0.8 * tone(root + scale[deg % 7] - 12, bass_env)
        if ticks:
            for h in range(8):
                k = int(h * beat_n / 2)
                m = min(int(0.02 * SR), bar_n - k)
                if m > 0:
                    bar[k : k + m] += 0.15 * highpass(rng.standard_normal(m), 6000.0) * _decay(m, 0.004)
        out[pos : pos + bar_n] += bar
        pos += bar_n
        i += 1
    y = out[:n]
    return y / active_rms(y)
