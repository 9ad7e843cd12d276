#!/usr/bin/env python3
"""Training data for Tandem's floor model: seeded, labelled two-channel episodes.

    python scripts/floor/generate.py --out DIR --train 5000 --val 500 --heldback 600 --seed 1

writes DIR/<split>/<split>-NNNNNN/{mic.wav, far.wav, episode.json} as defined in
scripts/floor/README.md ("Episode directory"). Every episode depends only on (--seed, split,
index): the same seed gives byte-identical files, whatever the counts or --jobs.
Dev-time only (numpy, scipy; see requirements-dev.txt).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import floor_audio as fa  # noqa: E402
import floor_voices as fv  # noqa: E402
from floor_scene import MAX_S, MIN_S, Background, Builder, ms  # noqa: E402
from floor_templates import RUN, TEMPLATES  # noqa: E402

GENERATOR_VERSION = 2
SPLIT_OFFSET = {"train": 0, "val": 3_000_000, "heldback": 6_000_000}
HERE = Path(__file__).resolve().parent

# Rooms: train/val and heldback draw from disjoint RT60 and echo-delay ranges.
ROOMS = {
    "train": {"rt60_s": (0.15, 0.55), "echo_delay_ms": (10, 60)},
    "heldback": {"rt60_s": (0.55, 0.70), "echo_delay_ms": (60, 80)},
}
NOISES = ("white", "pink", "brown", "babble")
NOISE_P = (0.2, 0.35, 0.2, 0.25)


def episode_seed(base: int, split: str, index: int) -> int:
    return base * 10_000_000 + SPLIT_OFFSET[split] + index


def room_params(rng: np.random.Generator, split: str) -> dict:
    r = ROOMS["heldback" if split == "heldback" else "train"]
    return {
        "rt60_s": round(float(rng.uniform(*r["rt60_s"])), 3),
        "echo_db": round(float(rng.uniform(-30.0, -6.0)), 2),
        "echo_delay_ms": int(rng.integers(r["echo_delay_ms"][0], r["echo_delay_ms"][1] + 1)),
        "noise": NOISES[int(rng.choice(len(NOISES), p=NOISE_P))],
        "snr_db": round(float(rng.uniform(5.0, 40.0)), 2),
    }


class Ctx:
    """Per-process state: the synthesizers (with their clip cache), recordings and phrases."""

    def __init__(self, args: argparse.Namespace):
        self.synth = fv.Synth(fv.find_tandem(args.tandem), Path(args.clip_cache), Path(args.speech_dir))
        self.phrases = fv.Phrases(Path(args.phrases))


# ------------------------------------------------------------------------------------ render


def _add(track: np.ndarray, pos: int, y: np.ndarray) -> None:
    a, b = max(pos, 0), min(pos + len(y), len(track))
    if b > a:
        track[a:b] += y[a - pos : b - pos]


def _background_audio(ctx: Ctx, b: Builder, bg: Background, n: int) -> tuple[np.ndarray, str, str]:
    """(dry audio of n samples, text, source description) for one background."""
    rng = b.rng
    if bg.engine == "synth":
        return fa.music_bed(rng, n), "music", "synthetic:music"
    if bg.engine == "recording":
        names = fv.recording_names(b.split)
        if b.user_voice["engine"] == "recording":
            others = [r for r in names if fv.RECORDINGS[r] != fv.RECORDINGS[b.user_voice["name"]]]
            names = others or names
        x, src = ctx.synth.recordings.stretch(rng, names, n)
        return x, "", src
    lines = ctx.phrases.get("background", b.split)
    out, pos, said = np.zeros(n), 0, []
    while pos < n:
        if bg.engine == "espeak-ng":
            k = int(rng.integers(3, 7))
            text = " ".join(lines[int(i)] for i in rng.integers(len(lines), size=k))
            clip = ctx.synth.clip(bg.voice, text)
        else:
            text = lines[int(rng.integers(len(lines)))]
            clip = ctx.synth.clip(bg.voice, text)
        seg = clip.audio[: n - pos]
        out[pos : pos + len(seg)] = seg / max(fa.active_rms(clip.audio), 1e-9)
        said.append(text)
        pos += len(seg) + int(rng.uniform(0.3, 0.7) * fa.SR)
    v = bg.voice
    src = f"{v['engine']}:{v['name']}:p{v['pitch']}:s{v['speed']}"
    return out, " ".join(said), src


# How the live loop treats sound over its own voice (interaction::policy, floor model): it
# pauses in place 120 ms after an onset (one step later at worst), goes on from there when a
# short burst ends (on its tentative end, 60-300 ms later), and stops for good when the
# speech is a cut-in or lasts MAX_OVERLAP_S. The episodes' assistant does the same, so the
# model never learns "our echo went on" as the sign of a backchannel.
HOLD_S = (0.10, 0.20)
RESUME_S = (0.06, 0.30)
MAX_OVERLAP_S = 1.5
#: How long after a cut-in's onset the loop still holds (counts as playing) before it stops.
STOP_AFTER_S = (0.65, 0.75)
#: Noise bursts pause the loop only when its voice detector fires on them.
P_NOISE_PAUSES = 0.5
PAUSING_KINDS = ("backchannel", "request", "side_talk", "other", "phone", "noise")


def pause_like_the_loop(far: np.ndarray, items: list, events: list[dict], rng: np.random.Generator) -> None:
    """Mutes `far` where the live loop would have paused for sound over it (20 ms fades) and
    records in each assistant event until when our voice counts as playing (`held_until_ms`:
    the loop's player is busy while it holds) and where it paused (`paused_ms`)."""
    fade = 320
    for it in items:
        if it.track != "far" or it.event is None:
            continue
        a = it.event
        a0, a1 = a["start_ms"] / 1000, a["end_ms"] / 1000
        for ev in sorted(events, key=lambda e: e["start_ms"]):
            if ev.get("speaker") not in ("user", "other", "noise") or ev["kind"] not in (*PAUSING_KINDS, "interruption"):
                continue
            if str(ev.get("source", "")).endswith("phone_earpiece"):  # too faint to be heard
                continue
            t0, t1 = ev["start_ms"] / 1000, ev["end_ms"] / 1000
            if not a0 <= t0 < a1:
                continue
            if ev["kind"] == "noise" and rng.random() >= P_NOISE_PAUSES:
                continue
            hold = t0 + rng.uniform(*HOLD_S)
            stop = ev["kind"] == "interruption" or t1 - t0 >= MAX_OVERLAP_S
            resume = a1 if stop else t1 + rng.uniform(*RESUME_S)
            if stop:
                held = t0 + (rng.uniform(*STOP_AFTER_S) if ev["kind"] == "interruption" else MAX_OVERLAP_S)
                a["held_until_ms"] = max(a.get("held_until_ms", 0), ms(min(held, len(far) / fa.SR)))
            i0 = max(int(round(hold * fa.SR)), 0)
            i1 = min(int(round(resume * fa.SR)), len(far))
            if i1 <= i0:
                continue
            far[i0:i1] = 0.0
            k = min(fade, i0)
            far[i0 - k : i0] = fa.fade(far[i0 - k : i0], 0, k)
            k = min(fade, len(far) - i1)
            far[i1 : i1 + k] = fa.fade(far[i1 : i1 + k], k, 0)
            a.setdefault("paused_ms", []).append([ms(i0 / fa.SR), ms(i1 / fa.SR)])
            if stop:
                break


def render(ctx: Ctx, b: Builder, room: dict, user_level: float, far_level: float, n: int,
           pause_rng: np.random.Generator):
    rng = b.rng
    far = np.zeros(n)
    mic = np.zeros(n)
    drop: list[dict] = []
    for it in b.items:
        if it.track != "far":
            continue
        audio = it.audio
        if it.pos + len(audio) > n:  # the episode ends while the assistant is speaking
            keep = n - it.pos
            ext = fa.voiced_extent(audio[:keep]) if keep > 0 else None
            if ext is None:
                drop.append(it.event)
                continue
            audio = fa.fade(audio[:keep], 0, min(320, keep))
            it.event["end_ms"] = ms((it.pos + ext[1]) / fa.SR)
        g = fa.undb(far_level) / max(fa.active_rms(it.audio), 1e-9)
        _add(far, it.pos, audio * g)
    pause_like_the_loop(far, [it for it in b.items if not any(it.event is d for d in drop)], b.events, pause_rng)

    rirs: dict[str, np.ndarray] = {}
    drr = {"user": (0.0, 12.0), "other": (-6.0, 6.0), "noise": (-6.0, 6.0), "echo": (3.0, 15.0)}

    def rir(who: str) -> np.ndarray:
        if who not in rirs:
            if who == "bg":
                rirs[who] = fa.make_rir(rng, min(room["rt60_s"] + rng.uniform(0.1, 0.3), 1.0), rng.uniform(-10.0, 0.0))
            else:
                rirs[who] = fa.make_rir(rng, room["rt60_s"], rng.uniform(*drr[who]))
        return rirs[who]

    for it in b.items:
        if it.track == "far":
            continue
        x = fa.bandlimit(it.audio) if it.band else it.audio
        y = x if it.who == "earpiece" else fa.convolve(x, rir(it.who))
        g = fa.undb(user_level + it.rel_db) / max(fa.active_rms(y), 1e-9)
        if it.track == "noise":  # short bursts: keep their peaks under -6 dBFS
            g = min(g, fa.undb(-6.0) / max(float(np.abs(y).max()), 1e-9))
        _add(mic, it.pos, y * g)

    for bg in b.backgrounds:
        start = int(round(bg.start_s * fa.SR))
        x, text, src = _background_audio(ctx, b, bg, n - start)
        if bg.source == "other_room":
            x = fa.lowpass(x, rng.uniform(1200.0, 3000.0), order=4)
        elif bg.band:
            x = fa.bandlimit(x)
        y = fa.convolve(x, rir("bg"))[: n - start]
        g = fa.undb(user_level + bg.level_db) / max(fa.active_rms(y), 1e-9)
        _add(mic, start, y * g)
        ext = fa.voiced_extent(x)
        if ext is not None:
            b.events.append({
                "kind": "background", "speaker": "background", "start_ms": ms((start + ext[0]) / fa.SR),
                "end_ms": ms((start + ext[1]) / fa.SR), "text": text, "addressed": False,
                "level_db": round(bg.level_db, 2), "background": bg.source, "source": src,
            })

    if np.any(far):
        src = far
        if rng.random() < 0.3:  # a small loudspeaker's soft saturation
            peak = float(np.abs(far).max())
            drive = rng.uniform(1.5, 4.0)
            src = np.tanh(drive * far / peak) / np.tanh(drive) * peak
        e = fa.convolve(src, rir("echo"))[:n]
        d = int(room["echo_delay_ms"] * fa.SR / 1000)
        e = np.concatenate([np.zeros(d), e])[:n]
        mic += e * (fa.undb(far_level + room["echo_db"]) / max(fa.active_rms(e), 1e-9))

    if room["noise"] == "babble":
        names = fv.recording_names(b.split)
        noise = sum(fa.lowpass(ctx.synth.recordings.stretch(rng, names, n)[0], 3500.0) for _ in range(5))
        noise = fa.convolve(noise, rir("bg"))[:n]
    else:
        noise = fa.colored_noise(rng, n, room["noise"])
    noise_level = user_level - room["snr_db"]
    mic += noise * (fa.undb(noise_level) / max(float(np.sqrt(np.mean(noise**2))), 1e-12))
    if rng.random() < 0.1:
        mic += fa.hum(rng, n) * fa.undb(noise_level - rng.uniform(0.0, 10.0))

    peak = float(np.abs(mic).max())
    if peak > 0.98:
        mic *= 0.98 / peak
        user_level += fa.db(0.98 / peak)
    events = [e for e in b.events if not any(e is d for d in drop)]
    events.sort(key=lambda e: (e["start_ms"], e["end_ms"]))
    return mic, far, events, user_level


# ---------------------------------------------------------------------------------- episodes


def make_episode(ctx: Ctx, split: str, index: int, base_seed: int) -> tuple[dict, np.ndarray, np.ndarray]:
    seed = episode_seed(base_seed, split, index)
    rng = np.random.default_rng(seed)
    names = list(TEMPLATES)
    weights = np.array([TEMPLATES[t][0] for t in names])
    template = names[int(rng.choice(len(names), p=weights / weights.sum()))]
    user_voice = fv.pick_user_voice(rng, split, TEMPLATES[template][1])
    target = float(rng.uniform(MIN_S, MAX_S))
    b = Builder(rng, split, ctx.synth, ctx.phrases, user_voice, target)
    variant = RUN[template](b)
    if rng.random() < 0.08 and not any(bg.source == "music" for bg in b.backgrounds):
        b.add_background(source="music", level=(-28.0, -12.0))
        variant += "+music"
    duration = min(MAX_S, max(target, b.need_end, MIN_S))
    n = int(round(duration * 50)) * 320  # whole 20 ms frames
    room = room_params(rng, split)
    user_level = float(rng.uniform(-28.0, -16.0))
    far_level = float(rng.uniform(-26.0, -16.0))
    # Its own generator, so the pauses leave every other draw of the episode as it was.
    pause_rng = np.random.default_rng([seed, 2])
    mic, far, events, user_level = render(ctx, b, room, user_level, far_level, n, pause_rng)
    ep_id = f"{split}-{index:06d}"
    meta = {
        "id": ep_id, "split": split, "seed": seed, "template": template, "variant": variant,
        "duration_ms": n * 1000 // fa.SR,
        "user_voice": user_voice,
        "room": room,
        "user_level_dbfs": round(user_level, 2),
        "far_level_dbfs": round(far_level, 2),
        "generator_version": GENERATOR_VERSION,
        "events": events,
    }
    return meta, mic, far


def write_episode(out: Path, meta: dict, mic: np.ndarray, far: np.ndarray) -> None:
    d = out / meta["split"] / meta["id"]
    d.mkdir(parents=True, exist_ok=True)
    fa.write_wav16(d / "mic.wav", mic)
    fa.write_wav16(d / "far.wav", far)
    tmp = d / "episode.json.tmp"
    tmp.write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    os.replace(tmp, d / "episode.json")


_CTX: Ctx | None = None
_ARGS: argparse.Namespace | None = None


def _init(args: argparse.Namespace) -> None:
    global _CTX, _ARGS
    _ARGS = args
    _CTX = Ctx(args)


def _job(task: tuple[str, int]) -> dict:
    split, index = task
    assert _CTX is not None and _ARGS is not None
    out = Path(_ARGS.out)
    if _ARGS.resume and (out / split / f"{split}-{index:06d}" / "episode.json").exists():
        meta = json.loads((out / split / f"{split}-{index:06d}" / "episode.json").read_text())
        return {"meta": _summary_row(meta), "synth": fv.SynthStats().__dict__, "skipped": True}
    before = fv.SynthStats(**_CTX.synth.stats.__dict__)
    t0 = time.perf_counter()
    meta, mic, far = make_episode(_CTX, split, index, _ARGS.seed)
    write_episode(out, meta, mic, far)
    wall = time.perf_counter() - t0
    s = _CTX.synth.stats
    delta = {k: getattr(s, k) - getattr(before, k) for k in s.__dataclass_fields__}
    return {"meta": _summary_row(meta), "synth": delta, "wall": wall, "skipped": False}


def _summary_row(meta: dict) -> dict:
    return {
        "split": meta["split"], "template": meta["template"], "duration_ms": meta["duration_ms"],
        "engine": meta["user_voice"]["engine"], "voice": meta["user_voice"]["name"],
        "kinds": Counter(e["kind"] for e in meta["events"]),
    }


# -------------------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, help="output directory")
    ap.add_argument("--train", type=int, default=5000)
    ap.add_argument("--val", type=int, default=500)
    ap.add_argument("--heldback", type=int, default=600)
    ap.add_argument("--seed", type=int, default=1, help="base seed (episode seed = seed*1e7 + split offset + index)")
    ap.add_argument("--jobs", type=int, default=1, help="worker processes (default 1)")
    ap.add_argument("--resume", action="store_true", help="keep episodes whose episode.json already exists")
    ap.add_argument("--tandem", help="tandem binary for hibari clips (default: $TANDEM_BIN, PATH, target/release)")
    ap.add_argument("--clip-cache", default=os.path.expanduser("~/.cache/tandem/floor-clips"),
                    help="hibari clip cache (default ~/.cache/tandem/floor-clips)")
    ap.add_argument("--speech-dir", default=os.path.expanduser("~/.cache/tandem/dev-speech"),
                    help="real recordings (default ~/.cache/tandem/dev-speech)")
    ap.add_argument("--phrases", default=str(HERE / "phrases"))
    args = ap.parse_args(argv)

    tasks = [(s, i) for s, c in (("train", args.train), ("val", args.val), ("heldback", args.heldback))
             for i in range(c)]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    rows, synth, walls, skipped = [], fv.SynthStats(), [], 0
    if args.jobs > 1:
        from multiprocessing import Pool

        pool = Pool(args.jobs, initializer=_init, initargs=(args,))
        results = pool.imap_unordered(_job, tasks, chunksize=4)
    else:
        _init(args)
        pool = None
        results = map(_job, tasks)
    for k, r in enumerate(results, 1):
        rows.append(r["meta"])
        synth.add(fv.SynthStats(**r["synth"]))
        skipped += r["skipped"]
        if not r["skipped"]:
            walls.append(r["wall"])
        if k % 200 == 0 or k == len(tasks):
            el = time.perf_counter() - t0
            print(f"  {k}/{len(tasks)} episodes, {el:.0f} s (hibari clips made: {synth.hibari_calls}, "
                  f"{synth.hibari_s:.0f} s)", flush=True)
    if pool is not None:
        pool.close()
        pool.join()
    elapsed = time.perf_counter() - t0
    summary = summarize(rows, args)
    (out / "summary.json").write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
    print_summary(summary)
    work = sum(walls)
    print(f"time: {elapsed:.0f} s wall ({args.jobs} job(s)); summed per-episode time {work:.0f} s, of which "
          f"hibari clip synthesis {synth.hibari_s:.0f} s ({synth.hibari_calls} new clips, {synth.hibari_hits} "
          f"cache hits) and espeak-ng {synth.espeak_s:.0f} s ({synth.espeak_calls} clips); "
          f"without new hibari clips {work - synth.hibari_s:.0f} s; skipped (--resume) {skipped}")
    return 0


def summarize(rows: list[dict], args: argparse.Namespace) -> dict:
    phrases = fv.Phrases(Path(args.phrases))
    per = defaultdict(Counter)
    hours = Counter()
    engines = defaultdict(Counter)
    voices = defaultdict(set)
    kinds = defaultdict(Counter)
    for r in rows:
        per[r["split"]][r["template"]] += 1
        hours[r["split"]] += r["duration_ms"] / 3.6e6
        engines[r["split"]][r["engine"]] += 1
        voices[r["split"]].add(f"{r['engine']}:{r['voice']}")
        kinds[r["split"]].update(r["kinds"])
    return {
        "generator_version": GENERATOR_VERSION, "seed": args.seed,
        "episodes": {s: dict(sorted(c.items())) for s, c in per.items()},
        "hours": {s: round(h, 3) for s, h in hours.items()},
        "hours_total": round(sum(hours.values()), 3),
        "user_engines": {s: dict(c) for s, c in engines.items()},
        "distinct_user_voice_names": {s: len(v) for s, v in voices.items()},
        "events": {s: dict(sorted(c.items())) for s, c in kinds.items()},
        "voice_pools": {
            "espeak_train_val": len(fv.espeak_voices("train")), "espeak_heldback": len(fv.espeak_voices("heldback")),
            "hibari_pitch_train_val": list(fv.HIBARI_PITCH_TRAIN), "hibari_pitch_heldback": list(fv.HIBARI_PITCH_HELDBACK),
            "recordings_train_val": fv.recording_names("train"), "recordings_heldback": fv.recording_names("heldback"),
        },
        "phrasings": {p: {"train_val": a, "heldback": h} for p, (a, h) in phrases.counts().items()},
    }


def print_summary(s: dict) -> None:
    print("episodes per template and split:")
    for split, c in s["episodes"].items():
        print(f"  {split:9s} " + ", ".join(f"{t} {n}" for t, n in c.items()) + f"  ({sum(c.values())}, {s['hours'].get(split, 0):.2f} h)")
    print(f"audio: {s['hours_total']:.2f} h in total (mic + far each)")
    for split, c in s["user_engines"].items():
        print(f"  {split:9s} user voices by engine {c}; distinct voice names {s['distinct_user_voice_names'][split]}")
    vp = s["voice_pools"]
    print(f"voice pools: espeak-ng {vp['espeak_train_val']} train/val, {vp['espeak_heldback']} heldback; hibari pitch "
          f"{vp['hibari_pitch_train_val'][0]}-{vp['hibari_pitch_train_val'][-1]} train/val, "
          f"{vp['hibari_pitch_heldback'][0]}-{vp['hibari_pitch_heldback'][-1]} heldback; recordings "
          f"{len(vp['recordings_train_val'])} train/val, {len(vp['recordings_heldback'])} heldback")
    print("phrasings (train/val + heldback): " + ", ".join(f"{p} {v['train_val']}+{v['heldback']}" for p, v in s["phrasings"].items()))


if __name__ == "__main__":
    sys.exit(main())
