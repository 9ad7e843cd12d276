"""Episode templates for the floor-model data generator. Each takes a Builder, places what
happens, and returns its variant name.
"""

from __future__ import annotations

from floor_scene import MAX_S, Builder

# name -> (weight, whether the user's voice may be a real recording)
TEMPLATES = {
    "request": (0.18, True),
    "backchannel": (0.14, False),
    "interruption": (0.16, True),
    "side_talk": (0.12, False),
    "phone": (0.08, True),
    "background": (0.12, True),
    "noise": (0.08, False),
    "mix": (0.12, False),
}

NOISE_POOL = ("click", "knock", "cough", "cough", "clatter", "keyboard", "thump", "clap")


def _turns_with_replies(b: Builder, t: float, p_reply: float = 0.65, max_turns: int = 3) -> str:
    """One or more request turns; after each, often the assistant's reply 0.3-1.2 s after its
    end, otherwise 1.5-3 s of silence. Returns "reply", "silence" or "both"."""
    replies, silences = 0, 0
    for n in range(max_turns):
        end = b.request_turn(t)
        if end is None:
            break
        if b.chance(p_reply):
            a = b.assistant(end + b.u(0.3, 1.2), b.u(2.0, 7.0))
            if a is None:
                break
            replies += 1
            nxt = a.end + b.u(0.3, 1.5)
        else:
            silences += 1
            nxt = end + b.u(1.5, 3.0)
        if nxt + 2.5 > b.target_s or b.chance(0.5):
            break
        t = nxt
    if replies and silences:
        return "both"
    return "reply" if replies else "silence"


def t_request(b: Builder) -> str:
    return _turns_with_replies(b, b.lead())


def _backchannels(b: Builder, a, n: int) -> int:
    """n user backchannels over the assistant's span `a` (some in its sentence gaps)."""
    placed: list[tuple[float, float]] = []
    for _ in range(n):
        clip = b.backchannel_clip()
        for _ in range(10):
            if a.gaps and b.chance(0.3):
                g0, g1 = a.gaps[int(b.rng.integers(len(a.gaps)))]
                at = g0 + b.u(-0.1, 0.2)
            else:
                lo, hi = a.start + 0.6, min(a.end - 0.3, MAX_S - 0.5) - clip.voiced_s
                if hi <= lo:
                    break
                at = b.u(lo, hi)
            end = at + clip.voiced_s
            if end > MAX_S - 0.5:
                continue
            if all(end + 0.5 < s or at > e + 0.5 for s, e in placed):
                b.add_backchannel(clip, at)
                placed.append((at, end))
                break
    return len(placed)


def _assistant_at(b: Builder, t: float):
    """The assistant speaking 4-9 s from t (shorter, or cut at the episode's end, if the
    episode has no room for it)."""
    a = b.assistant(t, b.u(4.0, 9.0), whole=True)
    if a is None:
        a = b.assistant(t, 4.0, whole=True)
    if a is None:
        a = b.assistant(t, 4.0)
    return a


def t_backchannel(b: Builder) -> str:
    t = b.lead()
    variant = "plain"
    if b.chance(0.45):
        end = b.request_turn(t, max_pauses=1, end_by=8.0)
        if end is not None:
            t = end + b.u(0.3, 1.2)
            variant = "after_request"
    a = _assistant_at(b, t)
    _backchannels(b, a, 1 if b.chance(0.5) else 2)
    if b.chance(0.3):
        if b.request_turn(a.end + b.u(0.4, 1.5), max_pauses=1) is not None:
            variant += "+request"
    return variant


def t_interruption(b: Builder, with_backchannel: bool = False) -> str:
    t = b.lead()
    variant = "plain"
    if b.chance(0.4) and b.target_s > 11.0:
        end = b.request_turn(t, max_pauses=1, end_by=6.0)
        if end is not None:
            t = end + b.u(0.3, 1.2)
            variant = "after_request"
    utt = b.assistant_plan(b.u(4.0, 9.0))
    earliest = 0.8
    if with_backchannel:
        clip = b.backchannel_clip()
        bc_at = t + b.u(0.6, 2.0)
        if bc_at + clip.voiced_s < t + utt.voiced_s - 1.5:
            b.add_backchannel(clip, bc_at)
            earliest = min(bc_at + clip.voiced_s - t + b.u(0.6, 2.0), utt.voiced_s - 0.7)
            variant = "backchannel_then_interruption"
    latest = max(earliest + 0.1, min(5.0, utt.voiced_s - 0.5))
    onset = b.pick_onset(utt, t, earliest, latest)
    it = b.interruption_turn(onset)
    if it is None:  # no room: the assistant finishes and nothing cuts in
        b.place_assistant(utt, t, whole=True)
        return variant + "+no_room"
    b.place_assistant(utt, t, cut_at=onset + b.u(0.1, 0.4))
    if b.chance(0.6):
        if b.assistant(it[1] + b.u(0.3, 1.2), b.u(2.0, 6.0)) is not None:
            variant += "+reply"
    return variant


def t_side_talk(b: Builder, then_request: bool = False) -> str:
    t = b.lead()
    variant = "idle"
    if not then_request and b.chance(0.25):
        a = b.assistant(t, b.u(4.0, 9.0), whole=True)
        if a is not None:
            t = a.start + b.u(0.8, 2.5)
            variant = "over_assistant"
    named = False
    for i in range(1 if b.chance(0.6) else 2):
        if b.chance(0.2):  # the other person speaks first
            ev = b.other_line(t)
            if ev is None:
                break
            t = ev["end_ms"] / 1000 + b.u(0.2, 1.0)
        text, name = b.side_talk_text()
        named = named or name is not None
        ev = b.user_line("side_talk", "side_talk", t, text=text, to=name)
        if ev is None:
            break
        t = ev["end_ms"] / 1000
        if b.chance(0.85):
            r = b.other_line(t + b.u(0.2, 1.0))
            if r is not None:
                t = r["end_ms"] / 1000
        t += b.u(0.6, 2.0)
    if then_request:
        _turns_with_replies(b, t + b.u(0.0, 0.8), p_reply=0.6, max_turns=1)
        variant = "then_request"
    return variant + ("+name" if named else "")


def t_phone(b: Builder, then_request: bool = False) -> str:
    t = b.lead()
    variant = "call"
    if b.chance(0.25):
        ring = b.add_noise("ringtone", t, rel=(-10.0, 0.0))
        if ring is not None:
            t = ring["end_ms"] / 1000 + b.u(0.5, 1.5)
            variant = "ring+call"
    faint = b.chance(0.4)
    n = int(b.rng.integers(1, 3 if then_request else 5))
    end = t
    for i in range(n):
        ev = b.user_line("phone", "phone", t, rel=(-3.0, 2.0))
        if ev is None:
            break
        end = ev["end_ms"] / 1000
        gap = b.u(1.0, 3.0)
        if faint and b.chance(0.7):
            gap = b.u(2.0, 3.0)  # room for the far party's words
            b.earpiece_line(end + b.u(0.2, 0.4), gap - 0.7)
        t = end + gap
    if faint:
        variant += "+faint_party"
    if then_request:
        _turns_with_replies(b, end + b.u(1.0, 2.5), p_reply=0.6, max_turns=1)
        variant += "+request"
    return variant


def t_background(b: Builder) -> str:
    bg = b.add_background()
    u = b.rng.random()
    if u < 0.25:
        if b.chance(0.3):
            b.add_noise(NOISE_POOL[int(b.rng.integers(len(NOISE_POOL)))], b.u(1.0, b.target_s - 1.0))
        b.require(b.target_s)
        return f"{bg.source}:alone"
    if u < 0.7:
        return f"{bg.source}:request+" + _turns_with_replies(b, b.lead(), p_reply=0.5, max_turns=2)
    a = b.assistant(b.lead(), b.u(4.0, 9.0), whole=True)
    if a is not None and not b.user_is_recording and b.chance(0.3):
        _backchannels(b, a, 1)
    return f"{bg.source}:assistant"


def _bursts(b: Builder, lo: float, hi: float, n: int) -> int:
    placed: list[tuple[float, float]] = []
    for _ in range(n):
        for _ in range(6):
            if hi <= lo:
                return len(placed)
            at = b.u(lo, hi)
            if all(abs(at - s) > 0.7 for s, _ in placed):
                ev = b.add_noise(NOISE_POOL[int(b.rng.integers(len(NOISE_POOL)))], at)
                if ev is not None:
                    placed.append((at, ev["end_ms"] / 1000))
                break
    return len(placed)


def t_noise(b: Builder) -> str:
    if b.chance(0.75):
        t = b.lead()
        if b.chance(0.3) and b.target_s > 11.0:
            end = b.request_turn(t, max_pauses=1, end_by=7.0)
            if end is not None:
                t = end + b.u(0.3, 1.2)
        a = _assistant_at(b, t)
        _bursts(b, a.start + 0.2, a.end - 0.3, int(b.rng.integers(1, 5)))
        return "over_assistant"
    n = _bursts(b, b.lead(), b.target_s - 4.0, int(b.rng.integers(1, 4)))
    if b.chance(0.5):
        last = max((e["end_ms"] for e in b.events), default=0) / 1000
        _turns_with_replies(b, last + b.u(0.5, 1.5), max_turns=1)
        return "idle+request"
    b.require(b.target_s)
    return "idle" if n else "idle_empty"


def t_mix(b: Builder) -> str:
    u = b.rng.random()
    if u < 0.3:
        return "mix:" + t_interruption(b, with_backchannel=True)
    if u < 0.55:
        bg = b.add_background(source="tv" if b.chance(0.7) else "radio")
        t = b.lead()
        end = b.request_turn(t)
        variant = f"{bg.source}_request"
        if end is not None:
            utt = b.assistant_plan(b.u(3.0, 7.0))
            at = end + b.u(0.3, 1.2)
            if b.chance(0.3) and at + 1.5 < MAX_S - 3.0:
                onset = b.pick_onset(utt, at, 0.8, max(0.9, min(4.0, utt.voiced_s - 0.5)))
                it = b.interruption_turn(onset)
                if it is not None:
                    b.place_assistant(utt, at, cut_at=onset + b.u(0.1, 0.4))
                    return f"mix:{variant}+reply+interruption"
            if at < MAX_S - 1.0:
                b.place_assistant(utt, at)
                variant += "+reply"
        return "mix:" + variant
    if u < 0.8:
        return "mix:side_talk_" + t_side_talk(b, then_request=True)
    return "mix:phone_" + t_phone(b, then_request=True)


RUN = {
    "request": t_request, "backchannel": t_backchannel, "interruption": t_interruption,
    "side_talk": t_side_talk, "phone": t_phone, "background": t_background, "noise": t_noise,
    "mix": t_mix,
}
