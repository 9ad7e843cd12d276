"""The floor policy's word-list rules, ported to Python for comparison only.

The word lists are read out of `crates/core/src/interaction/words.rs` (its `const NAME: &[&str]
= &[...]` arrays, `OWN_NAME`, and the two inline lists of `not_addressed_but_level`), so they
cannot drift from the Rust. The functions follow the Rust line by line:

  normalize            crates/core/src/text.rs `normalize`
  is_backchannel       words.rs `is_backchannel`
  sounds_unfinished    words.rs `sounds_unfinished`
  burst_lets_us_go_on  words.rs `burst_lets_us_go_on`
  named_someone_else   the leading-name rule of words.rs `not_addressed_but_level` (no camera:
                       `visual` is None), returning the name or None

Differences from the Rust: `str.isalnum` / `str.isupper` / `str.lower` stand in for Rust's
`char::is_alphanumeric` / `is_uppercase` / `to_lowercase`; they agree on ASCII and on the
Latin letters of our phrase files (they may differ on rare non-Latin characters). Byte lengths
and byte slices are taken on the UTF-8 encoding, as Rust does.
"""

import os
import re

HERE = os.path.dirname(os.path.abspath(__file__))
WORDS_RS = os.path.join(HERE, "..", "..", "crates", "core", "src", "interaction", "words.rs")

_STR = r'"((?:[^"\\]|\\.)*)"'


def _unescape(s):
    return s.replace('\\"', '"').replace("\\\\", "\\")


def parse_words_rs(path=WORDS_RS):
    """{const name: [words]} for every `const NAME: &[&str] = &[...];` in words.rs, plus
    OWN_NAME, GREETINGS (the "hey," list) and NAME_GREETINGS (the ["hey", "hi", "oh"] list)."""
    with open(path, encoding="utf-8") as f:
        src = f.read()
    # Comments could hold brackets or quotes: drop `//` comments first (no string in words.rs
    # holds "//").
    code = "\n".join(re.sub(r"//.*$", "", ln) for ln in src.splitlines())
    lists = {}
    for m in re.finditer(r"const\s+([A-Z_][A-Z0-9_]*)\s*:\s*&\[\s*&str\s*\]\s*=\s*&\[(.*?)\]\s*;", code, re.S):
        lists[m.group(1)] = [_unescape(s) for s in re.findall(_STR, m.group(2))]
    m = re.search(r"const\s+OWN_NAME\s*:\s*&str\s*=\s*" + _STR + r"\s*;", code)
    if m:
        lists["OWN_NAME"] = _unescape(m.group(1))
    m = re.search(r"let\s+greeting\s*=\s*\[(.*?)\]", code, re.S)
    if m:
        lists["GREETINGS"] = [_unescape(s) for s in re.findall(_STR, m.group(1))]
    m = re.search(r"\[\s*greet\s*,\s*w\s*\]\s*if\s*\[(.*?)\]", code, re.S)
    if m:
        lists["NAME_GREETINGS"] = [_unescape(s) for s in re.findall(_STR, m.group(1))]
    need = ("BACKCHANNEL_WORDS", "INTERRUPTING_WORDS", "NOT_NAMES", "DANGLING_WORDS", "STRANDED_PREPOSITIONS",
            "DANGLING_IN_STATEMENTS", "OWN_NAME", "GREETINGS", "NAME_GREETINGS")
    missing = [k for k in need if not lists.get(k)]
    if missing:
        raise ValueError("%s: could not parse %s (has the Rust changed shape?)" % (path, ", ".join(missing)))
    return lists


W = parse_words_rs()
BACKCHANNEL_WORDS = frozenset(W["BACKCHANNEL_WORDS"])
INTERRUPTING_WORDS = frozenset(W["INTERRUPTING_WORDS"])
NOT_NAMES = frozenset(W["NOT_NAMES"])
DANGLING_WORDS = frozenset(W["DANGLING_WORDS"])
STRANDED_PREPOSITIONS = frozenset(W["STRANDED_PREPOSITIONS"])
DANGLING_IN_STATEMENTS = frozenset(W["DANGLING_IN_STATEMENTS"])
OWN_NAME = W["OWN_NAME"]
GREETINGS = tuple(W["GREETINGS"])
NAME_GREETINGS = tuple(W["NAME_GREETINGS"])

_APOSTROPHES = ("'", "\u2019", "\u2018")


def _is_word_char(c):
    return c.isalnum() or c in _APOSTROPHES


def words(text):
    """text.rs `words`: runs of letters, digits and apostrophes, lower case, apostrophes as '."""
    out, cur = [], []
    for c in text:
        if _is_word_char(c):
            cur.append("'" if c in _APOSTROPHES else c.lower())
        elif cur:
            out.append("".join(cur))
            cur = []
    if cur:
        out.append("".join(cur))
    return out


def normalize(text):
    return " ".join(words(text))


def is_backchannel(text):
    ws = normalize(text.replace("-", "")).split()
    return bool(ws) and len(ws) <= 3 and all(w in BACKCHANNEL_WORDS for w in ws)


def _rust_trim_end(s):
    return s.rstrip()  # Rust trim_end: Unicode White_Space; str.rstrip() strips the same set here


def sounds_unfinished(text):
    t = _rust_trim_end(text)
    if t.endswith("...") or t.endswith("\u2026") or t.endswith(",") or t.endswith("-"):
        return True
    question = t.endswith("?")
    ws = normalize(t).split()
    if not ws:
        return False
    w = ws[-1]
    # A preposition dangles even before a question mark (tiny.en puts one on trailing-off
    # questions: "how many grams are in?"), as `sounds_unfinished` in words.rs.
    return w in DANGLING_WORDS or w in STRANDED_PREPOSITIONS or (not question and w in DANGLING_IN_STATEMENTS)


def burst_lets_us_go_on(text):
    ws = normalize(text).split()
    return (not ws or is_backchannel(text)
            or (len(ws) <= 2 and not any(w in INTERRUPTING_WORDS for w in ws)))


def _blen(s):
    return len(s.encode("utf-8"))


def named_someone_else(text):
    """The leading-name rule of `not_addressed_but_level(text, None)`: the name if the text
    opens with a name that is not ours set off by a comma ("John, ...", "hey Sarah, ...",
    "Hey, Sarah, ..."), else None. Saying our own name anywhere makes it None."""
    if OWN_NAME in normalize(text).split():
        return None
    lead = text.lstrip()
    lb = lead.encode("utf-8")
    for g in GREETINGS:
        gb = g.encode("utf-8")
        # lead.len() > g.len() && lead.get(..g.len()).is_some_and(eq_ignore_ascii_case): bytes
        if len(lb) > len(gb) and lb[:len(gb)].lower() == gb.lower():
            try:
                head = lb[len(gb):].decode("utf-8")  # Rust `get` refuses a cut inside a char
            except UnicodeDecodeError:
                continue
            lead = head.lstrip()
            break
    text = lead
    first_clause = re.split(r"[,!?]", text, maxsplit=1)[0]
    if "," in text or "!" in text or "?" in text:
        ws = first_clause.split()
        name = None
        if len(ws) == 1:
            name = ws[0]
        elif len(ws) == 2 and normalize(ws[0]) in NAME_GREETINGS:
            name = ws[1]
        if name is not None:
            lower = normalize(name)
            capitalized = name[:1].isupper()
            if (capitalized and lower and lower not in NOT_NAMES
                    and _blen(first_clause) < _blen(text)):
                return name
    return None


def addressed(text):
    """The rules' answer to "is this for the assistant?" from the words alone: everything is,
    unless a leading name that is not ours says otherwise."""
    return named_someone_else(text) is None


if __name__ == "__main__":
    import sys

    for k in ("BACKCHANNEL_WORDS", "INTERRUPTING_WORDS", "NOT_NAMES", "DANGLING_WORDS", "STRANDED_PREPOSITIONS",
              "DANGLING_IN_STATEMENTS", "GREETINGS", "NAME_GREETINGS"):
        print("%-24s %3d words" % (k, len(W[k])))
    print("OWN_NAME %r" % OWN_NAME)
    for t in sys.argv[1:]:
        print("%r: backchannel %s, unfinished %s, go_on %s, named %r" % (
            t, is_backchannel(t), sounds_unfinished(t), burst_lets_us_go_on(t), named_someone_else(t)))
