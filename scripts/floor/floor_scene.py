"""The episode timeline for the floor-model data generator: a Builder places voiced clips
(user, other people, the assistant, non-speech sounds, background) and writes the contract's
events as it goes. Templates (floor_templates.py) drive it; generate.py renders it.

Times are seconds on the episode timeline; a clip is placed by the start of its voiced extent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

import floor_audio as fa
import floor_voices as fv
from floor_voices import Clip

MAX_S = 16.0
MIN_S = 8.0


@dataclass
class Item:
    """One sound on the timeline. `who` names the room position (its impulse response)."""

    track: str  # user | other | noise | far | earpiece
    pos: int  # sample where `audio` starts (may be negative for a few margin samples)
    audio: np.ndarray
    rel_db: float  # level relative to the user's level (far: ignored)
    who: str
    event: dict | None
    band: bool = False


@dataclass
class Utterance:
    """What the assistant is going to say: sentences joined with short gaps."""

    audio: np.ndarray
    v0: int
    v1: int
    text: str
    gaps: list[tuple[int, int]]  # silences between sentences, samples relative to audio

    @property
    def voiced_s(self) -> float:
        return (self.v1 - self.v0) / fa.SR


@dataclass
class Span:
    start: float
    end: float
    gaps: list[tuple[float, float]] = field(default_factory=list)
    event: dict | None = None


@dataclass
class Background:
    source: str  # tv | radio | other_room | music
    engine: str  # recording | espeak-ng | hibari | synth
    level_db: float
    start_s: float
    band: bool
    voice: dict | None = None


def ms(t_s: float) -> int:
    return int(round(t_s * 1000.0))


class Builder:
    def __init__(self, rng: np.random.Generator, split: str, synth: fv.Synth, phrases: fv.Phrases,
                 user_voice: dict, target_s: float):
        self.rng, self.split, self.synth, self.phrases = rng, split, synth, phrases
        self.user_voice = user_voice
        self.target_s = target_s
        self.items: list[Item] = []
        self.events: list[dict] = []
        self.backgrounds: list[Background] = []
        self.need_end = 0.0
        self.turns = 0
        self._other: dict | None = None
        self._used_answers: set[str] = set()

    # -- small helpers ---------------------------------------------------------------------

    def u(self, lo: float, hi: float) -> float:
        return float(self.rng.uniform(lo, hi))

    def chance(self, p: float) -> bool:
        return bool(self.rng.random() < p)

    def pick(self, pool: str) -> str:
        return self.phrases.pick(self.rng, pool, self.split)

    def lead(self) -> float:
        return self.u(0.3, 1.5)

    @property
    def user_is_recording(self) -> bool:
        return self.user_voice["engine"] == "recording"

    def other_voice(self) -> dict:
        if self._other is None:
            self._other = fv.pick_other_voice(self.rng, self.split, self.user_voice)
        return self._other

    def require(self, end_s: float) -> None:
        self.need_end = max(self.need_end, end_s)

    def fits(self, end_s: float) -> bool:
        return end_s <= MAX_S

    # -- placing ---------------------------------------------------------------------------

    def _event(self, kind: str, speaker: str, start: float, end: float, text: str, addressed: bool,
               source: str, **extra) -> dict:
        ev = {"kind": kind, "speaker": speaker, "start_ms": ms(start), "end_ms": ms(end), "text": text,
              "addressed": addressed}
        ev.update(extra)
        ev["source"] = source
        self.events.append(ev)
        return ev

    def place(self, track: str, who: str, clip: Clip, at: float, rel_db: float, event: dict | None,
              band: bool = False) -> None:
        pos = int(round(at * fa.SR)) - clip.v0
        self.items.append(Item(track, pos, clip.audio, rel_db, who, event, band))

    def user_clip(self, text: str, continuing: bool = False, min_s: float = 0.5, max_s: float = 4.0) -> Clip:
        """The user's voice saying text. `continuing`: more of the same turn follows after a
        pause, so a trailing comma gives the synthesizer a continuing intonation."""
        spoken = text
        if continuing and not re.search(r"[,.?!]$", text):
            spoken = text + ","
        clip = self.synth.clip(self.user_voice, spoken, self.rng, min_s, max_s)
        clip.text = text
        return clip

    def add_user(self, kind: str, clip: Clip, at: float, rel_db: float, **extra) -> dict:
        addressed = kind in ("request", "interruption")
        end = at + clip.voiced_s
        ev = self._event(kind, "user", at, end, clip.text, addressed, clip.source, **extra)
        self.place("user", "user", clip, at, rel_db, ev)
        return ev

    # -- turns -----------------------------------------------------------------------------

    def _turn_texts(self, phrase: str, max_pauses: int) -> list[str]:
        parts = [p.strip() for p in phrase.split("|") if p.strip()]
        openers = self.phrases.get("request_openers", self.split)
        lowered = parts[0].lower()
        has_opener = any(lowered.startswith(o.rstrip(",").lower() + ",") for o in openers)
        if not has_opener and self.chance(0.25):
            op = openers[int(self.rng.integers(len(openers)))]
            first = parts[0]
            if not re.match(r"^I\b|^I'", first):
                first = first[0].lower() + first[1:]
            parts = [op] + [first] + parts[1:]
        k_max = min(max_pauses, len(parts) - 1)
        weights = np.array([0.45, 0.35, 0.2][: k_max + 1])
        k = int(self.rng.choice(k_max + 1, p=weights / weights.sum())) if k_max > 0 else 0
        cuts = set(int(c) for c in self.rng.choice(len(parts) - 1, size=k, replace=False)) if k else set()
        segs, cur = [], []
        for i, p in enumerate(parts):
            cur.append(p)
            if i in cuts:
                segs.append(" ".join(cur))
                cur = []
        segs.append(" ".join(cur))
        return segs

    def request_turn(self, at: float, max_pauses: int = 2, tail: tuple[float, float] = (1.5, 3.0),
                     kind: str = "request", phrase: str | None = None, rel_db: float | None = None,
                     end_by: float = MAX_S) -> float | None:
        """A user turn addressed to the assistant: 1-3 segments with pauses of 0.4-2.0 s inside
        the turn, the last one `final`, over by `end_by`. Returns the end of the turn, or None
        (nothing placed) if it does not fit."""
        tail_s = self.u(*tail)
        rel = self.u(-2.0, 2.0) if rel_db is None else rel_db
        for attempt in range(6):
            mp = max_pauses if attempt < 4 else 0
            if self.user_is_recording:
                w = np.array([0.5, 0.3, 0.2][: min(mp, 2) + 1])
                k = int(self.rng.choice(len(w), p=w / w.sum()))
                clips = [self.user_clip("", min_s=1.0, max_s=4.0) for _ in range(k + 1)]
            else:
                text = phrase if (phrase and attempt == 0) else self.pick("requests")
                segs = self._turn_texts(text, mp)
                clips = []
                for i, s in enumerate(segs):
                    continuing = i < len(segs) - 1
                    if continuing and self.chance(0.15):
                        s = s.rstrip(",") + (" um," if self.chance(0.6) else " uh,")
                    clips.append(self.user_clip(s, continuing))
            pauses = [self.u(0.4, 2.0) for _ in clips[1:]]
            total = sum(c.voiced_s for c in clips) + sum(pauses)
            if self.fits(at + total + min(tail_s, 1.5)) and at + total <= end_by:
                break
        else:
            return None
        self.turns += 1
        t = at
        for i, c in enumerate(clips):
            final = i == len(clips) - 1
            self.add_user(kind, c, t, rel, turn=self.turns, final=final)
            t += c.voiced_s + (pauses[i] if not final else 0.0)
        self.require(min(t + tail_s, MAX_S))
        return t

    def interruption_text(self) -> list[str]:
        """One or two segments: opener + body, a standalone opener, or a body alone."""
        opener = self.pick("interrupt_openers")
        body = self.pick("interruptions")
        u = self.rng.random()
        if u < 0.45:
            op = opener if not opener.endswith(".") else opener[:-1] + ","
            if self.chance(0.3):
                return [op, body]
            return [f"{op} {body}"]
        if u < 0.65:
            return [opener if opener.endswith(".") else opener.rstrip(",") + "."]
        return [body[0].upper() + body[1:]]

    def interruption_turn(self, onset: float) -> tuple[float, float] | None:
        """The user cutting in at `onset`; the first segment lasts 0.5-3 s. Returns (onset, end)."""
        tail_s = self.u(1.5, 3.0)
        rel = self.u(-1.0, 3.0)
        best = None
        for _ in range(8):
            if self.user_is_recording:
                clips = [self.user_clip("", min_s=0.5, max_s=3.0)]
            else:
                segs = self.interruption_text()
                clips = [self.user_clip(s, i < len(segs) - 1) for i, s in enumerate(segs)]
            best = clips
            if 0.5 <= clips[0].voiced_s <= 3.0:
                break
        clips = best
        pauses = [self.u(0.4, 1.0) for _ in clips[1:]]
        total = sum(c.voiced_s for c in clips) + sum(pauses)
        if not self.fits(onset + total + 1.0):
            return None
        self.turns += 1
        t = onset
        for i, c in enumerate(clips):
            final = i == len(clips) - 1
            self.add_user("interruption", c, t, rel, turn=self.turns, final=final)
            t += c.voiced_s + (pauses[i] if not final else 0.0)
        self.require(min(t + tail_s, MAX_S))
        return onset, t

    def backchannel_clip(self) -> Clip:
        for _ in range(6):
            c = self.user_clip(self.pick("backchannels"))
            if c.voiced_s <= 1.5:
                return c
        return c

    def add_backchannel(self, clip: Clip, at: float) -> dict:
        self.require(min(at + clip.voiced_s + 0.5, MAX_S))
        return self.add_user("backchannel", clip, at, self.u(-8.0, 0.0))

    def user_line(self, kind: str, pool: str, at: float, tail: tuple[float, float] = (0.8, 2.0),
                  rel: tuple[float, float] = (-3.0, 2.0), text: str | None = None, **extra) -> dict | None:
        """A not-addressed line in the user's voice (side talk, phone)."""
        clip = self.user_clip(text if text is not None else self.pick(pool), min_s=1.0, max_s=4.0)
        end = at + clip.voiced_s
        if not self.fits(end + tail[0]):
            return None
        ev = self.add_user(kind, clip, at, self.u(*rel), **extra)
        self.require(min(end + self.u(*tail), MAX_S))
        return ev

    def side_talk_text(self) -> tuple[str, str | None]:
        line = self.pick("side_talk")
        if "{name}" in line and self.chance(0.5):
            name = self.pick("names")
            return line.replace("{name}", name), name
        s = re.sub(r"^\{name\},\s*", "", line)
        s = re.sub(r",\s*\{name\}", "", s)
        s = s.replace("{name}", "").strip()
        return s[0].upper() + s[1:], None

    def other_line(self, at: float, text: str | None = None, rel: tuple[float, float] = (-8.0, 2.0),
                   pool: str = "other_replies") -> dict | None:
        """Another person in the room speaking (not to the assistant)."""
        voice = self.other_voice()
        spoken = text if text is not None else self.pick(pool)
        clip = self.synth.clip(voice, spoken, self.rng, 0.8, 3.0)
        end = at + clip.voiced_s
        if not self.fits(end + 0.5):
            return None
        ev = self._event("other", "other", at, end, clip.text, False, clip.source)
        self.place("other", "other", clip, at, self.u(*rel), ev)
        self.require(min(end + self.u(0.5, 1.5), MAX_S))
        return ev

    def earpiece_line(self, at: float, max_s: float) -> dict | None:
        """The far party of a phone call, faint and band-limited (no room)."""
        voice = self.other_voice()
        for _ in range(4):
            pool = "other_replies" if self.chance(0.6) else "phone"
            clip = self.synth.clip(voice, self.pick(pool), self.rng, 0.5, max_s)
            if clip.voiced_s <= max_s:
                break
        else:
            return None
        end = at + clip.voiced_s
        if not self.fits(end + 0.5):
            return None
        ev = self._event("other", "other", at, end, clip.text, False, clip.source + ";phone_earpiece")
        self.require(min(end + self.u(0.5, 1.5), MAX_S))
        self.place("earpiece", "earpiece", clip, at, self.u(-35.0, -22.0), ev, band=True)
        return ev

    def add_noise(self, kind: str, at: float, rel: tuple[float, float] = (-12.0, 3.0)) -> dict | None:
        audio = fa.ringtone(self.rng) if kind == "ringtone" else fa.noise_burst(self.rng, kind)
        ext = fa.voiced_extent(audio, rel_db=30.0)
        if ext is None:
            return None
        clip = Clip(audio, ext[0], ext[1], kind, "synthetic")
        end = at + clip.voiced_s
        if not self.fits(end + 0.3):
            return None
        ev = self._event("noise", "noise", at, end, kind, False, "synthetic")
        self.place("noise", "noise", clip, at, self.u(*rel), ev)
        self.require(min(end + self.u(0.3, 1.0), MAX_S))
        return ev

    # -- the assistant ---------------------------------------------------------------------

    def assistant_plan(self, target_s: float, max_sentences: int = 4, max_s: float = 9.5) -> Utterance:
        """Sentences until about target_s of speech, never past max_s once one is in."""
        parts: list[np.ndarray] = []
        texts: list[str] = []
        gaps: list[tuple[int, int]] = []
        pos, v0, v1, voiced = 0, None, 0, 0.0
        pool = self.phrases.get("answers", self.split)
        tries = 0
        while len(texts) < max_sentences and voiced < target_s and tries < 12:
            tries += 1
            for _ in range(10):
                text = pool[int(self.rng.integers(len(pool)))]
                if text not in self._used_answers:
                    break
            clip = self.synth.clip(fv.ASSISTANT_VOICE, text)
            if texts and voiced + 0.45 + clip.voiced_s > max_s:
                continue
            self._used_answers.add(text)
            if texts:
                gap = np.zeros(int(self.u(0.15, 0.45) * fa.SR))
                gaps.append((v1, pos + len(gap) + clip.v0))
                parts.append(gap)
                pos += len(gap)
            parts.append(clip.audio)
            if v0 is None:
                v0 = pos + clip.v0
            v1 = pos + clip.v1
            pos += len(clip.audio)
            texts.append(text)
            voiced = (v1 - v0) / fa.SR
        return Utterance(np.concatenate(parts), v0 or 0, v1, " ".join(texts), gaps)

    def pick_onset(self, utt: Utterance, at: float, earliest: float, latest: float) -> float:
        """A time between at+earliest and at+latest where the assistant (starting at `at`) is
        audibly speaking: a voiced 10 ms frame preceded by 50 ms of voiced frames."""
        e = fa.frame_db(utt.audio)
        on = e > max(float(e.max()) - 35.0, -55.0)
        run = np.convolve(on.astype(int), np.ones(6, int))[: len(on)] == 6
        t0 = utt.v0 / fa.SR
        frames = np.nonzero(run)[0]
        times = frames * 0.01 - t0
        ok = times[(times >= earliest) & (times <= latest)]
        if len(ok) == 0:
            ok = times[times >= min(earliest, max(0.3, utt.voiced_s - 0.8))]
        if len(ok) == 0:
            ok = times
        return at + float(ok[int(self.rng.integers(len(ok)))])

    def place_assistant(self, utt: Utterance, at: float, cut_at: float | None = None,
                        whole: bool = False) -> Span:
        """The assistant starts speaking at `at`; `cut_at` stops it there (20 ms fade), as after
        a barge-in. `whole`: the episode lasts until it is done."""
        pos = int(round(at * fa.SR)) - utt.v0
        audio = utt.audio
        text = utt.text
        if cut_at is not None:
            keep = int(round(cut_at * fa.SR)) - pos
            if 0 < keep < len(audio):
                audio = fa.fade(audio[:keep], 0, min(320, keep))
                text = text + " [cut]"
        ext = fa.voiced_extent(audio)
        v0, v1 = ext if ext else (utt.v0, utt.v0)
        start, end = (pos + v0) / fa.SR, (pos + v1) / fa.SR
        ev = self._event("assistant", "assistant", start, end, text, False, "hibari:assistant")
        del ev["addressed"]
        self.items.append(Item("far", pos, audio, 0.0, "far", ev))
        gaps = [((pos + a) / fa.SR, (pos + b) / fa.SR) for a, b in utt.gaps if b <= v1]
        if whole:
            self.require(min(end + self.u(0.3, 1.2), MAX_S))
        return Span(start, end, gaps, ev)

    def assistant(self, at: float, target_s: float, whole: bool = False) -> Span | None:
        if at > MAX_S - 1.0:
            return None
        utt = self.assistant_plan(target_s)
        if whole and at + utt.voiced_s + 0.3 > MAX_S:
            return None
        return self.place_assistant(utt, at, whole=whole)

    # -- background ------------------------------------------------------------------------

    def add_background(self, source: str | None = None, level: tuple[float, float] = (-20.0, -3.0),
                       start_s: float | None = None) -> Background:
        if source is None:
            source = ["tv", "radio", "other_room", "music"][int(self.rng.choice(4, p=[0.4, 0.25, 0.2, 0.15]))]
        if source == "music":
            engine = "synth"
        else:
            engine = ["recording", "espeak-ng", "hibari"][int(self.rng.choice(3, p=[0.45, 0.4, 0.15]))]
        band = source == "radio" and self.chance(0.6) or source == "tv" and self.chance(0.4)
        voice = None
        if engine == "espeak-ng":
            for _ in range(20):
                voice = fv.espeak_voice(self.rng, self.split)
                if not fv.same_voice(voice, self.user_voice):
                    break
        elif engine == "hibari":
            pitches = fv.HIBARI_BG_PITCH["heldback" if self.split == "heldback" else "train"]
            ok = [p for p in pitches if not fv.same_voice(self.user_voice, {"engine": "hibari", "name": "hibari", "pitch": p, "speed": 1.0})]
            if not ok:
                engine = "recording"
            else:
                voice = {"engine": "hibari", "name": "hibari", "pitch": ok[int(self.rng.integers(len(ok)))], "speed": 1.0}
        bg = Background(source, engine, self.u(*level), self.u(0.0, 1.0) if start_s is None else start_s,
                        band, voice)
        self.backgrounds.append(bg)
        return bg
