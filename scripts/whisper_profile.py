"""Where Whisper tiny.en's time goes, op by op: ONNX Runtime's profiler over the converted
encoder (one window) and decoder (greedy steps against that window's cross-attention cache),
one thread, as Tandem runs them. Dev-time only (numpy and onnxruntime in any venv, e.g. the
one of scripts/text/requirements-train.txt).

    python scripts/whisper_profile.py ~/.cache/tandem/models/whisper [--frames 800] [--steps 30]

Prints the milliseconds of every run and the op types (and the heaviest nodes) by share of
the kernel time. Inputs are random: the timing of a dense network does not depend on them.
"""

from __future__ import annotations

import argparse
import collections
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort

SOT, NO_TIMESTAMPS = 50257, 50362


def session(path: Path) -> ort.InferenceSession:
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    so.enable_profiling = True
    # The profile goes to a temporary file (read and removed by `report`), not the current
    # directory.
    so.profile_file_prefix = str(Path(tempfile.gettempdir()) / "whisper_profile")
    return ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])


def report(s: ort.InferenceSession, runs: int, what: str) -> None:
    profile = Path(s.end_profiling())
    events = json.loads(profile.read_text())
    profile.unlink()
    by_op: collections.Counter = collections.Counter()
    by_node: collections.Counter = collections.Counter()
    for e in events:
        if e.get("cat") == "Node" and e["name"].endswith("_kernel_time"):
            op = e["args"].get("op_name", "?")
            by_op[op] += e["dur"]
            by_node[f'{e["name"][: -len("_kernel_time")]} ({op})'] += e["dur"]
    total = sum(by_op.values()) or 1
    print(f"{what}: kernel time by op type (ms per run)")
    for op, us in by_op.most_common(8):
        print(f"  {op:<24} {100 * us / total:5.1f} %  {us / 1e3 / runs:7.2f}")
    print(f"{what}: heaviest nodes (ms per run)")
    for node, us in by_node.most_common(5):
        print(f"  {node:<60} {us / 1e3 / runs:7.3f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("models", type=Path, help="the cache's whisper directory")
    ap.add_argument("--frames", type=int, default=800, help="mel frames in the window (100 a second)")
    ap.add_argument("--steps", type=int, default=30, help="decoder steps")
    ap.add_argument("--float32", action="store_true", help="the float32 models instead of int8")
    args = ap.parse_args()
    suffix = ".onnx" if args.float32 else ".int8.onnx"
    rng = np.random.default_rng(1)

    enc = session(args.models / f"whisper-encoder{suffix}")
    mel = (rng.standard_normal((1, 80, args.frames)) * 0.3).astype(np.float32)
    runs = 8
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        cross_k, cross_v = enc.run(["cross_k", "cross_v"], {"mel": mel})
        times.append((time.perf_counter() - t0) * 1e3)
    print(f"encoder, {args.frames} frames: ms", [round(t, 1) for t in times])
    report(enc, runs, "encoder")

    dec = session(args.models / f"whisper-decoder{suffix}")
    layers, _, heads, _, dim = cross_k.shape
    self_k = np.zeros((layers, 1, heads, 0, dim), np.float32)
    self_v = self_k.copy()
    tokens = np.array([[SOT, NO_TIMESTAMPS]], np.int64)
    offset = 0
    times = []
    for _ in range(args.steps):
        t0 = time.perf_counter()
        logits, self_k, self_v = dec.run(
            ["logits", "self_k_out", "self_v_out"],
            {
                "tokens": tokens,
                "self_k": self_k,
                "self_v": self_v,
                "cross_k": cross_k,
                "cross_v": cross_v,
                "offset": np.array(offset, np.int64),
            },
        )
        times.append((time.perf_counter() - t0) * 1e3)
        offset += tokens.shape[1]
        tokens = np.array([[int(logits[0, -1].argmax())]], np.int64)
    print("decoder steps: ms", [round(t, 1) for t in times])
    report(dec, args.steps, "decoder")


if __name__ == "__main__":
    main()
