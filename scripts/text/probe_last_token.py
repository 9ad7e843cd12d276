#!/usr/bin/env python3
"""Experiment (dev-time): would the text head judge better if it also read how the words end?

The shipped head reads the encoder's mean-pooled sentence embedding, which blurs the last word
("What can you do?" and "What can you" are close). This probe adds the encoder's last hidden
state at the last word piece (the token before [SEP]) as a second input, without changing the
shipped converter: it adds that tensor as an extra output of the int8 encoder graph in memory.
It trains train.py's head (same code, seed and settings) on [embedding] and on [embedding, last]
and prints, for both, the per-class accuracy and train.py's per-decision table on val and
held-back, and a few probe questions.

    python3 scripts/text/generate.py --out /tmp/textdata --seed 1
    PY scripts/text/probe_last_token.py --data /tmp/textdata \\
        --encoder ~/.cache/tandem/models/text/text-encoder.int8.onnx \\
        --vocab ~/.cache/tandem/models/text/text-vocab.txt

Result (2026-12-06, BENCHMARKS.md "What the words are, read to their last word"): better class
accuracy on both splits, but on val the loop's own decisions (unfinished-or-rules, addressed)
got worse while held-back got better, so the shipped head was not changed.
"""

import os

for _v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_v] = "1"

import argparse  # noqa: E402
import sys  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import train as T  # noqa: E402  (puts scripts/floor and models on sys.path)

PROBES = [
    "What can you do?",
    "What time is it?",
    "How old are you?",
    "What can you help me with?",
    "What can you",
    "Set an alarm for",
    "Can you tell me the",
    "Thanks, that's all for now!",
]


def states(path, cte, vocab, texts):
    """[n, 384] embedding and [n, 384] last word piece's state, one text a run."""
    import onnx
    import onnxruntime as ort
    from onnx import TensorProto, helper

    m = onnx.load(path)
    names = {o for n in m.graph.node for o in n.output}
    last_layer = max(n for n in names if n.endswith("_ffn_ln"))  # l5_ffn_ln: [B, S, 384]
    m.graph.output.append(helper.make_tensor_value_info(last_layer, TensorProto.FLOAT, ["batch", "seq", T.DIM]))
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.add_session_config_entry("session.x64quantprecision", "1")
    sess = ort.InferenceSession(m.SerializeToString(), opts, providers=["CPUExecutionProvider"])
    memo, E, Lst = {}, [], []
    for t in texts:
        ids = tuple(cte.tokenize(t, vocab))
        if ids not in memo:
            a = np.array([ids], np.int64)
            e, h = sess.run(["embedding", last_layer], {"input_ids": a, "attention_mask": np.ones_like(a)})
            memo[ids] = (e[0], h[0][max(len(ids) - 2, 0)])
        E.append(memo[ids][0])
        Lst.append(memo[ids][1])
    return np.array(E, np.float32), np.array(Lst, np.float32)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True)
    ap.add_argument("--encoder", required=True)
    ap.add_argument("--vocab", required=True)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    args = T.parse_args(["--data", a.data, "--encoder", a.encoder, "--vocab", a.vocab, "--out", "/dev/null",
                         "--seed", str(a.seed)])
    import convert_text_encoder as cte

    vocab = cte.load_vocab(a.vocab)
    rows = {s: T.load_split(a.data, s) for s in T.SPLITS}
    texts = {s: [r["text"] for r in rows[s]] for s in T.SPLITS}
    feats = {s: states(a.encoder, cte, vocab, texts[s]) for s in T.SPLITS}
    probe = states(a.encoder, cte, vocab, PROBES)
    y = {s: np.array([T.L[r["label"]] for r in rows[s]], np.int64) for s in T.SPLITS}
    tg = {s: T.targets(rows[s]) for s in T.SPLITS}
    ids = [tuple(cte.tokenize(t, vocab)) for t in texts["train"]]
    seen, keep = set(), []
    for i, (t, lab) in enumerate(zip(ids, y["train"])):
        if (t, int(lab)) not in seen:
            seen.add((t, int(lab)))
            keep.append(i)
    keep = np.array(keep)
    for name, pick in (("embedding", lambda f: f[0]), ("embedding + last", lambda f: np.concatenate(f, 1))):
        X = {s: pick(feats[s]) for s in T.SPLITS}
        T.DIM = X["train"].shape[1]  # train() builds its head with the module's width
        head, _, info = T.train(args, X["train"][keep], y["train"][keep], tg["train"][keep], X["val"], y["val"],
                                tg["val"])
        print("\n## %s (best epoch %d)" % (name, info["best_epoch"]))
        res = {}
        for s in ("val", "heldback"):
            hard = np.array(["target" not in r for r in rows[s]])
            P = head.probs(X[s][hard])
            ts = [t for t, h in zip(texts[s], hard) if h]
            acc = float((P.argmax(1) == y[s][hard]).mean())
            print("%s: class accuracy %.3f" % (s, acc))
            res[s] = dict(decisions=T.decisions(ts, y[s][hard], P))
        for ln in T.decision_table(res):
            print(ln)
        P = head.probs(pick(probe))
        for t, p in zip(PROBES, P):
            print("  %-32r " % t + " ".join("%s %.2f" % (lab, v) for lab, v in zip(T.LABELS, p) if v >= 0.1))
    T.DIM = 384


if __name__ == "__main__":
    main()
