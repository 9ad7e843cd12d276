"""Voices, phrasings and recordings for the floor-model data generator, split into what
train/val may use and what only the heldback split uses.

Voices come from three engines:
- espeak-ng: a base voice + a variant, pitch 25-75 (espeak's 0-99 scale), speed 130-200 wpm;
  synthesized on demand (about 10 ms a clip, so not cached).
- hibari (Tandem's own TTS, `tandem say`): pitch and speed on a grid; every clip is cached on
  disk by a hash of (text, pitch, speed, seed) because each call loads the model (~0.6 s).
- recording: voiced 1-4 s chunks cut by energy from real recordings (dev-speech).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

import floor_audio as fa

SPLITS = ("train", "val", "heldback")

# ------------------------------------------------------------------------------ espeak-ng

ESPEAK_BASES = (
    "en-us", "en-gb", "en-gb-scotland", "en-gb-x-gbclan", "en-gb-x-rp", "en-gb-x-gbcwmd", "en-us-nyc",
    "en-029",
)
ESPEAK_BASES_HELDBACK = ("en-029",)
# Human-sounding variants (the robotic and effect variants are left out).
ESPEAK_VARIANTS = (
    "", "Alex", "Alicia", "Andrea", "Andy", "Annie", "AnxiousAndy", "Denis", "Diogo", "Gene", "Gene2",
    "Henrique", "Hugo", "Jacky", "Lee", "Marco", "Mario", "Michael", "Mike", "Nguyen", "Storm", "adam",
    "anika", "antonio", "aunty", "belinda", "benjamin", "boris", "caleb", "croak", "david", "ed", "edward",
    "edward2", "f1", "f2", "f3", "f4", "f5", "grandma", "grandpa", "gustave", "iven", "iven2", "iven3",
    "iven4", "john", "klatt", "klatt2", "klatt3", "klatt4", "klatt5", "klatt6", "linda", "m1", "m2", "m3",
    "m4", "m5", "m6", "m7", "m8", "marcelo", "max", "michel", "miguel", "norbert", "pablo", "paul", "pedro",
    "quincy", "rob", "robert", "sandro", "shelby", "steph", "steph2", "steph3", "travis", "victor",
    "whisper", "whisperf", "zac",
)
ESPEAK_VARIANTS_HELDBACK = (
    "Annie", "Gene2", "Lee", "belinda", "f4", "grandma", "iven3", "klatt4", "m5", "norbert", "steph2",
    "travis",
)


def espeak_voices(split: str) -> list[str]:
    """Every "base+variant" name the split may use. Heldback: the en-029 base with any variant,
    or any base with a held-back variant. Train/val: everything else."""
    out = []
    for base in ESPEAK_BASES:
        for var in ESPEAK_VARIANTS:
            held = base in ESPEAK_BASES_HELDBACK or var in ESPEAK_VARIANTS_HELDBACK
            if held == (split == "heldback"):
                out.append(f"{base}+{var}" if var else base)
    return out


# ------------------------------------------------------------------------------------ hibari

HIBARI_PITCH_TRAIN = tuple(round(0.70 + 0.05 * i, 2) for i in range(11))  # 0.70 .. 1.20
HIBARI_PITCH_HELDBACK = (1.25, 1.30, 1.35, 1.40)
HIBARI_SPEEDS = (0.8, 0.9, 1.0, 1.1, 1.25)
HIBARI_BG_PITCH = {"train": (0.8, 1.15), "heldback": (1.3,)}
ASSISTANT_VOICE = {"engine": "hibari", "name": "hibari", "pitch": 1.0, "speed": 1.0}
CACHE_VERSION = "1"


def hibari_pitches(split: str) -> tuple[float, ...]:
    return HIBARI_PITCH_HELDBACK if split == "heldback" else HIBARI_PITCH_TRAIN


# -------------------------------------------------------------------------------- recordings

RECORDINGS = {  # file stem -> speaker group (a voice is "different" only across groups)
    "beckett": "moonshine", "two_cities": "moonshine", "endgame_nagg_nell": "endgame",
    "cards-001": "cards", "cards-002": "cards", "cards-003": "cards", "cards-004": "cards",
    "cards-005": "cards", "librivox-0870": "librivox", "librivox-0880": "librivox",
    "librivox-0890": "librivox", "librivox-0920": "librivox", "librivox-0930": "librivox",
}
RECORDINGS_HELDBACK = ("endgame_nagg_nell", "librivox-0920")


def recording_names(split: str) -> list[str]:
    held = split == "heldback"
    return [r for r in RECORDINGS if (r in RECORDINGS_HELDBACK) == held]


# ------------------------------------------------------------------------------------ phrases

POOLS = (
    "requests", "request_openers", "backchannels", "interrupt_openers", "interruptions", "side_talk",
    "names", "other_replies", "phone", "answers", "background",
)


class Phrases:
    """The phrase pools: `<pool>.txt` for train/val, `<pool>_heldback.txt` for heldback."""

    def __init__(self, directory: Path):
        self.pools: dict[tuple[str, bool], list[str]] = {}
        for pool in POOLS:
            for held in (False, True):
                path = directory / (f"{pool}_heldback.txt" if held else f"{pool}.txt")
                lines = [ln.strip() for ln in path.read_text(encoding="utf-8").splitlines()]
                lines = [ln for ln in lines if ln and not ln.startswith("#")]
                if not lines:
                    raise ValueError(f"{path}: no phrases")
                self.pools[(pool, held)] = lines
        for pool in POOLS:
            overlap = set(self.pools[(pool, False)]) & set(self.pools[(pool, True)])
            if overlap:
                raise ValueError(f"{pool}: held-back phrases also in the train file: {sorted(overlap)[:3]}")

    def get(self, pool: str, split: str) -> list[str]:
        return self.pools[(pool, split == "heldback")]

    def pick(self, rng: np.random.Generator, pool: str, split: str) -> str:
        items = self.get(pool, split)
        return items[int(rng.integers(len(items)))]

    def counts(self) -> dict[str, tuple[int, int]]:
        return {p: (len(self.pools[(p, False)]), len(self.pools[(p, True)])) for p in POOLS}


# ---------------------------------------------------------------------------------- synthesis


@dataclass
class Clip:
    """Trimmed 16 kHz audio with its voiced extent [v0, v1) in samples."""

    audio: np.ndarray
    v0: int
    v1: int
    text: str
    source: str

    @property
    def voiced_s(self) -> float:
        return (self.v1 - self.v0) / fa.SR


@dataclass
class SynthStats:
    hibari_calls: int = 0
    hibari_s: float = 0.0
    hibari_hits: int = 0
    espeak_calls: int = 0
    espeak_s: float = 0.0

    def add(self, other: "SynthStats") -> None:
        for k in self.__dataclass_fields__:
            setattr(self, k, getattr(self, k) + getattr(other, k))


# espeak-ng spells some interjections out ("mm-hm" as "em em aitch em"): say them as phonemes.
ESPEAK_RESPELL = {"mm-hm": "[[m'hm]]", "mhm": "[[m'hm]]", "m-hm": "[[m'hm]]", "mm": "[[m'm]]", "hm": "[[h'm]]"}
_RESPELL_RE = re.compile(r"(?<![\w-])(mm-hm|m-hm|mhm|mm|hm)(?![\w-])", re.I)


def espeak_text(text: str) -> str:
    return _RESPELL_RE.sub(lambda m: ESPEAK_RESPELL[m.group(1).lower()], text)


def _espeak_data_dir() -> Path | None:
    try:
        out = subprocess.run(["espeak-ng", "--version"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    m = re.search(r"Data at:\s*(\S+)", out)
    return Path(m.group(1)) if m else None


def find_tandem(explicit: str | None) -> str:
    candidates = [explicit] if explicit else []
    candidates += [os.environ.get("TANDEM_BIN"), shutil.which("tandem")]
    repo = Path(__file__).resolve().parents[2]
    candidates += [str(repo / "target/release/tandem"), os.path.expanduser("~/.cache/tandem-ci/target/release/tandem")]
    for c in candidates:
        if c and os.path.isfile(c) and os.access(c, os.X_OK):
            return c
    raise SystemExit("no tandem binary for hibari clips: pass --tandem PATH (cargo build --release builds one)")


class Synth:
    def __init__(self, tandem_bin: str, cache_dir: Path, recordings_dir: Path):
        self.tandem = tandem_bin
        self.cache = cache_dir
        self.cache.mkdir(parents=True, exist_ok=True)
        self.stats = SynthStats()
        self.recordings = Recordings(recordings_dir)
        data = _espeak_data_dir()
        if shutil.which("espeak-ng") is None:
            raise SystemExit("espeak-ng is not installed (apt-get install espeak-ng)")
        if data is not None:
            have = {p.name for p in (data / "voices" / "!v").iterdir()}
            missing = [v for v in ESPEAK_VARIANTS if v and v not in have]
            if missing:
                raise SystemExit(f"espeak-ng lacks the variants {missing}; the data would differ")

    # -- raw engines -----------------------------------------------------------------------

    def espeak(self, name: str, pitch: int, speed: int, text: str) -> np.ndarray:
        t0 = time.perf_counter()
        proc = subprocess.run(
            ["espeak-ng", "-v", name, "-p", str(pitch), "-s", str(speed), "--stdout"],
            input=text.encode("utf-8"), capture_output=True, check=False,
        )
        if proc.returncode != 0 or len(proc.stdout) < 100:
            raise RuntimeError(f"espeak-ng -v {name} failed on {text!r}: {proc.stderr.decode(errors='replace')}")
        x, rate = fa.parse_wav_bytes(proc.stdout, f"espeak-ng {name}")
        y = fa.resample(x, rate)
        self.stats.espeak_calls += 1
        self.stats.espeak_s += time.perf_counter() - t0
        return y

    def hibari(self, pitch: float, speed: float, text: str) -> np.ndarray:
        key = f"{CACHE_VERSION}|{pitch:.2f}|{speed:.2f}|{text}"
        h = hashlib.sha1(key.encode("utf-8")).hexdigest()
        path = self.cache / h[:2] / f"{h}.wav"
        if not path.exists():
            t0 = time.perf_counter()
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp.wav")
            seed = int(h[:8], 16) % (2**31)
            proc = subprocess.run(
                [self.tandem, "say", "-o", str(tmp), "--pitch", f"{pitch:.2f}", "--speed", f"{speed:.2f}",
                 "--seed", str(seed), "--", text],
                capture_output=True, check=False,
            )
            if proc.returncode != 0 or not tmp.exists():
                raise RuntimeError(f"tandem say failed on {text!r}: {proc.stderr.decode(errors='replace')[-500:]}")
            os.replace(tmp, path)
            self.stats.hibari_calls += 1
            self.stats.hibari_s += time.perf_counter() - t0
        else:
            self.stats.hibari_hits += 1
        x, rate = fa.read_wav(path)
        return fa.resample(x, rate)

    # -- clips ------------------------------------------------------------------------------

    def clip(self, voice: dict, text: str, rng: np.random.Generator | None = None,
             min_s: float = 0.5, max_s: float = 4.0) -> Clip:
        """The voice saying `text` (trimmed). A recording voice ignores the text and gives a
        voiced chunk of its file (min_s..max_s; needs rng)."""
        eng = voice["engine"]
        if eng == "recording":
            assert rng is not None
            return self.recordings.chunk(rng, voice["name"], min_s, max_s)
        spoken = text
        if eng == "espeak-ng":
            x = self.espeak(voice["name"], int(voice["pitch"]), int(voice["speed"]), espeak_text(spoken))
            src = f"espeak-ng:{voice['name']}:p{voice['pitch']}:s{voice['speed']}"
        else:
            x = self.hibari(float(voice["pitch"]), float(voice["speed"]), spoken)
            src = f"hibari:p{voice['pitch']:.2f}:s{voice['speed']:.2f}"
        audio, v0, v1 = fa.trim_clip(x)
        return Clip(audio, v0, v1, text, src)


# ------------------------------------------------------------------------------- recordings


@dataclass
class Recordings:
    directory: Path
    audio: dict[str, np.ndarray] = field(default_factory=dict)
    chunks: dict[str, list[tuple[int, int]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in RECORDINGS:
            path = self.directory / f"{name}.wav"
            if not path.exists():
                raise SystemExit(f"missing recording {path} (scripts/dev-speech.sh fetches them)")
            x, rate = fa.read_wav(path)
            x = fa.resample(x, rate)
            self.audio[name] = x
            self.chunks[name] = voiced_chunks(x)

    def total_s(self, names: list[str]) -> float:
        return sum(len(self.audio[n]) for n in names) / fa.SR

    def chunk(self, rng: np.random.Generator, name: str, min_s: float, max_s: float) -> Clip:
        ch = self.chunks[name]
        fit = [c for c in ch if min_s * fa.SR <= c[1] - c[0] <= max_s * fa.SR]
        if not fit:  # fall back to the closest chunk, cut to max_s
            fit = sorted(ch, key=lambda c: abs((c[1] - c[0]) / fa.SR - (min_s + max_s) / 2))[:1]
        a, b = fit[int(rng.integers(len(fit)))]
        b = min(b, a + int(max_s * fa.SR))
        x = self.audio[name]
        lo, hi = max(0, a - 320), min(len(x), b + 320)
        audio = fa.fade(x[lo:hi], a - lo, hi - b)
        return Clip(audio, a - lo, b - lo, "", f"recording:{name}@{a / fa.SR:.2f}-{b / fa.SR:.2f}")

    def stretch(self, rng: np.random.Generator, names: list[str], n: int) -> tuple[np.ndarray, str]:
        """n samples of continuous speech: a random offset into a random file, continued by
        other files (short gaps) when it runs out."""
        out, parts, pos = np.zeros(n), [], 0
        first = True
        while pos < n:
            name = names[int(rng.integers(len(names)))]
            x = self.audio[name]
            start = int(rng.integers(0, max(1, len(x) - fa.SR))) if first else 0
            first = False
            seg = x[start : start + (n - pos)]
            out[pos : pos + len(seg)] = fa.fade(seg, 160, 160)
            parts.append(name)
            pos += len(seg) + int(rng.uniform(0.2, 0.6) * fa.SR)
        return out, "recording:" + ",".join(parts)


def voiced_chunks(x: np.ndarray, max_s: float = 4.0) -> list[tuple[int, int]]:
    """Voiced stretches of a recording, cut by energy into chunks of up to max_s: frames within
    30 dB of the 95th-percentile frame, gaps under 0.3 s closed, islands under 0.15 s dropped;
    a stretch longer than max_s is split at its quietest frame between 1.5 s and max_s."""
    frame = 320
    e = fa.frame_db(x, frame)
    on = e > max(float(np.percentile(e, 95)) - 30.0, -55.0)
    regions, i = [], 0
    while i < len(on):
        if on[i]:
            j = i
            while j < len(on) and on[j]:
                j += 1
            regions.append([i, j])
            i = j
        else:
            i += 1
    merged: list[list[int]] = []
    for r in regions:
        if merged and r[0] - merged[-1][1] < 15:  # 0.3 s
            merged[-1][1] = r[1]
        else:
            merged.append(r)
    merged = [r for r in merged if r[1] - r[0] >= 8]  # 0.15 s
    out: list[tuple[int, int]] = []
    max_f = int(max_s * fa.SR / frame)
    for a, b in merged:
        while b - a > max_f:
            lo, hi = a + int(1.5 * fa.SR / frame), a + max_f
            cut = lo + int(np.argmin(e[lo:hi]))
            out.append((a * frame, cut * frame))
            a = cut
        if b - a >= 8:
            out.append((a * frame, b * frame))
    return out


# ------------------------------------------------------------------------------- voice picks


def espeak_voice(rng: np.random.Generator, split: str) -> dict:
    names = espeak_voices(split)
    return {
        "engine": "espeak-ng", "name": names[int(rng.integers(len(names)))],
        "pitch": int(rng.integers(25, 76)), "speed": int(rng.integers(130, 201)),
    }


def hibari_voice(rng: np.random.Generator, split: str) -> dict:
    ps = hibari_pitches(split)
    return {
        "engine": "hibari", "name": "hibari", "pitch": ps[int(rng.integers(len(ps)))],
        "speed": HIBARI_SPEEDS[int(rng.integers(len(HIBARI_SPEEDS)))],
    }


def recording_voice(rng: np.random.Generator, split: str, exclude_groups: set[str] = frozenset()) -> dict | None:
    names = [n for n in recording_names(split) if RECORDINGS[n] not in exclude_groups]
    # files with too little speech for a chunk of a second are not voices
    if not names:
        return None
    name = names[int(rng.integers(len(names)))]
    return {"engine": "recording", "name": name, "pitch": 1.0, "speed": 1.0}


def pick_user_voice(rng: np.random.Generator, split: str, allow_recording: bool) -> dict:
    """The user's voice: a recording (20 % where the template allows one), else hibari (25 %)
    or espeak-ng."""
    if allow_recording and rng.random() < 0.2:
        v = recording_voice(rng, split)
        if v is not None:
            return v
    return hibari_voice(rng, split) if rng.random() < 0.25 else espeak_voice(rng, split)


def same_voice(a: dict, b: dict) -> bool:
    if a["engine"] != b["engine"]:
        return False
    if a["engine"] == "recording":
        return RECORDINGS[a["name"]] == RECORDINGS[b["name"]]
    if a["engine"] == "hibari":
        return abs(a["pitch"] - b["pitch"]) < 0.15
    return a["name"] == b["name"] or (a["name"].split("+")[-1] == b["name"].split("+")[-1] and abs(a["pitch"] - b["pitch"]) < 15)


def pick_other_voice(rng: np.random.Generator, split: str, user: dict, allow_recording: bool = True) -> dict:
    """Another person's voice, never the user's (different engine, voice or pitch band)."""
    for _ in range(50):
        u = rng.random()
        if allow_recording and u < 0.2:
            groups = {RECORDINGS[user["name"]]} if user["engine"] == "recording" else set()
            v = recording_voice(rng, split, groups)
        elif u < 0.35:
            v = hibari_voice(rng, split)
        else:
            v = espeak_voice(rng, split)
        if v is not None and not same_voice(v, user):
            return v
    raise RuntimeError("could not find a second voice")
