#!/usr/bin/env python3
"""Train the floor policy's text head: sentence embedding (all-MiniLM-L6-v2, 384) -> 7 classes.

    python3 scripts/text/train.py --data DIR --encoder text-encoder.int8.onnx --vocab text-vocab.txt \\
        --out OUTDIR [--seed 1]

DIR holds generate.py's {train,val,heldback}.jsonl. Every text is embedded with the ONNX encoder
(models/convert_text_encoder.py's `embed`, onnxruntime on one thread, exact int8 kernels as the
engine runs them); the embeddings are cached in DIR/emb_<split>_<key>.npy, the key a hash of
the texts, the encoder, the vocabulary and the converter's tokenizer source. The head (numpy only, seeded, fixed-order minibatches, Adam with
decoupled weight decay, class-balanced cross-entropy, early stop on val loss):

    embedding [B, 384] -> (x - mean) * inv_std -> dense 384 -> H, ReLU -> dense H -> 7 -> softmax

After training its weight matrices are snapped to symmetric per-output-channel int8 grids, and it
is exported as OUTDIR/text-head.int8.onnx (input `embedding` f32 [batch, 384], output `probs` f32
[batch, 7]): int8 initializers turned back into f32 by Cast and Mul by the per-channel scales
inside the graph (not DequantizeLinear, which onnxruntime may fuse into an int8-activation
MatMul), so all arithmetic is f32. Opset 17, IR 8, deterministic bytes (checked by building it
twice). Writes OUTDIR/{text-head.int8.onnx, metrics.json, DATA_CARD.md, heldback_cases.jsonl}.
"""

import os

for _v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_v] = "1"

import argparse  # noqa: E402
import glob  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
import random  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections import Counter  # noqa: E402

import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "scripts", "floor"))
sys.path.insert(0, os.path.join(ROOT, "models"))

import onnx  # noqa: E402
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

import floor_onnx  # noqa: E402  (session, OPSET, IR_VERSION)
import rules  # noqa: E402
from provenance import git_commit, sha256_file  # noqa: E402
from floormodel import Adam, snap_int8  # noqa: E402

LABELS = ("request", "unfinished", "backchannel", "interruption", "side_talk", "phone", "background")
K = len(LABELS)
L = {name: i for i, name in enumerate(LABELS)}
SPLITS = ("train", "val", "heldback")
DIM = 384
TO_US = (L["request"], L["unfinished"], L["backchannel"], L["interruption"])


def log(*a):
    print(*a, flush=True)


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True, help="generate.py's output directory")
    ap.add_argument("--encoder", default="/tmp/textconv/text-encoder.int8.onnx")
    ap.add_argument("--vocab", default="/tmp/textconv/text-vocab.txt")
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--epochs", type=int, default=300, help="maximum epochs")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=3e-4)
    ap.add_argument("--wd", type=float, default=1.0, help="decoupled weight decay (weight matrices; x lr per step)")
    ap.add_argument("--dropout", type=float, default=0.5, help="dropout on the hidden layer while training")
    ap.add_argument("--label-smoothing", type=float, default=0.05)
    ap.add_argument("--patience", type=int, default=30, help="epochs without val improvement before stopping")
    ap.add_argument("--cases-per-class", type=int, default=15)
    return ap.parse_args(argv)


def load_split(data, split):
    rows = []
    with open(os.path.join(data, split + ".jsonl"), encoding="utf-8") as f:
        for ln in f:
            if ln.strip():
                r = json.loads(ln)
                if r["label"] not in L:
                    raise ValueError("%s: unknown label %r" % (split, r["label"]))
                t = r.get("target")
                if t is not None and (any(k not in L for k in t) or abs(sum(t.values()) - 1) > 1e-6
                                      or r["label"] not in t):
                    raise ValueError("%s: bad target %r for %r" % (split, t, r["text"]))
                rows.append(r)
    return rows


# ---- embeddings --------------------------------------------------------------------------------------


class Encoder:
    def __init__(self, encoder_path, vocab_path):
        import convert_text_encoder as cte

        self.cte = cte
        self.vocab = cte.load_vocab(vocab_path)
        self.path = encoder_path
        self.sha = sha256_file(encoder_path)
        self.vocab_sha = sha256_file(vocab_path)
        with open(cte.__file__, "rb") as f:
            self.converter_sha = hashlib.sha256(f.read()).hexdigest()
        self._sess = None

    @property
    def sess(self):
        if self._sess is None:
            self._sess = floor_onnx.session(self.path, threads=1, exact_int8=True)
        return self._sess

    def key(self, texts):
        h = hashlib.sha256()
        for part in (self.sha, self.vocab_sha, self.converter_sha, "one text a run"):
            h.update(part.encode() + b"\n")
        for t in texts:
            h.update(t.encode("utf-8") + b"\n")
        return h.hexdigest()

    def embed(self, texts):
        """[n, 384]: one run per distinct token sequence (the tokenizer is uncased, so "Okay." and
        "okay." are one), one text a run as the engine runs it: the int8 encoder quantizes its
        activations with one scale over the whole input, so a text's embedding in a padded batch
        is not the one the engine computes."""
        ids = [tuple(self.cte.tokenize(t, self.vocab)) for t in texts]
        first = {}
        for i, s in enumerate(ids):
            first.setdefault(s, i)
        uniq = sorted(first, key=lambda s: (len(s), s))
        out_u = np.zeros((len(uniq), DIM), np.float32)
        for i, s in enumerate(uniq):
            out_u[i] = self.cte.embed(self.sess, self.vocab, [texts[first[s]]])[0]
        where = {s: i for i, s in enumerate(uniq)}
        return out_u[[where[s] for s in ids]], ids, len(uniq)


def embeddings(enc, data, split, texts):
    key = enc.key(texts)
    path = os.path.join(data, "emb_%s_%s.npy" % (split, key[:16]))
    if os.path.exists(path):
        X = np.load(path)
        if X.shape == (len(texts), DIM):
            ids = [tuple(enc.cte.tokenize(t, enc.vocab)) for t in texts]
            return X, ids, len(set(ids)), True
    X, ids, n_uniq = enc.embed(texts)
    for old in glob.glob(os.path.join(data, "emb_%s_*.npy" % split)):
        os.remove(old)
    np.save(path, X)
    return X, ids, n_uniq, False


# ---- the head in numpy --------------------------------------------------------------------------------


class Head:
    def __init__(self, d_in, hidden, k, rng):
        self.p = {
            "W1": (rng.standard_normal((d_in, hidden)) * np.sqrt(2.0 / d_in)).astype(np.float32),
            "b1": np.zeros(hidden, np.float32),
            "W2": (rng.standard_normal((hidden, k)) * np.sqrt(1.0 / hidden)).astype(np.float32),
            "b2": np.zeros(k, np.float32),
        }
        self.neg_mean = np.zeros(d_in, np.float32)
        self.inv_std = np.ones(d_in, np.float32)

    def n_params(self):
        return int(sum(v.size for v in self.p.values()))

    def logits(self, x, keep=False, drop=None):
        """Same op order as the graph: Add(-mean), Mul(inv_std), MatMul, Add, Relu, MatMul, Add."""
        p = self.p
        xn = (x + self.neg_mean) * self.inv_std
        a1 = xn @ p["W1"] + p["b1"]
        h = np.maximum(a1, np.float32(0))
        if drop is not None:
            h = h * drop
        z = h @ p["W2"] + p["b2"]
        if keep:
            self._cache = (xn, a1, h, drop)
        return z

    def backward(self, dz):
        p = self.p
        xn, a1, h, drop = self._cache
        g = {"W2": h.T @ dz, "b2": dz.sum(0)}
        dh = dz @ p["W2"].T
        if drop is not None:
            dh = dh * drop
        da = dh * (a1 > 0)
        g["W1"] = xn.T @ da
        g["b1"] = da.sum(0)
        self._cache = None
        return g

    def probs(self, x):
        return softmax(self.logits(x))

    def state(self):
        return {k: v.copy() for k, v in self.p.items()}

    def load(self, st):
        self.p = {k: v.copy() for k, v in st.items()}

    def snap(self):
        for k in ("W1", "W2"):
            self.p[k] = snap_int8(self.p[k])


def softmax(z):
    z = z - z.max(-1, keepdims=True)
    e = np.exp(z)
    return (e / e.sum(-1, keepdims=True)).astype(np.float32)


def targets(rows):
    """[n, K] training targets: one-hot of the label, or the row's own `target` (a pause prefix
    that reads as a whole sentence: half request, half unfinished)."""
    t = np.zeros((len(rows), K), np.float32)
    for i, r in enumerate(rows):
        for lab, v in (r.get("target") or {r["label"]: 1.0}).items():
            t[i, L[lab]] = v
    return t


def ce_loss(z, t, w, eps):
    """Weighted cross-entropy against target distributions t, with label smoothing; w sums to 1.
    Returns (loss, dloss/dz)."""
    t = (1 - eps) * t + eps / K
    zs = z - z.max(-1, keepdims=True)
    logp = zs - np.log(np.exp(zs).sum(-1, keepdims=True))
    loss = float(-(w[:, None] * t * logp).sum())
    dz = (w[:, None] * (np.exp(logp) - t)).astype(np.float32)
    return loss, dz


def class_weights(y):
    """Balanced: every class carries the same share of the loss."""
    n = np.bincount(y, minlength=K).astype(np.float64)
    cw = np.where(n > 0, len(y) / (K * np.maximum(n, 1)), 0.0)
    return cw.astype(np.float32)


def train(args, Xtr, ytr, Ttr, Xva, yva, Tva):
    rng = np.random.default_rng(args.seed)
    head = Head(DIM, args.hidden, K, rng)
    mean, std = Xtr.mean(0), Xtr.std(0)
    head.neg_mean = (-mean).astype(np.float32)
    head.inv_std = (1.0 / np.maximum(std, 1e-4)).astype(np.float32)
    cw = class_weights(ytr)
    wva = cw[yva] / cw[yva].sum()

    def val_loss():
        return ce_loss(head.logits(Xva), Tva, wva, args.label_smoothing)[0]

    opt = Adam(head.p, args.lr, wd=args.wd)
    best, best_state, best_epoch, bad = np.inf, head.state(), -1, 0
    history = []
    t0 = time.time()
    for epoch in range(args.epochs):
        order = rng.permutation(len(ytr))
        tot = 0.0
        for i in range(0, len(order), args.batch):
            r = order[i:i + args.batch]
            drop = None
            if args.dropout > 0:
                drop = ((rng.random((len(r), args.hidden)) >= args.dropout) / (1 - args.dropout)).astype(np.float32)
            z = head.logits(Xtr[r], keep=True, drop=drop)
            w = cw[ytr[r]]
            loss, dz = ce_loss(z, Ttr[r], w / w.sum(), args.label_smoothing)
            opt.step(head.p, head.backward(dz))
            tot += loss * len(r)
        vl = val_loss()
        improved = vl < best - 1e-4
        if improved:
            best, best_state, best_epoch, bad = vl, head.state(), epoch, 0
        else:
            bad += 1
            if bad % 10 == 0:
                opt.lr *= 0.5
        history.append(dict(epoch=epoch, train_loss=round(tot / len(ytr), 5), val_loss=round(float(vl), 5),
                            lr=opt.lr))
        if epoch % 10 == 0 or improved and epoch < 10:
            log("  epoch %3d  train %.4f  val %.4f %s lr %.2g" % (epoch, tot / len(ytr), vl, "*" if improved else " ",
                                                                  opt.lr))
        if bad >= args.patience:
            log("  early stop at epoch %d: no val improvement for %d epochs" % (epoch, bad))
            break
    head.load(best_state)
    fp32 = Head(DIM, args.hidden, K, np.random.default_rng(0))
    fp32.neg_mean, fp32.inv_std = head.neg_mean, head.inv_std
    fp32.load(best_state)
    before = val_loss()
    head.snap()
    after = val_loss()
    log("  best epoch %d, val loss %.4f; weights snapped to int8: val loss %.4f" % (best_epoch, before, after))
    info = dict(best_epoch=best_epoch, epochs_run=len(history), val_loss_fp32=round(float(before), 5),
                val_loss_int8_weights=round(float(after), 5), train_seconds=round(time.time() - t0, 2),
                class_weights=dict(zip(LABELS, [round(float(c), 4) for c in cw])), history=history)
    return head, fp32, info


# ---- ONNX -----------------------------------------------------------------------------------------------


def quantize(w):
    """Symmetric int8 per output column (as floormodel.snap_int8): (q int8, scale f32)."""
    s = np.abs(w).max(0) / np.float32(127.0)
    s = np.where(s == 0, np.float32(1.0), s).astype(np.float32)
    q = np.clip(np.round(w / s), -127, 127).astype(np.int8)
    return q, s


def build_onnx(head, metadata):
    inits = [numpy_helper.from_array(head.neg_mean, "neg_mean"), numpy_helper.from_array(head.inv_std, "inv_std")]
    nodes = []
    for k in ("W1", "W2"):
        q, s = quantize(head.p[k])
        if not np.array_equal(q.astype(np.float32) * s, head.p[k]):
            raise AssertionError("%s is not on its int8 grid (snap first)" % k)
        inits += [numpy_helper.from_array(q, k + "_int8"), numpy_helper.from_array(s, k + "_scale")]
        nodes += [helper.make_node("Cast", [k + "_int8"], [k + "_f32"], to=TensorProto.FLOAT, name=k + "_cast"),
                  helper.make_node("Mul", [k + "_f32", k + "_scale"], [k], name=k + "_dequant")]
    for k in ("b1", "b2"):
        inits.append(numpy_helper.from_array(head.p[k].astype(np.float32), k))
    nodes += [
        helper.make_node("Add", ["embedding", "neg_mean"], ["centered"], name="norm_sub"),
        helper.make_node("Mul", ["centered", "inv_std"], ["normed"], name="norm_scale"),
        helper.make_node("MatMul", ["normed", "W1"], ["h_mm"], name="dense1"),
        helper.make_node("Add", ["h_mm", "b1"], ["h_pre"], name="dense1_bias"),
        helper.make_node("Relu", ["h_pre"], ["h"], name="dense1_relu"),
        helper.make_node("MatMul", ["h", "W2"], ["logits_mm"], name="dense2"),
        helper.make_node("Add", ["logits_mm", "b2"], ["logits"], name="dense2_bias"),
        helper.make_node("Softmax", ["logits"], ["probs"], axis=-1, name="probs"),
    ]
    graph = helper.make_graph(
        nodes, "tandem_text_head",
        [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["batch", DIM])],
        [helper.make_tensor_value_info("probs", TensorProto.FLOAT, ["batch", K])],
        initializer=inits)
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", floor_onnx.OPSET)],
                          producer_name="tandem scripts/text/train.py", producer_version="1")
    m.ir_version = floor_onnx.IR_VERSION
    m.doc_string = ("Tandem text head: all-MiniLM-L6-v2 sentence embedding (unit length, 384) -> softmax over "
                    + ", ".join(LABELS) + ". int8 weights (per output channel), f32 arithmetic.")
    for k in sorted(metadata):
        e = m.metadata_props.add()
        e.key, e.value = k, str(metadata[k])
    onnx.checker.check_model(m)
    return m.SerializeToString(deterministic=True)


# ---- metrics ---------------------------------------------------------------------------------------------


def class_metrics(y, pred):
    cm = np.zeros((K, K), np.int64)
    np.add.at(cm, (y, pred), 1)
    per = {}
    for c in range(K):
        tp, fp, fn = cm[c, c], cm[:, c].sum() - cm[c, c], cm[c, :].sum() - cm[c, c]
        prec = tp / (tp + fp) if tp + fp else None
        rec = tp / (tp + fn) if tp + fn else None
        f1 = 2 * prec * rec / (prec + rec) if prec and rec else 0.0 if prec is not None and rec is not None else None
        per[LABELS[c]] = dict(precision=_r(prec), recall=_r(rec), f1=_r(f1), support=int(cm[c].sum()))
    return dict(accuracy=_r((pred == y).mean() if len(y) else None), n=int(len(y)), per_class=per,
                confusion=cm.tolist(), confusion_axes="rows true, columns predicted, in label order")


def _r(x):
    return None if x is None else round(float(x), 4)


def binary(truth, pred):
    truth, pred = np.asarray(truth, bool), np.asarray(pred, bool)
    n = len(truth)
    if n == 0:
        return dict(n=0, accuracy=None)
    tp, fp = int((truth & pred).sum()), int((~truth & pred).sum())
    fn, tn = int((truth & ~pred).sum()), int((~truth & ~pred).sum())
    prec = tp / (tp + fp) if tp + fp else 0.0
    rec = tp / (tp + fn) if tp + fn else 0.0
    bal = [v for v in ((tp / (tp + fn)) if tp + fn else None, (tn / (tn + fp)) if tn + fp else None) if v is not None]
    return dict(n=n, positives=int(truth.sum()), accuracy=_r((truth == pred).mean()),
                balanced_accuracy=_r(np.mean(bal)), f1=_r(2 * prec * rec / (prec + rec) if prec + rec else 0.0),
                tp=tp, fp=fp, fn=fn, tn=tn)


DECISIONS = (
    ("backchannel", "1. backchannel vs not (backchannel, interruption, request texts); "
                    "model p[backchannel] >= 0.5, rules is_backchannel"),
    ("go_on", "2. a short burst over us lets us go on (backchannel: go on; interruption: stop); "
              "model p[backchannel] > p[request] + p[unfinished] + p[interruption] (TextProbs::lets_us_go_on), "
              "rules burst_lets_us_go_on"),
    ("go_on_short", "2s. the same, texts of at most 3 words"),
    ("unfinished", "3. unfinished vs complete (request, unfinished texts); positive = unfinished; "
                   "model p[unfinished] >= 0.5, rules sounds_unfinished"),
    ("unfinished_or_rules", "3+. the same, the model's verdict OR sounds_unfinished (rules column: the rules alone)"),
    ("addressed", "4. addressed to us (request, unfinished, interruption, backchannel) vs not (side_talk, phone, "
                  "background); model sum of the four >= 0.5, rules: no leading name other than ours"),
)


def decisions(texts, y, P):
    """{decision: {"model": binary(...), "rules": binary(...)}} for one split."""
    y = np.asarray(y)
    nwords = np.array([len(rules.normalize(t).split()) for t in texts])
    out = {}

    def add(name, sel, truth, model, rule):
        idx = np.nonzero(sel)[0]
        out[name] = dict(model=binary(truth[idx], model[idx]),
                         rules=binary(truth[idx], np.array([rule(texts[i]) for i in idx], bool)))

    sel = np.isin(y, [L["backchannel"], L["interruption"], L["request"]])
    add("backchannel", sel, y == L["backchannel"], P[:, L["backchannel"]] >= 0.5, rules.is_backchannel)
    go_on = P[:, L["backchannel"]] > P[:, L["request"]] + P[:, L["unfinished"]] + P[:, L["interruption"]]
    sel = np.isin(y, [L["backchannel"], L["interruption"]])
    add("go_on", sel, y == L["backchannel"], go_on, rules.burst_lets_us_go_on)
    add("go_on_short", sel & (nwords <= 3), y == L["backchannel"], go_on, rules.burst_lets_us_go_on)
    sel = np.isin(y, [L["request"], L["unfinished"]])
    add("unfinished", sel, y == L["unfinished"], P[:, L["unfinished"]] >= 0.5, rules.sounds_unfinished)
    either = (P[:, L["unfinished"]] >= 0.5) | np.array([rules.sounds_unfinished(t) for t in texts], bool)
    add("unfinished_or_rules", sel, y == L["unfinished"], either, rules.sounds_unfinished)
    to_us = P[:, list(TO_US)].sum(1) >= 0.5
    add("addressed", np.ones(len(y), bool), np.isin(y, TO_US), to_us, rules.addressed)
    return out


def worst_confusions(texts, y, pred, P, n=6, examples=4):
    cm = Counter((int(a), int(b)) for a, b in zip(y, pred) if a != b)
    out = []
    for (a, b), c in cm.most_common(n):
        idx = [i for i in range(len(y)) if y[i] == a and pred[i] == b]
        idx.sort(key=lambda i: -P[i, b])
        out.append(dict(true=LABELS[a], predicted=LABELS[b], count=c,
                        examples=[dict(text=texts[i], p=round(float(P[i, b]), 3)) for i in idx[:examples]]))
    return out


# ---- reports ---------------------------------------------------------------------------------------------


def fmt(v):
    return "-" if v is None else "%.3f" % v


def decision_table(res):
    """Markdown rows: decision, split, n, model acc, rules acc, (F1 for unfinished)."""
    lines = ["| decision | split | n | model acc | rules acc | model bal. acc | rules bal. acc | "
             "model F1 | rules F1 |", "|---|---|---|---|---|---|---|---|---|"]
    for name, _ in DECISIONS:
        for s in ("val", "heldback"):
            d = res[s]["decisions"][name]
            m, r = d["model"], d["rules"]
            f1 = name.startswith("unfinished")
            lines.append("| %s | %s | %d | %s | %s | %s | %s | %s | %s |" % (
                name, s, m["n"], fmt(m["accuracy"]), fmt(r["accuracy"]), fmt(m.get("balanced_accuracy")),
                fmt(r.get("balanced_accuracy")), fmt(m["f1"]) if f1 else "", fmt(r["f1"]) if f1 else ""))
    return lines


def write_card(path, S, argv):
    g, d = S["data"], S["results"]
    out = ["# Text head data card", "",
           "Generated by `scripts/text/train.py`; every number here is also in `metrics.json`.", "",
           "## What it is", "",
           "A small classifier on top of a pretrained sentence encoder. It reads what the user said (a Whisper "
           "tiny.en transcript) and tells the floor policy what kind of speech it is, in this order: "
           + ", ".join("`%s`" % x for x in LABELS) + ".", "",
           "- Encoder: all-MiniLM-L6-v2 (sentence-transformers; Apache-2.0), converted to ONNX by "
           "`models/convert_text_encoder.py`; `%s` sha256 `%s`, vocabulary sha256 `%s`. Unit-length 384-d "
           "mean-pooled embeddings; the tokenizer is uncased." % (
               os.path.basename(S["encoder"]["path"]), S["encoder"]["sha256"], S["encoder"]["vocab_sha256"]),
           "- Head: `%s`, %d parameters; weights int8 per output channel (Cast+Mul in the graph), biases and "
           "arithmetic f32. `text-head.int8.onnx` %d bytes, sha256 `%s`; opset %d, IR %d." % (
               S["export"]["architecture"], S["export"]["params"], S["export"]["bytes"], S["export"]["sha256"],
               floor_onnx.OPSET, floor_onnx.IR_VERSION),
           "", "## Data", "",
           "All texts come from our own phrase files, `scripts/floor/phrases/*.txt` (written for Tandem, "
           "same license as the repository); nothing is downloaded. `scripts/text/generate.py` (seed %s) "
           "builds them; see `scripts/text/README.md` for how each class is made and how the text is made "
           "to look like Whisper output. `answers*.txt` (what the assistant says) is not used." % g["seed"],
           "",
           "- train and val: the train-side files; val is a seeded 10 % of the source lines of every pool "
           "(names and openers too), so val phrasings are unseen by training.",
           "- held-back: only the `*_heldback.txt` files (names from `names_heldback.txt`); texts whose "
           "words also occur in train or val are dropped.",
           "- Classes are balanced by loss weights, not by duplication. Rows with the same token ids and "
           "label in train are trained on once.", "",
           "| label | " + " | ".join(SPLITS) + " |", "|---|" + "---|" * len(SPLITS)]
    for lab in LABELS + ("total",):
        out.append("| %s | %s |" % (lab, " | ".join(str(g["counts"][s][lab]) for s in SPLITS)))
    out += ["", "Data files: " + ", ".join("`%s.jsonl` sha256 `%s`" % (s, g["sha256"][s]) for s in SPLITS) + ".",
            "", "## Commands", "", "```sh",
            g.get("command") or "python3 scripts/text/generate.py --out DIR --seed %s" % g["seed"],
            "python3 scripts/text/train.py " + " ".join(argv), "```", "",
            "Training: seed %d, best epoch %d of %d, %.1f s of training (embedding %.1f s, %s)." % (
                S["args"]["seed"], S["training"]["best_epoch"], S["training"]["epochs_run"],
                S["training"]["train_seconds"], S["embedding"]["seconds"],
                "from cache" if S["embedding"]["cached"] else "computed"),
            "", "## Results (the int8 ONNX head)", ""]
    for s in ("val", "heldback"):
        m = d[s]["int8"]
        out += ["### %s: accuracy %s (n %d; f32 weights before snapping: %s)" % (
            s, fmt(m["accuracy"]), m["n"], fmt(d[s]["fp32"]["accuracy"])), "",
            "| label | precision | recall | F1 | n |", "|---|---|---|---|---|"]
        for lab in LABELS:
            pc = m["per_class"][lab]
            out.append("| %s | %s | %s | %s | %d |" % (lab, fmt(pc["precision"]), fmt(pc["recall"]), fmt(pc["f1"]),
                                                         pc["support"]))
        out += ["", "Confusion (rows true, columns predicted):", "",
                "| | " + " | ".join(x[:6] for x in LABELS) + " |", "|---|" + "---|" * K]
        for i, row in enumerate(m["confusion"]):
            out.append("| %s | %s |" % (LABELS[i], " | ".join(str(v) for v in row)))
        out.append("")
    out += ["## Per decision: model vs the word-list rules", "",
            "The rules are `scripts/text/rules.py`, a Python port of `crates/core/src/interaction/words.rs` "
            "(its lists parsed out of the Rust source).", ""]
    out += ["- " + desc for _, desc in DECISIONS]
    out += [""] + decision_table(d) + [""]
    out += ["## Worst held-back confusions", ""]
    for c in d["heldback"]["worst_confusions"]:
        out.append("- %s -> %s: %d (%s)" % (c["true"], c["predicted"], c["count"], "; ".join(
            '"%s" %.2f' % (e["text"], e["p"]) for e in c["examples"])))
    out += ["", "## Limits", "",
            "- The texts are written, then made Whisper-like by rule; real transcripts (misrecognitions, "
            "other phrasings) will differ. The held-back numbers measure phrasings the head never saw, not "
            "real recordings.",
            "- A pause prefix of a request that reads as a whole sentence (\"Is it going to snow\", ended "
            "without \"...\" or \",\") is trained towards half request, half unfinished: the words alone "
            "cannot tell, the voice (smart-turn, the floor model) must. Such rows are scored apart "
            "(`whole_sentence_prefixes` in metrics.json: how often the head still calls them unfinished), "
            "not in the accuracies above.",
            "- The head sees only the words: levels, voices and the camera are the floor model's job.", ""]
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(out))


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    t_all = time.time()
    os.makedirs(args.out, exist_ok=True)
    rows = {s: load_split(args.data, s) for s in SPLITS}
    gen = {}
    sp = os.path.join(args.data, "summary.json")
    if os.path.exists(sp):
        with open(sp) as f:
            gen = json.load(f)
    counts = {s: dict(Counter(r["label"] for r in rows[s])) for s in SPLITS}
    for s in SPLITS:
        counts[s] = {lab: counts[s].get(lab, 0) for lab in LABELS}
        counts[s]["total"] = len(rows[s])

    log("embedding with %s (one thread)" % args.encoder)
    enc = Encoder(args.encoder, args.vocab)
    t0 = time.time()
    X, ids, cached_all, n_uniq = {}, {}, True, {}
    for s in SPLITS:
        texts = [r["text"] for r in rows[s]]
        X[s], ids[s], n_uniq[s], cached = embeddings(enc, args.data, s, texts)
        cached_all &= cached
        log("  %-8s %5d texts, %5d distinct token sequences%s" % (s, len(texts), n_uniq[s],
                                                                  " (cached)" if cached else ""))
    emb_seconds = time.time() - t0
    log("  %.1f s" % emb_seconds)
    y = {s: np.array([L[r["label"]] for r in rows[s]], np.int64) for s in SPLITS}
    texts = {s: [r["text"] for r in rows[s]] for s in SPLITS}

    # Train once per (token ids, label).
    seen, keep = set(), []
    for i, (t, lab) in enumerate(zip(ids["train"], y["train"])):
        if (t, int(lab)) not in seen:
            seen.add((t, int(lab)))
            keep.append(i)
    keep = np.array(keep)
    log("training on %d of %d train rows (one per token sequence and label), seed %d" % (
        len(keep), len(y["train"]), args.seed))
    T = {s: targets(rows[s]) for s in SPLITS}
    head, fp32, tinfo = train(args, X["train"][keep], y["train"][keep], T["train"][keep], X["val"], y["val"],
                              T["val"])

    # ---- export ------------------------------------------------------------------------------------------
    data_sha = {s: sha256_file(os.path.join(args.data, s + ".jsonl")) for s in SPLITS}
    arch = "(x - mean) * inv_std, dense %d->%d relu, dense %d->%d softmax" % (DIM, args.hidden, args.hidden, K)
    meta = {
        "labels": ",".join(LABELS), "input": "embedding f32 [batch, %d], unit length" % DIM,
        "output": "probs f32 [batch, %d], softmax, in label order" % K,
        "encoder": "all-MiniLM-L6-v2 (Apache-2.0) via models/convert_text_encoder.py",
        "encoder_sha256": enc.sha, "vocab_sha256": enc.vocab_sha, "architecture": arch,
        "quantization": "weights int8 symmetric per output channel, Cast and Mul in the graph; f32 arithmetic",
        "train_sha256": data_sha["train"], "val_sha256": data_sha["val"],
        "trainer": "scripts/text/train.py",
        "trainer_args": "seed=%d hidden=%d batch=%d lr=%g wd=%g dropout=%g label_smoothing=%g patience=%d" % (
            args.seed, args.hidden, args.batch, args.lr, args.wd, args.dropout, args.label_smoothing, args.patience),
        "best_epoch": str(tinfo["best_epoch"]),
    }
    blob = build_onnx(head, meta)
    blob2 = build_onnx(head, meta)
    deterministic = blob == blob2
    head_path = os.path.join(args.out, "text-head.int8.onnx")
    with open(head_path, "wb") as f:
        f.write(blob)
    sess = floor_onnx.session(head_path, threads=1)
    P8 = {s: sess.run(["probs"], {"embedding": X[s]})[0] for s in SPLITS}
    Pnp = {s: head.probs(X[s]) for s in SPLITS}
    P32 = {s: fp32.probs(X[s]) for s in SPLITS}
    diff = max(float(np.abs(P8[s] - Pnp[s]).max()) for s in SPLITS)
    one = max(float(np.abs(sess.run(["probs"], {"embedding": X["heldback"][i:i + 1]})[0][0] - P8["heldback"][i]).max())
              for i in range(min(50, len(X["heldback"]))))
    export = dict(path="text-head.int8.onnx", bytes=len(blob), sha256=hashlib.sha256(blob).hexdigest(),
                  deterministic_bytes=deterministic, params=head.n_params(), architecture=arch,
                  ops=sorted({n.op_type for n in onnx.load_from_string(blob).graph.node}),
                  max_abs_diff_onnx_vs_numpy_int8_weights=diff, max_abs_diff_batch_vs_single=one,
                  max_abs_diff_int8_vs_fp32=max(float(np.abs(P8[s] - P32[s]).max()) for s in SPLITS))
    log("export: %s %d bytes, sha256 %s, deterministic bytes: %s" % (head_path, len(blob), export["sha256"],
                                                                     deterministic))
    log("  max |onnx - numpy (int8 weights)| = %.2e; batch vs one at a time %.2e; |int8 - fp32| max %.4f" % (
        diff, one, export["max_abs_diff_int8_vs_fp32"]))

    # ---- evaluation --------------------------------------------------------------------------------------
    # Rows with a target of their own (pause prefixes that read as whole sentences) have no one
    # right answer: they are scored apart, by how often the head still calls them unfinished.
    results = {}
    for s in SPLITS:
        soft = np.array(["target" in r for r in rows[s]], bool)
        hard = np.nonzero(~soft)[0]
        ys, p8, p32, ts = y[s][hard], P8[s][hard], P32[s][hard], [texts[s][i] for i in hard]
        pred8, pred32 = p8.argmax(1), p32.argmax(1)
        pu = P8[s][soft, L["unfinished"]]
        results[s] = dict(int8=class_metrics(ys, pred8), fp32=class_metrics(ys, pred32),
                          decisions=decisions(ts, ys, p8),
                          worst_confusions=worst_confusions(ts, ys, pred8, p8),
                          decision_flips_int8_vs_fp32=int((pred8 != pred32).sum()),
                          whole_sentence_prefixes=dict(
                              n=int(soft.sum()), mean_p_unfinished=_r(pu.mean() if len(pu) else None),
                              share_unfinished_0_6=_r((pu >= 0.6).mean() if len(pu) else None)))
    log("\naccuracy (int8 / fp32): " + ", ".join("%s %s / %s" % (s, fmt(results[s]["int8"]["accuracy"]),
                                                                  fmt(results[s]["fp32"]["accuracy"])) for s in SPLITS))
    for s in SPLITS:
        w = results[s]["whole_sentence_prefixes"]
        log("%s: %d pause prefixes that read as whole sentences (scored apart): mean p[unfinished] %s, "
            "share >= 0.6 %s" % (s, w["n"], fmt(w["mean_p_unfinished"]), fmt(w["share_unfinished_0_6"])))
    for s in ("val", "heldback"):
        log("%s per class (precision / recall): %s" % (s, ", ".join(
            "%s %s/%s" % (lab, fmt(v["precision"]), fmt(v["recall"]))
            for lab, v in results[s]["int8"]["per_class"].items())))
    log("")
    for ln in decision_table(results):
        log(ln)
    log("\nworst held-back confusions:")
    for c in results["heldback"]["worst_confusions"]:
        log("  %s -> %s: %d  e.g. %s" % (c["true"], c["predicted"], c["count"], "; ".join(
            "%r %.2f" % (e["text"], e["p"]) for e in c["examples"][:3])))

    # ---- held-back cases for a Rust test ----------------------------------------------------------------
    rng = random.Random("%d/cases" % args.seed)
    cases = []
    for c in range(K):
        idx = [i for i in range(len(y["heldback"])) if y["heldback"][i] == c and "target" not in rows["heldback"][i]]
        for i in sorted(rng.sample(idx, min(args.cases_per_class, len(idx)))):
            p = P8["heldback"][i]
            cases.append(dict(text=texts["heldback"][i], label=LABELS[c], predicted=LABELS[int(p.argmax())],
                              probs=[round(float(v), 6) for v in p]))
    with open(os.path.join(args.out, "heldback_cases.jsonl"), "w", encoding="utf-8", newline="\n") as f:
        for c in cases:
            f.write(json.dumps(c, ensure_ascii=False) + "\n")

    S = dict(
        labels=list(LABELS), args=vars(args), trainer_commit=git_commit(HERE),
        data=dict(dir=os.path.abspath(args.data), seed=gen.get("seed"), command=gen.get("command"),
                  generator_version=gen.get("generator_version"), counts=counts, sha256=data_sha,
                  distinct_token_sequences=n_uniq, train_rows_used=int(len(keep))),
        encoder=dict(path=os.path.abspath(args.encoder), sha256=enc.sha, vocab_sha256=enc.vocab_sha,
                     converter_sha256=enc.converter_sha),
        embedding=dict(seconds=round(emb_seconds, 1), cached=cached_all),
        training=tinfo, export=export, results=results, heldback_cases=len(cases),
        decision_definitions={k: v for k, v in DECISIONS},
        rules=dict(source="crates/core/src/interaction/words.rs", port="scripts/text/rules.py"),
        total_seconds=round(time.time() - t_all, 1))
    with open(os.path.join(args.out, "metrics.json"), "w", encoding="utf-8", newline="\n") as f:
        json.dump(S, f, indent=1, sort_keys=True)
        f.write("\n")
    write_card(os.path.join(args.out, "DATA_CARD.md"), S, argv)
    log("\nwrote %s/{text-head.int8.onnx, metrics.json, DATA_CARD.md, heldback_cases.jsonl} in %.1f s" % (
        args.out, time.time() - t_all))
    ok = deterministic and diff < 1e-4
    if not ok:
        log("CHECK FAILED: export not deterministic or ONNX differs from numpy")
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
