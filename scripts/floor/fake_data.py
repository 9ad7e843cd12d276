#!/usr/bin/env python3
"""Tiny fake floor episodes for testing train.py before the real generator and extractor exist.

    python3 scripts/floor/fake_data.py --out /tmp/floor-fake [--seed 1] [--train 160 --val 40 --heldback 40]

Writes OUT/{train,val,heldback}/<id>/episode.json (events per the floor data contract) and
feats.f32 + feats.json with *synthetic* features that correlate with the labels the way real
ones should (voice activity, level relative to the user, falling pitch at turn ends, harmonicity),
noisily enough that the simple rules are imperfect. No audio. Never train a shipped model on this.
"""

import argparse
import json
import os
import sys

import numpy as np

FRAME_MS = 20
NAMES = ["mic_vad", "far_active", "level_rel", "pitch_slope", "harmonicity", "onset", "echo_residual", "energy"]
TEMPLATES = ("request", "interruption", "backchannel", "side_talk", "background", "phone")

# Per event kind: (voice strength seen by the VAD, relative level (dB/20), harmonicity)
SOURCE = {
    "request": (1.0, 0.0, 0.75), "interruption": (1.0, 0.1, 0.75), "backchannel": (0.9, -0.15, 0.6),
    "side_talk": (0.95, -0.3, 0.7), "phone": (0.95, -0.25, 0.7), "other": (0.8, -0.55, 0.7),
    "background": (0.5, -0.8, 0.45), "noise": (0.35, -0.2, 0.12),
}


class Episode:
    def __init__(self, rng, split, idx, seed, template):
        self.rng, self.events, self.t = rng, [], 0
        self.id, self.split, self.seed, self.template = "%s-%06d" % (split, idx), split, seed, template
        self.turn = 0

    def ev(self, kind, start, dur, **kw):
        e = dict(kind=kind, speaker={"assistant": "assistant", "other": "other", "background": "background",
                                     "noise": "noise"}.get(kind, "user"),
                 start_ms=int(start), end_ms=int(start + dur), text="")
        if kind not in ("assistant", "noise"):
            e["addressed"] = kind in ("request", "interruption")
        e.update(kw)
        self.events.append(e)
        return e

    def user_turn(self, kind="request"):
        """A turn of 1-3 segments with pauses of 150-1200 ms inside it."""
        r = self.rng
        self.turn += 1
        nseg = int(r.choice([1, 1, 2, 2, 3]))
        for k in range(nseg):
            d = r.uniform(500, 2200)
            self.ev(kind if k == 0 else "request", self.t, d, turn=self.turn, final=(k == nseg - 1))
            self.t += d
            if k < nseg - 1:
                self.t += r.uniform(150, 1200)

    def assistant(self, dur=None):
        d = dur or self.rng.uniform(1500, 4000)
        e = self.ev("assistant", self.t, d)
        return e


def build(rng, template):
    """Events of one episode of `template` (timeline in ms)."""
    ep = Episode(rng, "", 0, 0, template)
    r = rng
    ep.t = r.uniform(300, 1000)
    if template == "request":
        for _ in range(int(r.integers(1, 3))):
            ep.user_turn()
            ep.t += r.uniform(400, 1500)
            ep.assistant()
            ep.t += r.uniform(800, 2500)
    elif template == "interruption":
        ep.user_turn()
        ep.t += r.uniform(400, 1000)
        a = ep.assistant(r.uniform(4000, 7000))
        ep.t = a["start_ms"] + r.uniform(800, 2500)
        cut = ep.t
        ep.user_turn("interruption")
        a["end_ms"] = int(min(a["end_ms"], cut + r.uniform(300, 900)))  # the assistant yields
        ep.t = max(ep.t, a["end_ms"]) + r.uniform(500, 1500)
    elif template == "backchannel":
        ep.user_turn()
        ep.t += r.uniform(400, 1000)
        a = ep.assistant(r.uniform(5000, 8000))
        t = a["start_ms"] + r.uniform(500, 1200)
        while t < a["end_ms"] - 800:
            kind = r.choice(["backchannel", "backchannel", "noise", "other"])
            d = {"backchannel": r.uniform(200, 650), "noise": r.uniform(80, 400), "other": r.uniform(400, 1500)}[kind]
            ep.ev(kind, t, d)
            t += d + r.uniform(600, 2000)
        ep.t = a["end_ms"] + r.uniform(500, 1500)
    elif template == "side_talk":
        for _ in range(int(r.integers(1, 3))):
            d = r.uniform(700, 2500)
            ep.ev("side_talk", ep.t, d)
            ep.t += d + r.uniform(150, 900)
            if r.random() < 0.7:
                d = r.uniform(500, 2000)
                ep.ev("other", ep.t, d)
                ep.t += d + r.uniform(200, 1200)
        ep.user_turn()
        ep.t += r.uniform(400, 1200)
        ep.assistant()
        ep.t += r.uniform(500, 1500)
    elif template == "background":
        start = ep.t
        ep.t += r.uniform(500, 1500)
        ep.user_turn()
        ep.t += r.uniform(400, 1200)
        ep.assistant()
        ep.t += r.uniform(1000, 2500)
        ep.ev("background", start, ep.t - start - r.uniform(100, 400), level_db=float(r.uniform(-25, -8)))
    elif template == "phone":
        d = r.uniform(1500, 4000)
        ep.ev("phone", ep.t, d)
        ep.t += d + r.uniform(300, 1500)
        d = r.uniform(800, 2500)
        ep.ev("phone", ep.t, d)
        ep.t += d + r.uniform(600, 1500)
        ep.user_turn()
        ep.t += r.uniform(400, 1200)
        ep.assistant()
        ep.t += r.uniform(500, 1500)
    ep.events.sort(key=lambda e: e["start_ms"])
    return ep.events, int(np.ceil(ep.t / 100.0) * 100)


def features(rng, events, n, noise, extra):
    """Synthetic features [n, 8 + extra] following the events."""
    tm = np.arange(n) * FRAME_MS + FRAME_MS / 2
    vad = np.zeros(n)
    lvl = np.full(n, -1.5)
    harm = np.zeros(n)
    onset = np.zeros(n)
    far = np.zeros(n)
    pitch = np.zeros(n)
    for e in events:
        act = (tm >= e["start_ms"]) & (tm < e["end_ms"])
        if e["kind"] == "assistant":
            far[act] = 1.0
            continue
        v, l, h = SOURCE[e["kind"]]
        l = l + rng.normal(0, 0.12)
        h = h + rng.normal(0, 0.08)
        if e["kind"] == "background":
            l = e.get("level_db", -15) / 20.0
        vad[act] = np.maximum(vad[act], v)
        lvl[act] = np.maximum(lvl[act], l)
        harm[act] = np.maximum(harm[act], h)
        idx = np.flatnonzero(act)
        if len(idx):
            onset[idx[:4]] = max(0.3, 1.0 if e["kind"] == "noise" else 0.6)
            # pitch slope at segment ends: falling for a turn's final segment, flat/rising otherwise
            if e["kind"] in ("request", "interruption"):
                cue = -0.5 if e.get("final", True) else 0.5
                if rng.random() < 0.15:
                    cue = -cue
                cue += rng.normal(0, 0.2)
            else:
                cue = rng.uniform(-0.6, 0.6)
            pitch[idx[-15:]] = cue
            # held (decaying) through the following silence
            j = idx[-1] + 1
            k = 0
            while j < n and vad[j] == 0 and k < 100:
                pitch[j] = cue * (0.985 ** k)
                j += 1
                k += 1
    sm = lambda x, a=0.6: _smooth(x, a)
    f = np.stack([
        np.clip(sm(vad + 0.25 * far * rng.random(n) + rng.normal(0, 0.12 * noise, n)), 0, 1),  # residual echo fools VAD
        np.clip(far + rng.normal(0, 0.05, n), 0, 1),
        np.clip(sm(lvl + rng.normal(0, 0.1 * noise, n)), -1.5, 0.5),
        np.clip(pitch + rng.normal(0, 0.15 * noise, n), -1, 1),
        np.clip(sm(harm + rng.normal(0, 0.1 * noise, n)), 0, 1),
        np.clip(onset + rng.normal(0, 0.05, n), 0, 1),
        np.clip(0.4 * far * (1 - vad) + rng.normal(0, 0.05, n), 0, 1),
        np.clip(sm(0.6 * vad + 0.3 * far + rng.normal(0, 0.1 * noise, n)), 0, 1),
    ], axis=1)
    if extra:
        f = np.concatenate([f, np.clip(rng.normal(0, 0.3, (n, extra)), -1, 1)], axis=1)
    return f.astype("<f4")


def _smooth(x, a):
    y = np.empty_like(x)
    acc = x[0]
    for i, v in enumerate(x):
        acc = a * acc + (1 - a) * v
        y[i] = acc
    return y


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--train", type=int, default=160)
    ap.add_argument("--val", type=int, default=40)
    ap.add_argument("--heldback", type=int, default=40)
    ap.add_argument("--extra-features", type=int, default=0, help="pure-noise features appended (to test a larger F)")
    ap.add_argument("--no-features-every", type=int, default=0,
                    help="leave feats out of every N-th episode (tests the skip count)")
    args = ap.parse_args(argv)
    names = NAMES + ["noise_%d" % i for i in range(args.extra_features)]
    idx = 0
    for split, count in (("train", args.train), ("val", args.val), ("heldback", args.heldback)):
        noise = 1.4 if split == "heldback" else 1.0  # held back: noisier features
        for i in range(count):
            seed = args.seed * 1_000_003 + idx
            idx += 1
            rng = np.random.default_rng(seed)
            template = TEMPLATES[i % len(TEMPLATES)]
            events, dur = build(rng, template)
            n = dur // FRAME_MS
            eid = "%s-%06d" % (split, i)
            d = os.path.join(args.out, split, eid)
            os.makedirs(d, exist_ok=True)
            ep = dict(id=eid, split=split, seed=seed, template=template, duration_ms=dur,
                      user_voice=dict(engine="fake", name="fake", pitch=1.0, speed=1.0),
                      room=dict(rt60_s=0.3, echo_db=-20.0, echo_delay_ms=40, noise="none", snr_db=30.0),
                      user_level_dbfs=-22.0, events=events)
            with open(os.path.join(d, "episode.json"), "w") as f:
                json.dump(ep, f, indent=1)
            if args.no_features_every and (i + 1) % args.no_features_every == 0:
                continue
            feats = features(rng, events, n, noise, args.extra_features)
            feats.tofile(os.path.join(d, "feats.f32"))
            with open(os.path.join(d, "feats.json"), "w") as f:
                json.dump(dict(frame_ms=FRAME_MS, n_frames=int(n), n_features=len(names), names=names, version=1), f)
    with open(os.path.join(args.out, "manifest.json"), "w") as f:
        json.dump(dict(generator="scripts/floor/fake_data.py", seed=args.seed,
                       command="python3 scripts/floor/fake_data.py " + " ".join(argv or sys.argv[1:]),
                       counts=dict(train=args.train, val=args.val, heldback=args.heldback)), f, indent=1)
    with open(os.path.join(args.out, "README.md"), "w") as f:
        f.write("# Fake floor data\n\nSynthetic features from scripts/floor/fake_data.py, for testing only.\n\n"
                "## Held-back split\n\nSame templates as train/val, other seeds, feature noise x1.4.\n")
    print("wrote %d episodes to %s" % (idx, args.out))


if __name__ == "__main__":
    main()
