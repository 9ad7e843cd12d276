#!/usr/bin/env python3
"""Unit tests for the text head's tools: the rules port (the Rust tests' own cases), the
generator (deterministic, splits apart, number words), the numpy gradients and the ONNX export.
Run: python3 scripts/text/test_text.py (numpy, onnx and onnxruntime for the last two)."""

import json
import os
import sys
import tempfile
import unittest

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import generate  # noqa: E402
import rules  # noqa: E402


class RulesPort(unittest.TestCase):
    """The assertions of crates/core/src/interaction/tests/{mod,turns}.rs and text.rs."""

    def test_lists_parsed(self):
        self.assertIn("mmhm", rules.BACKCHANNEL_WORDS)
        self.assertIn("stop", rules.INTERRUPTING_WORDS)
        self.assertIn("the", rules.DANGLING_WORDS)
        self.assertEqual(rules.OWN_NAME, "tandem")
        self.assertIn("hey,", rules.GREETINGS)

    def test_normalize(self):
        self.assertEqual(rules.normalize("Set a timer, for TEN!"), "set a timer for ten")
        self.assertEqual(rules.normalize("It\u2019s 2 o'clock."), "it's 2 o'clock")
        self.assertEqual(rules.normalize("mm-hm"), "mm hm")
        self.assertEqual(rules.normalize("  ...  "), "")

    def test_backchannel(self):
        for t in ("Mm-hm.", "yeah okay", "Right."):
            self.assertTrue(rules.is_backchannel(t), t)
        for t in ("wait, stop", "yeah but what about tomorrow"):
            self.assertFalse(rules.is_backchannel(t), t)

    def test_unfinished(self):
        for t in ("My favorite thing about the weekend is...", "Could you tell me how many grams are in",
                  "So the thing is, um,", "I was thinking about", "Could you tell me how many grams are in?"):
            self.assertTrue(rules.sounds_unfinished(t), t)
        for t in ("What can I ask you?", "What time is it?", "Set a timer for five minutes."):
            self.assertFalse(rules.sounds_unfinished(t), t)

    def test_burst(self):
        self.assertTrue(rules.burst_lets_us_go_on("Mm-hmm."))
        self.assertTrue(rules.burst_lets_us_go_on("oh nice"))
        self.assertFalse(rules.burst_lets_us_go_on("Wait."))
        self.assertFalse(rules.burst_lets_us_go_on("No, I meant Tuesday."))

    def test_names(self):
        self.assertTrue(rules.addressed("Stop, set a timer for two minutes."))
        self.assertFalse(rules.addressed("Hey, Sarah, are you coming tonight?"))
        self.assertTrue(rules.addressed("Tandem, what time is it?"))
        self.assertTrue(rules.addressed("Okay, what's next?"))
        self.assertEqual(rules.named_someone_else("hey Sarah, hi"), "Sarah")
        self.assertIsNone(rules.named_someone_else("sarah, hi"))  # not capitalized


class Generator(unittest.TestCase):
    def test_numbers(self):
        n = generate.numbers_to_digits
        self.assertEqual(n("Set a timer for ten minutes."), "Set a timer for 10 minutes.")
        self.assertEqual(n("at seven thirty tomorrow"), "at 7:30 tomorrow")
        self.assertEqual(n("three hundred and fifty Fahrenheit"), "350 Fahrenheit")
        self.assertEqual(n("root of one hundred forty four?"), "root of 144?")
        self.assertEqual(n("Dim it to thirty percent."), "Dim it to 30%.")
        self.assertEqual(n("a hundred pounds"), "100 pounds")
        self.assertEqual(n("four seven two nine"), "4729")
        self.assertEqual(n("the next one"), "the next one")
        self.assertEqual(n("twenty-two degrees"), "22 degrees")

    def test_names_dropped_with_their_comma(self):
        self.assertEqual(generate.drop_name("{name}, could you close the window?"), "Could you close the window?")
        self.assertEqual(generate.drop_name("Hang on, {name}, I'm nearly done."), "Hang on, I'm nearly done.")
        self.assertEqual(generate.drop_name("Where are my keys, {name}?"), "Where are my keys?")

    def test_whole_sentence_prefixes(self):
        self.assertTrue(generate.reads_whole("Remind me to call my mother"))
        self.assertTrue(generate.reads_whole("Is it going to snow"))
        self.assertTrue(generate.reads_whole("Could you turn on the lights"))
        self.assertFalse(generate.reads_whole("I was thinking about"))
        self.assertFalse(generate.reads_whole("Set a timer for"))

    def test_deterministic_and_apart(self):
        with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
            with open(os.devnull, "w") as null:
                so, sys.stdout = sys.stdout, null
                try:
                    generate.main(["--out", a, "--seed", "3"])
                    generate.main(["--out", b, "--seed", "3"])
                finally:
                    sys.stdout = so
            rows = {}
            for s in generate.SPLITS:
                with open(os.path.join(a, s + ".jsonl"), "rb") as f, open(os.path.join(b, s + ".jsonl"), "rb") as g:
                    ba = f.read()
                    self.assertEqual(ba, g.read(), s)
                rows[s] = [json.loads(ln) for ln in ba.decode().splitlines()]
                self.assertEqual({r["label"] for r in rows[s]}, set(generate.LABELS), s)
                # Only pause prefixes and cuts carry a target of their own, never one that trails
                # off.
                for r in rows[s]:
                    if "target" in r:
                        self.assertRegex(r["source"], r"#(pause|cut)\d", r)
                        self.assertFalse(r["text"].endswith(("...", ",")), r)
                        self.assertAlmostEqual(sum(r["target"].values()), 1.0)
            keys = {s: {rules.normalize(r["text"]) for r in rows[s]} for s in rows}
            self.assertFalse(keys["train"] & keys["val"])
            self.assertFalse((keys["train"] | keys["val"]) & keys["heldback"])
            self.assertTrue(all(r["source"].split("+")[0].split(":")[0].endswith("_heldback")
                                for r in rows["heldback"]))
            self.assertFalse(any("_heldback" in r["source"] for s in ("train", "val") for r in rows[s]))
            # val uses only val source lines
            with open(os.path.join(a, "summary.json")) as f:
                val_lines = json.load(f)["val_source_lines"]
            for r in rows["val"]:
                for part in r["source"].split("+"):
                    pool, line = part.split("#")[0].split(":")
                    self.assertIn(int(line), val_lines[pool], r)


class Head(unittest.TestCase):
    def setUp(self):
        try:
            import numpy  # noqa: F401
            import onnx  # noqa: F401
            import onnxruntime  # noqa: F401
        except ImportError:
            self.skipTest("numpy, onnx and onnxruntime are needed")

    def test_gradients(self):
        import numpy as np

        import train

        rng = np.random.default_rng(0)
        h = train.Head(5, 4, train.K, rng)
        h.p = {k: v.astype(np.float64) for k, v in h.p.items()}
        h.neg_mean, h.inv_std = np.zeros(5), np.ones(5)
        x = rng.standard_normal((6, 5))
        y = rng.integers(0, train.K, 6)
        # One-hot targets and one soft one (a pause prefix that reads as a whole sentence).
        y = np.eye(train.K)[y]
        y[0] = 0
        y[0, train.L["request"]] = y[0, train.L["unfinished"]] = 0.5
        w = np.full(6, 1 / 6)
        z = h.logits(x, keep=True)
        _, dz = train.ce_loss(z, y, w, 0.1)
        g = h.backward(dz.astype(np.float64))
        for k in ("W1", "b1", "W2", "b2"):
            idx = (0, 1) if h.p[k].ndim == 2 else (1,)
            old = h.p[k][idx]
            h.p[k][idx] = old + 1e-5
            lp = train.ce_loss(h.logits(x), y, w, 0.1)[0]
            h.p[k][idx] = old - 1e-5
            lm = train.ce_loss(h.logits(x), y, w, 0.1)[0]
            h.p[k][idx] = old
            self.assertAlmostEqual(g[k][idx], (lp - lm) / 2e-5, places=3, msg=k)

    def test_export_matches_numpy_and_is_deterministic(self):
        import numpy as np

        import train  # puts scripts/floor on sys.path
        import floor_onnx

        rng = np.random.default_rng(1)
        h = train.Head(train.DIM, 16, train.K, rng)
        h.neg_mean = (rng.standard_normal(train.DIM) * 0.01).astype(np.float32)
        h.inv_std = (1 + rng.random(train.DIM)).astype(np.float32)
        h.p["b1"] = rng.standard_normal(16).astype(np.float32) * 0.1
        h.snap()
        blob = train.build_onnx(h, {"k": "v"})
        self.assertEqual(blob, train.build_onnx(h, {"k": "v"}))
        x = rng.standard_normal((9, train.DIM)).astype(np.float32)
        x /= np.linalg.norm(x, axis=1, keepdims=True)
        with tempfile.TemporaryDirectory() as d:
            p = os.path.join(d, "h.onnx")
            with open(p, "wb") as f:
                f.write(blob)
            got = floor_onnx.session(p).run(["probs"], {"embedding": x})[0]
        self.assertEqual(got.shape, (9, train.K))
        self.assertLess(float(np.abs(got - h.probs(x)).max()), 1e-5)
        np.testing.assert_allclose(got.sum(1), 1.0, atol=1e-5)


if __name__ == "__main__":
    unittest.main()
