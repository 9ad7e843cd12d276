#!/usr/bin/env python3
"""Labelled texts for the floor policy's text model, from our own phrase files.

    python3 scripts/text/generate.py --out DIR [--seed 1]

Reads scripts/floor/phrases/*.txt (train side) and *_heldback.txt (held-back side) and writes
DIR/{train,val,heldback}.jsonl, one row a line:

    {"text": "Set a timer for 10 minutes.", "label": "request", "source": "requests:12"}

A pause prefix that reads as a whole sentence also carries its training target, half request,
half unfinished (`SENTENCE_PREFIX_TARGET`):

    {"text": "Is it going to snow", "label": "unfinished", "source": "requests:8#pause1",
     "target": {"request": 0.5, "unfinished": 0.5}}

`source` is "<pool>:<line number in the phrase file>" (1-based, comment lines counted); a text
built from several lines joins them with "+" ("interrupt_openers:3+interruptions:20"). Held-back
pools are named "<pool>_heldback". Labels, in this order (the model's output order):

    request, unfinished, backchannel, interruption, side_talk, phone, background

Splits: val is a seeded 10 % of the *source lines* of every train-side pool (names and openers
included), so val phrasings are unseen by train; held-back draws only on *_heldback.txt (names
from names_heldback.txt). Texts are made to look like Whisper tiny.en transcripts (see
`Aug`). After generation, a text whose words (normalized as the Rust `normalize` does) occur under
two labels in a split keeps only the label that comes first in PRIORITY; a val text whose words
occur in train, and a held-back text whose words occur in train or val, is dropped. Everything
is drawn from `random.Random` seeded by (seed, split, pool): the same seed gives byte-identical
files. DIR/summary.json holds the counts and the val source lines.
"""

import argparse
import json
import os
import random
import re
import sys
from collections import Counter, OrderedDict

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from rules import normalize  # noqa: E402

PHRASES = os.path.normpath(os.path.join(HERE, "..", "floor", "phrases"))
LABELS = ("request", "unfinished", "backchannel", "interruption", "side_talk", "phone", "background")
SPLITS = ("train", "val", "heldback")
GENERATOR_VERSION = "2"
VAL_FRACTION = 0.10

# When one text (its normalized words) is made under two labels in a split, the earlier label
# here wins: a lone "okay" is a backchannel before it is someone else's reply, "wait" is a cut-in
# before it is the start of a request.
PRIORITY = ("backchannel", "interruption", "request", "unfinished", "side_talk", "phone", "background")

POOLS = ("requests", "request_openers", "backchannels", "interrupt_openers", "interruptions", "names",
         "side_talk", "other_replies", "phone", "background")

# ---- generator-only word lists (never used by the model or the rules) -----------------------------

# A truncated request may end right after one of these: no sentence ends on them.
FUNCTION_WORDS = frozenset("""
a an the and or but because if than so that my your our their his her its this these those some any
to for about with in on at from by into of like is are was were be been am do does did can could would
will should shall might must have has had i'm it's we're you're they're there's what's gonna wanna
gotta want need how what which who where when why whether um uh er erm i we they he she every another
""".split())

# A cut that removes two or more words after a content word is refused when the removed part
# opens with one of these: what is left is then usually a whole sentence ("Remind me to call my
# mother | at five", "What time is it in Tokyo | right now").
NO_CUT_BEFORE = frozenset("""
at in on for to from by with about into of and or but so then when if please again instead too first
later now today tonight tomorrow yesterday right here there this that last next every quietly nearby
until before after while as than near without
""".split())

# Adverbs that close a sentence: a cut right before one leaves a whole sentence even after a
# function word ("How humid will it be | tomorrow afternoon", "What's the weather like | today").
CLOSING_ADVERBS = frozenset("""
please again instead too first later now today tonight tomorrow yesterday right here there quietly
nearby
""".split())

# The target of a pause prefix that reads as a whole sentence (`reads_whole`): the user went on
# this time, but the same words are often a whole request.
SENTENCE_PREFIX_TARGET = (("request", 0.5), ("unfinished", 0.5))

# Openers a transcript may lose ("Hey, what's the weather?" -> "What's the weather?").
OPENER_HEADS = ("hey there", "hey, um", "hey", "um", "uh", "okay so", "ok so", "so", "okay", "ok", "right",
                "alright", "well", "oh", "hmm", "yeah so", "yeah", "erm", "er", "listen", "quick question",
                "excuse me", "sorry", "actually", "wait", "ah", "hiya")
_OPENER_RE = re.compile(r"^(?:%s),\s+" % "|".join(re.escape(h) for h in sorted(OPENER_HEADS, key=len, reverse=True)),
                        re.I)

QUESTION_WORDS = frozenset("""
what what's whats how how's who who's whose where where's when why which is are am was were do does did
can could would will should shall have has may might any anything
""".split())

# How Whisper tiny.en spells listener sounds.
WHISPER_BACKCHANNELS = {
    "mm hm": ("Mm-hmm.", "Mm-hm.", "Mhm."),
    "mhm": ("Mm-hmm.", "Mhm."),
    "mm": ("Mm.", "Mm-hmm."),
    "hmm": ("Hmm.", "Hmm?"),
    "uh huh": ("Uh-huh.", "Uh huh."),
    "uh hmm": ("Uh-hmm.", "Mm-hmm."),
    "ok": ("Okay.", "OK."),
    "ok ok": ("Okay, okay.", "OK, OK."),
    "haha": ("Haha.", "Ha ha."),
    "hahaha": ("Hahaha.", "Ha ha ha."),
    "ha ha": ("Ha ha.", "Haha."),
}

# ---- numbers in words -> digits ----------------------------------------------------------------------

UNITS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen".split())}
TENS = {w: 10 * (i + 2) for i, w in enumerate("twenty thirty forty fifty sixty seventy eighty ninety".split())}
SCALES = {"hundred": 100, "thousand": 1000}


def _below_hundred(ws, i):
    """(value, words used) of "twenty five" / "seven" / "thirty" at ws[i], or (0, 0)."""
    if i < len(ws) and ws[i] in TENS:
        if i + 1 < len(ws) and ws[i + 1] in UNITS and 0 < UNITS[ws[i + 1]] < 10:
            return TENS[ws[i]] + UNITS[ws[i + 1]], 2
        return TENS[ws[i]], 1
    if i < len(ws) and ws[i] in UNITS:
        return UNITS[ws[i]], 1
    return 0, 0


def _below_thousand(ws, i):
    """(value, words used) of "three hundred and fifty" / "one hundred forty four" / "twelve"."""
    v, n = _below_hundred(ws, i)
    j = i + n
    if j < len(ws) and ws[j] == "hundred" and (n == 0 or v < 10 and v > 0):
        v, j = (v or 1) * 100, j + 1
        k = j + 1 if j < len(ws) and ws[j] == "and" else j
        r, m = _below_hundred(ws, k)
        if m:
            v, j = v + r, k + m
    return v, j - i


def _parse_numbers(ws):
    """Greedy parse of number words into numbers: "seven thirty" -> [7, 30],
    "three hundred and fifty" -> [350], "four seven two nine" -> [4, 7, 2, 9]; None if the
    words do not parse."""
    out, i = [], 0
    while i < len(ws):
        v, n = _below_thousand(ws, i)
        j = i + n
        if j < len(ws) and ws[j] == "thousand":
            v, j = (v if n else 1) * 1000, j + 1
            k = j + 1 if j < len(ws) and ws[j] == "and" else j
            r, m = _below_thousand(ws, k)
            if m:
                v, j = v + r, k + m
        if j == i:
            return None
        out.append(v)
        i = j
    return out


def _span_to_digits(ws):
    """Digits for a span of number words, or None to leave it in words."""
    nums = _parse_numbers(ws)
    if not nums:
        return None
    if len(nums) == 1:
        return str(nums[0])
    if len(nums) == 2 and 1 <= nums[0] <= 12 and 10 <= nums[1] <= 59:
        return "%d:%02d" % tuple(nums)  # "seven thirty" -> 7:30
    if all(0 <= n <= 9 for n in nums):
        return "".join(str(n) for n in nums)  # "four seven two nine" -> 4729
    return None


_TOKEN_RE = re.compile(r"[A-Za-z]+(?:-[A-Za-z]+)*|[^A-Za-z]+")


def numbers_to_digits(text):
    """Number words -> digits as Whisper often writes them: "ten minutes" -> "10 minutes",
    "seven thirty" -> "7:30", "thirty percent" -> "30%", "a hundred pounds" -> "100 pounds".
    A lone "one" stays a word ("the next one")."""
    toks = _TOKEN_RE.findall(text)
    out, i = [], 0
    while i < len(toks):
        t = toks[i]
        low = t.lower()
        parts = low.split("-")
        is_num = all(p in UNITS or p in TENS or p in SCALES for p in parts)
        a_scale = (low == "a" and i + 2 < len(toks) and toks[i + 1] == " " and toks[i + 2].lower() in SCALES)
        if not (is_num or a_scale):
            out.append(t)
            i += 1
            continue
        # Collect the span: number words separated by single spaces ("and" inside after a scale).
        words, j, last = [], i, i
        if a_scale:
            words.append("one")
            j = i + 2
        while j < len(toks):
            w = toks[j].lower()
            ps = w.split("-")
            if all(p in UNITS or p in TENS or p in SCALES for p in ps):
                words.extend(ps)
                last = j
            elif w == "and" and words and words[-1] in SCALES:
                words.append("and")
            else:
                break
            if j + 1 < len(toks) and toks[j + 1] == " ":
                j += 2
            else:
                break
        while words and words[-1] == "and":
            words.pop()
        digits = None if words == ["one"] else _span_to_digits(words)
        if digits is None:
            out.append(t)
            i += 1
            continue
        i = last + 1
        if i + 1 < len(toks) and toks[i] == " " and toks[i + 1].lower() == "percent":
            digits += "%"
            i += 2
        out.append(digits)
    return "".join(out)


# ---- text helpers ------------------------------------------------------------------------------------


def squash(s):
    return re.sub(r"\s+", " ", s.replace("|", " ")).strip()


def strip_bars(s):
    s = re.sub(r"\s*\|\s*", " ", s)
    s = re.sub(r"\s+([,.?!])", r"\1", s)
    return squash(s)


def cap(s):
    for i, c in enumerate(s):
        if c.isalpha():
            return s[:i] + c.upper() + s[i + 1:]
        if c.isdigit():
            return s
    return s


def decap(s):
    """Lower the first letter, unless the first word is "I..." (or a name the caller keeps)."""
    first = s.split(" ", 1)[0]
    if re.match(r"^I('|\b)", first) or first.isupper():
        return s
    return s[:1].lower() + s[1:]


def first_word(s):
    ws = normalize(s).split()
    return ws[0] if ws else ""


def last_word(s):
    ws = normalize(s).split()
    return ws[-1] if ws else ""


def is_question(s):
    return first_word(_OPENER_RE.sub("", s)) in QUESTION_WORDS


def end_punct(s):
    """Whisper ends a sentence with punctuation: add "." or "?" if none."""
    s = s.rstrip()
    if not s or s[-1] in ".?!":
        return s
    s = s.rstrip(",;:")
    return s + ("?" if is_question(s) else ".")


def bare(s):
    """Without trailing punctuation."""
    return s.rstrip().rstrip(".?!,;:").rstrip()


class Aug:
    """Whisper-like variants of a transcript, drawn from `rng`:

    drop_commas       Whisper often leaves commas out
    drop_end          no trailing punctuation (partial transcripts)
    swap_end          "?" -> "." (flat questions); "." -> "?" if it opens like a question
    lower             all lower case
    digits            number words -> digits ("10 minutes", "7:30", "30%")
    drop_opener       a leading "Hey, " / "Um, " / "Okay so, " lost
    """

    def __init__(self, rng):
        self.rng = rng

    def transforms(self, s):
        r = self.rng
        t = s
        if r.random() < 0.35 and _OPENER_RE.match(t):
            t = cap(_OPENER_RE.sub("", t, count=1))
        if r.random() < 0.5:
            t2 = numbers_to_digits(t)
            if t2 != t:
                t = cap(t2) if t[:1].isupper() else t2
        if r.random() < 0.3:
            t = re.sub(r",\s*", " ", t)
        x = r.random()
        if x < 0.2:
            t = bare(t)
        elif x < 0.35:
            if t.endswith("?"):
                t = t[:-1] + "."
            elif t.endswith(".") and not t.endswith("...") and is_question(t):
                t = t[:-1] + "?"
            elif t.endswith("!"):
                t = t[:-1] + "."
        if r.random() < 0.15:
            t = t.lower()
        return squash(t)

    def variants(self, s, n):
        """`s` and up to `n` distinct variants of it."""
        out = [s]
        for _ in range(n * 3):
            if len(out) > n:
                break
            v = self.transforms(s)
            if v and v not in out:
                out.append(v)
        return out


def unfinished_endings(rng, frag, n=2):
    """Up to n renderings of a fragment the user stopped after: no punctuation, "..." (speech
    trails off), "," or, as tiny.en also writes, "." / "?"."""
    frag = bare(frag)
    out = []
    for _ in range(n * 4):
        if len(out) >= n:
            break
        x = rng.random()
        if x < 0.4:
            t = frag
        elif x < 0.7:
            t = frag + "..."
        elif x < 0.8:
            t = frag + ","
        else:
            t = frag + ("?" if is_question(frag) else ".")
        if rng.random() < 0.4:
            d = numbers_to_digits(t)
            t = cap(d) if t[:1].isupper() else d
        if rng.random() < 0.1:
            t = t.lower()
        if t not in out:
            out.append(t)
    return out


# ---- reading the phrase files ------------------------------------------------------------------------


def read_pool(pool, heldback):
    """[(line number, text)] of a phrase file, comments and blank lines skipped."""
    path = os.path.join(PHRASES, pool + ("_heldback" if heldback else "") + ".txt")
    out = []
    with open(path, encoding="utf-8") as f:
        for i, ln in enumerate(f, 1):
            t = ln.strip()
            if t and not t.startswith("#"):
                out.append((i, t))
    return out


def split_pools(seed):
    """{split: {pool: [(line, text)]}} with val a seeded 10 % of each train-side pool's lines."""
    out = {s: {} for s in SPLITS}
    val_lines = {}
    for pool in POOLS:
        lines = read_pool(pool, False)
        rng = random.Random("%d/val/%s" % (seed, pool))
        k = max(1, int(round(VAL_FRACTION * len(lines))))
        val_idx = set(rng.sample(range(len(lines)), k))
        out["train"][pool] = [x for i, x in enumerate(lines) if i not in val_idx]
        out["val"][pool] = [x for i, x in enumerate(lines) if i in val_idx]
        out["heldback"][pool] = read_pool(pool, True)
        val_lines[pool] = sorted(lines[i][0] for i in val_idx)
    return out, val_lines


# ---- generation ----------------------------------------------------------------------------------------


class Rows:
    def __init__(self, tag):
        self.tag = tag  # "" or "_heldback"
        self.rows = []

    def src(self, pool, line):
        return "%s%s:%d" % (pool, self.tag, line)

    def add(self, texts, label, source, target=None):
        for t in texts:
            t = squash(t)
            if t:
                row = OrderedDict((("text", t), ("label", label), ("source", source)))
                if target:
                    row["target"] = OrderedDict(target)
                self.rows.append(row)


def reads_whole(left):
    """The words before a pause or cut may be a whole sentence: they end on a content word
    ("Remind me to call my mother", "Could you turn on the lights", "What time is it"), not on a
    function word ("I was thinking about", "Set a timer for"). Which it was, only the voice
    tells: the user went on this time, but the same words are as often all a user says."""
    return last_word(left) not in FUNCTION_WORDS


def has_opener(s):
    """The line already opens with an interjection ("Hey, ...", "Okay so, | ...")."""
    head = strip_bars(s).split(",", 1)
    return len(head) == 2 and len(head[0].split()) <= 2


def gen_requests(R, pools, seed, split):
    rng = random.Random("%d/%s/requests" % (seed, split))
    aug = Aug(rng)
    openers = [t for _, t in pools["request_openers"]]
    for line, raw in pools["requests"]:
        src = R.src("requests", line)
        full = strip_bars(raw)
        R.add(aug.variants(full, 3), "request", src)
        if openers and not has_opener(raw):
            oi = rng.randrange(len(openers))
            o_line = pools["request_openers"][oi][0]
            with_op = "%s %s" % (openers[oi], decap(full))
            R.add(aug.variants(with_op, 1), "request", src + "+" + R.src("request_openers", o_line))

        # unfinished (a): the words before each "|" (where the user may pause). A prefix that
        # may be a whole sentence ("Remind me to call my mother | at five") is as often all a
        # user says: unless its ending shows the voice trailing off, its target is
        # SENTENCE_PREFIX_TARGET, so that the voice (smart-turn, the floor model) tells the two
        # apart, not the words.
        parts = [p.strip() for p in raw.split("|")]
        for k in range(1, len(parts)):
            prefix = strip_bars(" | ".join(parts[:k]))
            whole = reads_whole(prefix)
            for t in unfinished_endings(rng, prefix, 2):
                # "..." and "," show the voice trailing off: those stay unfinished.
                trails = t.endswith(("...", ","))
                target = SENTENCE_PREFIX_TARGET if whole and not trails else None
                R.add([t], "unfinished", src + "#pause%d" % k, target)

        # unfinished (b): cut 1-4 words before the end (at least 2 words left), right after a
        # function word (unless the removed part opens with a closing adverb: CLOSING_ADVERBS), or
        # 2+ words after a content word when the removed part does not open like an adjunct
        # (NO_CUT_BEFORE).
        ws = full.split()
        cuts = []
        for r in range(1, 5):
            if len(ws) - r < 2:
                break
            left, removed = ws[:len(ws) - r], ws[len(ws) - r:]
            lw, rf = last_word(" ".join(left)), first_word(" ".join(removed))
            if ((lw in FUNCTION_WORDS and rf not in CLOSING_ADVERBS)
                    or (r >= 2 and rf not in NO_CUT_BEFORE and rf not in FUNCTION_WORDS)):
                cuts.append(r)
        # A cut that leaves a whole sentence ("Could you turn on the lights | downstairs") has the
        # pause prefix's target too, unless it trails off.
        for r in rng.sample(cuts, min(2, len(cuts))):
            frag = " ".join(ws[:len(ws) - r])
            for t in unfinished_endings(rng, frag, 1):
                whole = reads_whole(frag) and not t.endswith(("...", ","))
                R.add([t], "unfinished", src + "#cut%d" % r, SENTENCE_PREFIX_TARGET if whole else None)


def gen_backchannels(R, pools, seed, split):
    rng = random.Random("%d/%s/backchannels" % (seed, split))
    lines = pools["backchannels"]
    for line, raw in lines:
        src = R.src("backchannels", line)
        key = normalize(raw.replace("-", " "))
        vs = [raw, end_punct(cap(raw))]
        if key in WHISPER_BACKCHANNELS:
            vs.extend(WHISPER_BACKCHANNELS[key])
        elif rng.random() < 0.5:
            vs.append(cap(raw) + rng.choice(("!", "?", "...")))
        R.add(list(OrderedDict.fromkeys(vs)), "backchannel", src)
    # Two strung together ("Yeah, okay.", "Mm-hmm. Right.").
    short = [(ln, t) for ln, t in lines if len(normalize(t).split()) <= 2]
    for _ in range(len(lines) // 2):
        (l1, a), (l2, b) = rng.sample(short, 2) if len(short) >= 2 else (short[0], short[0])
        sep = rng.choice((", ", ". ", " "))
        t = cap(bare(a)) + sep + (cap(bare(b)) if sep == ". " else bare(b).lower()) + "."
        R.add([t], "backchannel", R.src("backchannels", l1) + "+" + R.src("backchannels", l2))


def gen_interruptions(R, pools, seed, split):
    rng = random.Random("%d/%s/interruptions" % (seed, split))
    aug = Aug(rng)
    openers = pools["interrupt_openers"]
    standalone = [(ln, t) for ln, t in openers if t.endswith(".")]
    leading = [(ln, t) for ln, t in openers if not t.endswith(".")]
    for line, body in pools["interruptions"]:
        src = R.src("interruptions", line)
        R.add(aug.variants(cap(body), 2), "interruption", src)
        for ln, op in rng.sample(leading, min(2, len(leading))):
            R.add(aug.variants("%s %s" % (op, body), 1), "interruption",
                  R.src("interrupt_openers", ln) + "+" + src)
        if standalone and rng.random() < 0.35:
            ln, op = rng.choice(standalone)
            R.add(aug.variants("%s %s" % (op, cap(body)), 0), "interruption",
                  R.src("interrupt_openers", ln) + "+" + src)
    for ln, op in openers:
        src = R.src("interrupt_openers", ln)
        if op.endswith("."):
            vs = [op, op[:-1] + "!", bare(op)]
        else:  # said alone: "Wait, wait." / "Hang on..." / "Sorry,"
            b = bare(op)
            vs = [b + ".", b + rng.choice(("!", "...", ","))]
        R.add(list(OrderedDict.fromkeys(vs + aug.variants(vs[0], 1)[1:])), "interruption", src)


def fill_name(template, name):
    return template.replace("{name}", name)


def drop_name(template):
    t = re.sub(r"^\{name\},\s*", "", template)
    t = re.sub(r",\s*\{name\}", "", t)
    t = t.replace("{name}", "")
    return cap(squash(t))


def gen_side_talk(R, pools, seed, split):
    rng = random.Random("%d/%s/side_talk" % (seed, split))
    aug = Aug(rng)
    names = pools["names"]
    for line, tpl in pools["side_talk"]:
        src = R.src("side_talk", line)
        if "{name}" in tpl:
            R.add(aug.variants(drop_name(tpl), 2), "side_talk", src)
            for ln, name in rng.sample(names, min(2, len(names))):
                R.add(aug.variants(fill_name(tpl, name), 1), "side_talk", src + "+" + R.src("names", ln))
        else:
            R.add(aug.variants(tpl, 3), "side_talk", src)
            if names and rng.random() < 0.3:  # a name in front of a line written without one
                ln, name = rng.choice(names)
                R.add([name + ", " + decap(tpl)], "side_talk", src + "+" + R.src("names", ln))
    for line, t in pools["other_replies"]:
        R.add(aug.variants(t, 2), "side_talk", R.src("other_replies", line))


def gen_strung(R, pools, seed, split, pool, label, n_var, pair_frac):
    rng = random.Random("%d/%s/%s" % (seed, split, pool))
    aug = Aug(rng)
    lines = pools[pool]
    for line, t in lines:
        R.add(aug.variants(t, n_var), label, R.src(pool, line))
    # Lines strung together (a TV programme, a phone turn of two phrases): mostly neighbours.
    for _ in range(int(round(pair_frac * len(lines)))):
        if len(lines) < 2:
            break
        i = rng.randrange(len(lines))
        j = i + 1 if (i + 1 < len(lines) and rng.random() < 0.7) else rng.randrange(len(lines))
        if j == i:
            continue
        (l1, a), (l2, b) = lines[i], lines[j]
        t = a + " " + b
        if rng.random() < 0.3:
            t = aug.transforms(t)
        R.add([t], label, R.src(pool, l1) + "+" + R.src(pool, l2))


def generate_split(pools, seed, split):
    R = Rows("_heldback" if split == "heldback" else "")
    gen_requests(R, pools, seed, split)
    gen_backchannels(R, pools, seed, split)
    gen_interruptions(R, pools, seed, split)
    gen_side_talk(R, pools, seed, split)
    gen_strung(R, pools, seed, split, "phone", "phone", 3, 0.4)
    gen_strung(R, pools, seed, split, "background", "background", 2, 1.0)
    return R.rows


def resolve(rows, seen_keys):
    """Drop exact duplicates (text and label), texts whose words were made under a label earlier in
    PRIORITY, and texts whose words are in `seen_keys` (an earlier split's). Returns rows and a
    Counter of what was dropped why."""
    best = {}
    for r in rows:
        k = normalize(r["text"])
        p = PRIORITY.index(r["label"])
        best[k] = min(best.get(k, p), p)
    out, seen, dropped = [], set(), Counter()
    for r in rows:
        k = normalize(r["text"])
        if not k:
            dropped["empty"] += 1
        elif (r["text"], r["label"]) in seen:
            dropped["duplicate"] += 1
        elif PRIORITY.index(r["label"]) != best[k]:
            dropped["label conflict (%s lost to %s)" % (r["label"], PRIORITY[best[k]])] += 1
        elif k in seen_keys:
            dropped["words seen in an earlier split"] += 1
        else:
            seen.add((r["text"], r["label"]))
            out.append(r)
    return out, dropped


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    pools, val_lines = split_pools(args.seed)
    seen_keys = set()
    summary = OrderedDict(generator="scripts/text/generate.py", generator_version=GENERATOR_VERSION,
                          seed=args.seed, command="python3 scripts/text/generate.py --out %s --seed %d" % (
                              args.out, args.seed),
                          labels=list(LABELS), counts=OrderedDict(), source_lines=OrderedDict(),
                          dropped=OrderedDict(), val_source_lines=val_lines)
    for split in SPLITS:
        rows, dropped = resolve(generate_split(pools[split], args.seed, split), seen_keys)
        seen_keys |= {normalize(r["text"]) for r in rows}
        with open(os.path.join(args.out, split + ".jsonl"), "w", encoding="utf-8", newline="\n") as f:
            for r in rows:
                f.write(json.dumps(r, ensure_ascii=False) + "\n")
        c = Counter(r["label"] for r in rows)
        summary["counts"][split] = OrderedDict((lab, c[lab]) for lab in LABELS)
        summary["counts"][split]["total"] = len(rows)
        summary["counts"][split]["with_target"] = sum(1 for r in rows if "target" in r)
        summary["source_lines"][split] = OrderedDict((p, len(pools[split][p])) for p in POOLS)
        summary["dropped"][split] = OrderedDict(sorted(dropped.items()))
    with open(os.path.join(args.out, "summary.json"), "w", encoding="utf-8", newline="\n") as f:
        json.dump(summary, f, indent=1)
        f.write("\n")

    print("%-13s" % "label" + "".join("%9s" % s for s in SPLITS))
    for lab in LABELS + ("total",):
        print("%-13s" % lab + "".join("%9d" % summary["counts"][s][lab] for s in SPLITS))
    for s in SPLITS:
        print("%s: source lines %s" % (s, ", ".join("%s %d" % kv for kv in summary["source_lines"][s].items())))
        for why, n in summary["dropped"][s].items():
            print("  dropped %5d  %s" % (n, why))
    print("wrote %s/{train,val,heldback}.jsonl, summary.json" % args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
