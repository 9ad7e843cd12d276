"""Floor model data: episode loading, per-frame labels, windows, decision points, rule statistics.

Implements the contract in the floor data contract (episode.json events -> labels per 20 ms frame;
feats.f32 + feats.json written by the Rust extractor). numpy only.

Frame i covers mic samples [320 i, 320 (i + 1)), i.e. [20 i, 20 i + 20) ms. A frame gets the label of
a time span [a, b) when its midpoint 20 i + 10 lies in it. The model's input at frame k is the 64
frames ending at k (oldest first), with zero rows before the episode's start. A decision taken at
time t ms uses the last complete frame, k = floor(t / 20) - 1.
"""

import json
import math
import os

import numpy as np

FRAME_MS = 20
T = 64  # frames in a window (1.28 s)
HEADS = ("turn_complete", "interruption", "addressed")

# The user's own speech (bounds the turn-complete region: "or the next user speech").
USER_SPEECH_KINDS = ("request", "interruption", "backchannel", "side_talk", "phone")
# Turns: requests and interruptions, grouped by `turn`, the last segment `final`.
TURN_KINDS = ("request", "interruption")
# Interruption head: these kinds, when they overlap an assistant span; 1 only for `interruption`.
OVERLAP_KINDS = ("interruption", "backchannel", "noise", "background", "other")
# Addressed head: masked for these kinds.
ADDR_MASKED_KINDS = ("backchannel", "noise", "assistant")
# Addressee decisions are reported for these kinds.
ADDR_KINDS = ("request", "interruption", "side_talk", "phone", "other", "background")

TURN_TAIL_MS = 2000  # turn_complete = 1 from the final segment's end up to 2.0 s after
ADDR_TAIL_MS = 1000  # addressed label extends 1.0 s after a speech event's end

# Decisions this far into each pause / this long after each overlapping onset. 200/500 and 200/300
# are the model's targets; 800 and 700 are where the 700 ms pause rule and the 650 ms run rule can
# first have fired, for a latency-matched comparison with them.
TURN_HORIZONS_MS = (200, 500, 800)
INT_HORIZONS_MS = (200, 300, 700)


def frame_range(a_ms, b_ms, n):
    """Frames whose midpoint lies in [a_ms, b_ms), as a Python range clipped to [0, n)."""
    lo = max(0, math.ceil((a_ms - FRAME_MS / 2) / FRAME_MS))
    hi = min(n, math.ceil((b_ms - FRAME_MS / 2) / FRAME_MS))
    return lo, max(lo, hi)


def decision_frame(t_ms):
    """The last complete frame at time t_ms."""
    return int(t_ms // FRAME_MS) - 1


def _events(ep):
    evs = [dict(e) for e in ep.get("events", [])]
    evs.sort(key=lambda e: (e["start_ms"], e["end_ms"], e["kind"]))
    return evs


def _turns(evs):
    """{turn_key: [segments sorted by start]} for request/interruption events.

    A segment without `turn` is a turn of its own; a segment without `final` is final."""
    turns = {}
    for i, e in enumerate(evs):
        if e["kind"] not in TURN_KINDS:
            continue
        key = e.get("turn")
        key = ("t", key) if key is not None else ("solo", i)
        turns.setdefault(key, []).append(e)
    for segs in turns.values():
        segs.sort(key=lambda e: e["start_ms"])
    return turns


def _is_final(seg):
    return bool(seg.get("final", True))


def _next_user_speech(evs, t_ms):
    """Start of the first user speech event starting at or after t_ms (inf if none)."""
    best = math.inf
    for e in evs:
        if e["kind"] in USER_SPEECH_KINDS and e["start_ms"] >= t_ms:
            best = min(best, e["start_ms"])
    return best


def _next_assistant_start(evs, t_ms):
    """Start of the first assistant speech at or after t_ms (inf if none). Once the assistant
    answers, the turn was taken: frames after that would only teach the model to hear our own
    reply, which the live loop never waits for."""
    starts = [e["start_ms"] for e in evs if e["kind"] == "assistant" and e["start_ms"] >= t_ms]
    return min(starts, default=float("inf"))


def _assistant_spans(evs):
    return [(e["start_ms"], e["end_ms"]) for e in evs if e["kind"] == "assistant"]


def _overlap_onset(e, spans):
    """Onset of e's first overlap with an assistant span, or None."""
    onsets = [max(e["start_ms"], s) for (s, t) in spans if e["start_ms"] < t and s < e["end_ms"]]
    return min(onsets) if onsets else None


def derive_labels(ep, n):
    """Per-frame labels y [n, 3] (float32 0/1) and mask m [n, 3] (bool), heads in HEADS order."""
    y = np.zeros((n, 3), np.float32)
    m = np.zeros((n, 3), bool)
    evs = _events(ep)
    dur = ep.get("duration_ms", n * FRAME_MS)

    # turn_complete: 1 after a turn's final segment (to +2 s or the next user speech), 0 in the
    # pauses between segments of one turn. Positives painted first, in-turn pauses override.
    for segs in _turns(evs).values():
        for s in segs:
            if _is_final(s):
                end = s["end_ms"]
                b = min(end + TURN_TAIL_MS, _next_user_speech(evs, end),
                        _next_assistant_start(evs, end), dur)
                lo, hi = frame_range(end, b, n)
                y[lo:hi, 0] = 1.0
                m[lo:hi, 0] = True
        for a, b in zip(segs, segs[1:]):
            lo, hi = frame_range(a["end_ms"], b["start_ms"], n)
            y[lo:hi, 0] = 0.0
            m[lo:hi, 0] = True

    # interruption: whole extent of overlapping interruption/backchannel/noise/background/other;
    # 1 only for `interruption`, which wins where it overlaps the others.
    spans = _assistant_spans(evs)
    for want in (0.0, 1.0):
        for e in evs:
            if e["kind"] not in OVERLAP_KINDS or _overlap_onset(e, spans) is None:
                continue
            val = 1.0 if e["kind"] == "interruption" else 0.0
            if val != want:
                continue
            lo, hi = frame_range(e["start_ms"], e["end_ms"], n)
            y[lo:hi, 1] = val
            m[lo:hi, 1] = True

    # addressed: inside speech events and up to 1 s after their end. Painting order (later wins):
    # tails of not-addressed, tails of addressed, speech of not-addressed, speech of addressed.
    # So actual speech beats a neighbour's tail, and where addressed and not-addressed speech
    # overlap the addressed one wins (the contract's rule).
    addr_evs = [e for e in evs if e["kind"] not in ADDR_MASKED_KINDS and "addressed" in e]
    for part in ("tail", "speech"):
        for want in (False, True):
            for e in addr_evs:
                if bool(e["addressed"]) != want:
                    continue
                if part == "tail":
                    lo, hi = frame_range(e["end_ms"], e["end_ms"] + ADDR_TAIL_MS, n)
                else:
                    lo, hi = frame_range(e["start_ms"], e["end_ms"], n)
                y[lo:hi, 2] = 1.0 if want else 0.0
                m[lo:hi, 2] = True
    return y, m


def episode_decisions(ep, n, y, m):
    """Decision points of one episode: list of dicts
    {type, horizon_ms, kind, frame, label} (frame local to the episode).

    turn:  every pause after a request/interruption segment, at TURN_HORIZONS_MS into it, while the
           pause lasts (before the next user speech and the episode's end). label = segment is final.
    int:   every interruption/backchannel/noise/background/other event overlapping an assistant span,
           at INT_HORIZONS_MS (200, 300, 700 ms) after the overlap's onset. label = kind is interruption.
    addr:  every speech event of ADDR_KINDS, at its end. label = its `addressed`; skipped (counted as
           type addr_ambiguous) when the frame label there differs (overlapping addressed speech)."""
    out = []
    evs = _events(ep)
    dur = ep.get("duration_ms", n * FRAME_MS)
    for segs in _turns(evs).values():
        for s in segs:
            end = s["end_ms"]
            stop = min(_next_user_speech(evs, end), _next_assistant_start(evs, end), dur)
            for h in TURN_HORIZONS_MS:
                t = end + h
                k = decision_frame(t)
                if t < stop and 0 <= k < n:
                    out.append(dict(type="turn", horizon_ms=h, kind=s["kind"], frame=k,
                                    label=int(_is_final(s))))
    spans = _assistant_spans(evs)
    for e in evs:
        if e["kind"] not in OVERLAP_KINDS:
            continue
        onset = _overlap_onset(e, spans)
        if onset is None:
            continue
        for h in INT_HORIZONS_MS:
            t = onset + h
            k = decision_frame(t)
            if t <= dur and 0 <= k < n:
                out.append(dict(type="int", horizon_ms=h, kind=e["kind"], frame=k,
                                label=int(e["kind"] == "interruption")))
    for e in evs:
        if e["kind"] not in ADDR_KINDS or "addressed" not in e:
            continue
        k = min(decision_frame(e["end_ms"]), n - 1)
        if k < 0:
            continue
        lab = int(bool(e["addressed"]))
        if not m[k, 2] or int(y[k, 2]) != lab:
            out.append(dict(type="addr_ambiguous", horizon_ms=0, kind=e["kind"], frame=k, label=lab))
            continue
        out.append(dict(type="addr", horizon_ms=0, kind=e["kind"], frame=k, label=lab))
    return out


class Split:
    """One split's episodes, features concatenated with T-1 zero rows before each episode, so the
    window ending at global row g is X[g - T + 1 : g + 1]."""

    def __init__(self, name):
        self.name = name
        self.episodes = []  # dicts: id, template, duration_ms, n, offset, seed, path
        self.skipped_no_features = 0
        self.skipped_bad = []
        self.X = None
        self.Y = None
        self.M = None
        self.decisions = []  # dicts with global row `g` and episode index `ep`

    @property
    def n_frames(self):
        return sum(e["n"] for e in self.episodes)


def load_split(root, name, names_ref=None):
    """Load DIR/name/*/ (episode.json + feats.f32 + feats.json). Returns (Split, names, version)."""
    sp = Split(name)
    d = os.path.join(root, name)
    xs, ys, ms = [], [], []
    names, version = names_ref, None
    offset = 0
    if not os.path.isdir(d):
        return sp, names, version
    for sub in sorted(os.listdir(d)):
        p = os.path.join(d, sub)
        ej = os.path.join(p, "episode.json")
        if not os.path.isdir(p) or not os.path.exists(ej):
            continue
        ff, fj = os.path.join(p, "feats.f32"), os.path.join(p, "feats.json")
        if not (os.path.exists(ff) and os.path.exists(fj)):
            sp.skipped_no_features += 1
            continue
        with open(ej) as f:
            ep = json.load(f)
        with open(fj) as f:
            fm = json.load(f)
        n, F = int(fm["n_frames"]), int(fm["n_features"])
        if fm.get("frame_ms", FRAME_MS) != FRAME_MS:
            sp.skipped_bad.append((sub, "frame_ms %s" % fm.get("frame_ms")))
            continue
        if names is None:
            names = list(fm["names"])
        if list(fm["names"]) != names or F != len(names):
            sp.skipped_bad.append((sub, "feature names differ from the first episode's"))
            continue
        v = fm.get("version")
        if version is None:
            version = v
        elif v != version:
            sp.skipped_bad.append((sub, "feature version %s != %s" % (v, version)))
            continue
        x = np.fromfile(ff, dtype="<f4")
        if x.size != n * F:
            sp.skipped_bad.append((sub, "feats.f32 has %d values, expected %d" % (x.size, n * F)))
            continue
        x = np.nan_to_num(x.reshape(n, F).astype(np.float32), nan=0.0, posinf=0.0, neginf=0.0)
        y, m = derive_labels(ep, n)
        pad = T - 1
        xs += [np.zeros((pad, F), np.float32), x]
        ys += [np.zeros((pad, 3), np.float32), y]
        ms += [np.zeros((pad, 3), bool), m]
        start = offset + pad
        ei = len(sp.episodes)
        for dec in episode_decisions(ep, n, y, m):
            dec["g"] = start + dec["frame"]
            dec["ep"] = ei
            sp.decisions.append(dec)
        sp.episodes.append(dict(id=ep.get("id", sub), template=ep.get("template", "?"),
                                duration_ms=ep.get("duration_ms", n * FRAME_MS), n=n, offset=start,
                                seed=ep.get("seed"), path=p,
                                kinds=sorted({e["kind"] for e in ep.get("events", [])})))
        offset += pad + n
    if xs:
        sp.X = np.concatenate(xs)
        sp.Y = np.concatenate(ys)
        sp.M = np.concatenate(ms)
    return sp, names, version


def windows(X, g):
    """[len(g), T, F] windows ending at global rows g."""
    return X[np.asarray(g)[:, None] + np.arange(-T + 1, 1)[None, :]]


def sample_rows(sp, stride, phase):
    """Global rows with at least one head masked in, every `stride`-th frame of each episode
    (local index + phase divisible by stride)."""
    out = []
    for e in sp.episodes:
        loc = np.arange(e["n"])
        sel = loc[((loc + phase) % stride) == 0]
        g = e["offset"] + sel
        g = g[sp.M[g].any(axis=1)]
        out.append(g)
    return np.concatenate(out) if out else np.zeros(0, np.int64)


# ---- rule baselines, computed from named features --------------------------------------------

def find_feature(names, explicit, patterns):
    """Index of the feature named `explicit`, else of the first name containing one of `patterns`."""
    if explicit:
        return names.index(explicit) if explicit in names else None
    for pat in patterns:
        for i, nm in enumerate(names):
            if pat in nm.lower():
                return i
    return None


def rule_stats(sp, vad_idx, vad_thr, level_idx, level_frames=25):
    """Per decision: the statistic each rule thresholds.
    turn: pause_ms = voice-inactive run (vad < thr) ending at the decision frame;
    int:  run_ms = voice-active run (vad >= thr) ending at the decision frame;
    addr: level = mean of the level feature over the last `level_frames` frames (inside the episode)."""
    stats = np.full(len(sp.decisions), np.nan)
    if vad_idx is not None:
        active = np.zeros(len(sp.X), bool)
        active[:] = sp.X[:, vad_idx] >= vad_thr
        # run lengths of active / inactive frames, restarting at each episode
        run_act = np.zeros(len(sp.X), np.int32)
        run_in = np.zeros(len(sp.X), np.int32)
        for e in sp.episodes:
            a = active[e["offset"]:e["offset"] + e["n"]]
            ra, ri = _runs(a), _runs(~a)
            run_act[e["offset"]:e["offset"] + e["n"]] = ra
            run_in[e["offset"]:e["offset"] + e["n"]] = ri
    for i, d in enumerate(sp.decisions):
        g = d["g"]
        if d["type"] == "turn" and vad_idx is not None:
            stats[i] = run_in[g] * FRAME_MS
        elif d["type"] == "int" and vad_idx is not None:
            stats[i] = run_act[g] * FRAME_MS
        elif d["type"] == "addr" and level_idx is not None:
            e = sp.episodes[d["ep"]]
            lo = max(e["offset"], g - level_frames + 1)
            stats[i] = float(sp.X[lo:g + 1, level_idx].mean())
    return stats


def _runs(b):
    """Length of the run of True ending at each position (0 where False)."""
    out = np.zeros(len(b), np.int32)
    c = 0
    for i, v in enumerate(b):
        c = c + 1 if v else 0
        out[i] = c
    return out
