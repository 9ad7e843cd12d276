#!/usr/bin/env python3
"""Unit tests for the floor trainer: labels and decisions from events, the numpy gradients, the
ONNX export against the numpy forward pass. Run: python3 scripts/floor/test_floor.py"""

import os
import sys
import tempfile
import unittest

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import floordata as fd  # noqa: E402
from floormodel import FloorMLP, masked_bce, snap_int8  # noqa: E402

EP = {
    "id": "t", "duration_ms": 10000, "template": "test",
    "events": [
        # a turn of two segments: pause 1500-2000 inside it, final end at 3000
        {"kind": "request", "speaker": "user", "start_ms": 500, "end_ms": 1500, "addressed": True, "turn": 1,
         "final": False},
        {"kind": "request", "speaker": "user", "start_ms": 2000, "end_ms": 3000, "addressed": True, "turn": 1,
         "final": True},
        {"kind": "assistant", "speaker": "assistant", "start_ms": 3600, "end_ms": 8000},
        {"kind": "backchannel", "speaker": "user", "start_ms": 4000, "end_ms": 4400, "addressed": False},
        {"kind": "noise", "speaker": "noise", "start_ms": 5000, "end_ms": 5200},
        {"kind": "interruption", "speaker": "user", "start_ms": 6000, "end_ms": 7000, "addressed": True,
         "turn": 2, "final": True},
        {"kind": "side_talk", "speaker": "user", "start_ms": 8500, "end_ms": 9500, "addressed": False},
    ],
}


def frame_at(ms):
    return int(ms // 20)


class Labels(unittest.TestCase):
    def setUp(self):
        self.n = 500
        self.y, self.m = fd.derive_labels(EP, self.n)

    def lab(self, ms, head):
        i = frame_at(ms)
        return (int(self.y[i, head]) if self.m[i, head] else None)

    def test_turn_complete(self):
        self.assertIsNone(self.lab(1000, 0))  # speech: masked
        self.assertEqual(self.lab(1700, 0), 0)  # pause inside the turn
        self.assertEqual(self.lab(3100, 0), 1)  # after the final segment
        self.assertEqual(self.lab(3590, 0), 1)  # ... until the assistant answers (3600)
        self.assertIsNone(self.lab(3700, 0))  # the turn was taken: our reply must not teach it
        self.assertIsNone(self.lab(4100, 0))
        self.assertEqual(self.lab(7500, 0), 1)  # after the interruption turn
        self.assertEqual(self.lab(8490, 0), 1)  # up to the side talk at 8500 (< 2 s)
        self.assertIsNone(self.lab(9000, 0))
        self.assertIsNone(self.lab(9700, 0))  # side talk is not a turn

    def test_interruption(self):
        self.assertEqual(self.lab(4200, 1), 0)  # backchannel over the assistant
        self.assertEqual(self.lab(5100, 1), 0)  # noise over the assistant
        self.assertEqual(self.lab(6500, 1), 1)  # interruption
        self.assertIsNone(self.lab(1000, 1))  # request, no assistant
        self.assertIsNone(self.lab(9000, 1))  # side talk after the assistant stopped

    def test_addressed(self):
        self.assertEqual(self.lab(1000, 2), 1)
        self.assertEqual(self.lab(2400, 2), 1)  # 1 s tail
        self.assertIsNone(self.lab(4200, 2))  # backchannel masked ...
        self.assertEqual(self.lab(6500, 2), 1)
        self.assertEqual(self.lab(9000, 2), 0)  # side talk
        self.assertEqual(self.lab(9900, 2), 0)  # its tail
        self.assertIsNone(self.lab(5500, 2))  # noise + assistant only: masked (tail of backchannel? masked too)

    def test_speech_beats_tail_addressed_beats_not(self):
        ep = {"duration_ms": 4000, "events": [
            {"kind": "request", "start_ms": 0, "end_ms": 1000, "addressed": True, "turn": 1, "final": True},
            {"kind": "side_talk", "start_ms": 1200, "end_ms": 2500, "addressed": False},
            {"kind": "other", "start_ms": 2000, "end_ms": 3000, "addressed": False},
            {"kind": "request", "start_ms": 2400, "end_ms": 2800, "addressed": True, "turn": 2, "final": True},
        ]}
        y, m = fd.derive_labels(ep, 200)
        self.assertEqual(y[frame_at(1100), 2], 1)  # the request's tail, nothing spoken
        self.assertEqual(y[frame_at(1300), 2], 0)  # side talk beats the request's tail
        self.assertEqual(y[frame_at(2100), 2], 0)
        self.assertEqual(y[frame_at(2600), 2], 1)  # addressed speech wins over overlapping side talk/other

    def test_decisions(self):
        d = fd.episode_decisions(EP, self.n, self.y, self.m)
        turn = [(x["horizon_ms"], x["label"], x["frame"]) for x in d if x["type"] == "turn"]
        # segment 1 (pause 500 ms): 200 only (500 reaches the next segment); final at 3000: 200, 500
        # (the assistant answers at 3600); interruption final at 7000: 200, 500, 800 (side talk at 8500)
        self.assertEqual(sorted(turn), sorted([
            (200, 0, frame_at(1700) - 1), (200, 1, frame_at(3200) - 1), (500, 1, frame_at(3500) - 1),
            (200, 1, frame_at(7200) - 1), (500, 1, frame_at(7500) - 1),
            (800, 1, frame_at(7800) - 1)]))
        ints = sorted((x["kind"], x["horizon_ms"], x["label"]) for x in d if x["type"] == "int")
        self.assertEqual(ints, sorted([(k, h, int(k == "interruption")) for k in ("backchannel", "noise", "interruption")
                                       for h in fd.INT_HORIZONS_MS]))
        addr = sorted((x["kind"], x["label"]) for x in d if x["type"] == "addr")
        self.assertEqual(addr, sorted([("request", 1), ("request", 1), ("interruption", 1), ("side_talk", 0)]))

    def test_frame_range(self):
        self.assertEqual(fd.frame_range(0, 20, 100), (0, 1))
        self.assertEqual(fd.frame_range(10, 30, 100), (0, 1))  # midpoint 10 in [10, 30)
        self.assertEqual(fd.frame_range(11, 30, 100), (1, 1))
        self.assertEqual(fd.decision_frame(200), 9)


class Model(unittest.TestCase):
    def test_gradients(self):
        rng = np.random.default_rng(0)
        T, F = fd.T, 3
        model = FloorMLP(T, F, 4, 6, 5, rng)
        for k in model.p:
            model.p[k] = model.p[k].astype(np.float64) + rng.normal(0, 0.05, model.p[k].shape)
        model.mean = rng.normal(0, 0.1, F)
        model.inv_std = rng.uniform(0.5, 2, F)
        x = rng.normal(0, 1, (5, T, F))
        y = (rng.random((5, 3)) > 0.5).astype(np.float64)
        w = (rng.random((5, 3)) > 0.3) * 0.3

        def loss():
            return masked_bce(model.forward(x), y, w)[0]

        _, dz = masked_bce(model.forward(x, keep=True), y, w)
        g = model.backward(dz.astype(np.float64))
        for k in ("W1", "b1", "W2", "b2", "W3", "b4"):
            idx = tuple(rng.integers(0, s) for s in model.p[k].shape)
            old = model.p[k][idx]
            model.p[k][idx] = old + 1e-5
            lp = loss()
            model.p[k][idx] = old - 1e-5
            lm = loss()
            model.p[k][idx] = old
            num = (lp - lm) / 2e-5
            self.assertAlmostEqual(g[k][idx], num, delta=2e-4 + 1e-2 * abs(num), msg=k)

    def test_quant_helpers(self):
        rng = np.random.default_rng(1)
        w = rng.normal(0, 1, (50, 7)).astype(np.float32)
        s = snap_int8(w)
        np.testing.assert_array_equal(snap_int8(s), s)  # idempotent
        self.assertLess(np.abs(s - w).max(), np.abs(w).max() / 127)

    def test_onnx_matches_numpy(self):
        try:
            import floor_onnx
        except ImportError:
            self.skipTest("onnx not installed")
        rng = np.random.default_rng(2)
        model = FloorMLP(fd.T, 5, 8, 16, 8, rng)
        model.mean = rng.normal(0, 0.1, 5).astype(np.float32)
        model.inv_std = rng.uniform(0.5, 2, 5).astype(np.float32)
        x = rng.normal(0, 1, (20, fd.T, 5)).astype(np.float32)
        with tempfile.TemporaryDirectory() as td:
            p = os.path.join(td, "m.onnx")
            floor_onnx.save(floor_onnx.build_graph(model, {"frames": "64", "n_features": "5"}), p)
            got = floor_onnx.run_windows(floor_onnx.session(p), x)
        np.testing.assert_allclose(got, model.probs(x), atol=1e-5)

    def test_weight_only_int8_is_exact_for_snapped_weights(self):
        try:
            import onnx

            import floor_onnx
        except ImportError:
            self.skipTest("onnx not installed")
        rng = np.random.default_rng(3)
        model = FloorMLP(fd.T, 6, 8, 32, 8, rng)
        model.snap()
        x = rng.normal(0, 1, (50, fd.T, 6)).astype(np.float32)
        with tempfile.TemporaryDirectory() as td:
            p, q = os.path.join(td, "m.onnx"), os.path.join(td, "q.onnx")
            src = floor_onnx.build_graph(model, {})
            floor_onnx.save(src, p)
            floor_onnx.save(floor_onnx._weight_only(src), q)
            ops = {n.op_type for n in onnx.load(q).graph.node}
            a = floor_onnx.run_windows(floor_onnx.session(p), x)
            b = floor_onnx.run_windows(floor_onnx.session(q), x)
            self.assertLess(os.path.getsize(q), os.path.getsize(p) / 2)
        self.assertNotIn("DequantizeLinear", ops)
        np.testing.assert_allclose(a, b, atol=1e-5)


class PauseLikeTheLoop(unittest.TestCase):
    """generate.pause_like_the_loop: the episodes' assistant pauses as the live loop does."""

    def test_short_bursts_pause_it_and_cut_ins_stop_it(self):
        from types import SimpleNamespace

        import generate as gen

        sr = 16000
        far = np.ones(10 * sr)
        a = {"kind": "assistant", "speaker": "assistant", "start_ms": 1000, "end_ms": 8000}
        events = [
            a,
            {"kind": "backchannel", "speaker": "user", "start_ms": 2000, "end_ms": 2400},
            {"kind": "background", "speaker": "background", "start_ms": 3000, "end_ms": 9000},
            {"kind": "interruption", "speaker": "user", "start_ms": 5000, "end_ms": 6500},
        ]
        items = [SimpleNamespace(track="far", event=a)]
        gen.pause_like_the_loop(far, items, events, np.random.default_rng(0))
        t = lambda ms: int(ms * sr / 1000)  # noqa: E731
        self.assertEqual(far[t(1500)], 1.0)
        self.assertEqual(far[t(2250)], 0.0)  # paused over the backchannel
        self.assertEqual(far[t(2900)], 1.0)  # and back after it
        self.assertEqual(far[t(4000)], 1.0)  # the TV does not pause it
        self.assertEqual(far[t(5300)], 0.0)  # stopped for the cut-in
        self.assertEqual(far[t(7900)], 0.0)
        self.assertEqual(len(a["paused_ms"]), 2)
        self.assertGreaterEqual(a["held_until_ms"], 5650)  # the loop holds until it commits
        self.assertLessEqual(a["held_until_ms"], 5750)


if __name__ == "__main__":
    unittest.main()
