#!/usr/bin/env python3
"""Experiment (dev-time, PyTorch CPU): would the text model judge better with the sentence
encoder's last layer fine-tuned, not only the head on its frozen mean-pooled embedding?

The int8 encoder (as the engine runs it) gives each text's layer-CUT output states (an extra
graph output added in memory); the layers after CUT start from the pretrained weights
(all-MiniLM-L6-v2's safetensors, read by models/convert_text_encoder.py) and are trained with
a head like train.py's (mean pool, L2 norm, standardise, dense 64, ReLU, dense 7), class-
balanced cross-entropy with label smoothing, early stop on validation loss. Prints the loss per
epoch and train.py's per-decision table on val and held-back.

    python3 scripts/text/generate.py --out /tmp/textdata --seed 1
    PY scripts/text/probe_finetune.py /tmp/textdata      # PY: a Python with torch, numpy, onnx,
                                                         # onnxruntime (dev-only; never a setup
                                                         # dependency)
Environment: CUT (default 4), POOL (mean | mean+last), LR (the trained layers', default 5e-5),
EPOCHS (30), TANDEM_TEXT_MODELS (default ~/.cache/tandem/models/text).

Result (2026-12-08, BENCHMARKS.md "A crash at exit, a quiet microphone, and what the text model
taught as unfinished"): the best validation loss came after one epoch, then the layer fit the
training phrasings; addressed accuracy fell on both splits. Not shipped.
"""
import os
import sys
import time
from pathlib import Path
import math
import numpy as np

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "scripts", "text"))
sys.path.insert(0, os.path.join(ROOT, "models"))
import train as T  # noqa
import convert_text_encoder as cte  # noqa
import onnx  # noqa
import onnxruntime as ort  # noqa
from onnx import TensorProto, helper  # noqa
import torch  # noqa
import torch.nn as nn  # noqa
import torch.nn.functional as F  # noqa

torch.set_num_threads(2)
M = os.path.expanduser(os.environ.get("TANDEM_TEXT_MODELS", "~/.cache/tandem/models/text")) + "/"
ENC = M + "text-encoder.int8.onnx"
data = sys.argv[1] if len(sys.argv) > 1 else "/tmp/ftdata"
CUT = int(os.environ.get("CUT", "4"))  # layers 0..CUT frozen (int8 ONNX), CUT+1..5 trained
POOL = os.environ.get("POOL", "mean")
vocab = cte.load_vocab(M + "text-vocab.txt")


def states(texts):
    m = onnx.load(ENC)
    name = "l%d_ffn_ln" % CUT
    m.graph.output.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, ["batch", "seq", 384]))
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.add_session_config_entry("session.x64quantprecision", "1")
    sess = ort.InferenceSession(m.SerializeToString(), opts, providers=["CPUExecutionProvider"])
    memo, out, emb = {}, [], []
    for t in texts:
        ids = tuple(cte.tokenize(t, vocab))
        if ids not in memo:
            a = np.array([ids], np.int64)
            e, h = sess.run(["embedding", name], {"input_ids": a, "attention_mask": np.ones_like(a)})
            memo[ids] = (h[0], e[0])
        out.append(memo[ids][0])
        emb.append(memo[ids][1])
    return out, np.array(emb)


class Layer(nn.Module):
    def __init__(self, st, i):
        super().__init__()
        p = "encoder.layer.%d." % i
        def lin(k):
            w, b = st[p + k + ".weight"], st[p + k + ".bias"]
            l = nn.Linear(w.shape[1], w.shape[0])
            l.weight.data = torch.tensor(w.copy())
            l.bias.data = torch.tensor(b.copy())
            return l
        def ln(k):
            l = nn.LayerNorm(384, eps=1e-12)
            l.weight.data = torch.tensor(st[p + k + ".weight"].copy())
            l.bias.data = torch.tensor(st[p + k + ".bias"].copy())
            return l
        self.q, self.k, self.v = lin("attention.self.query"), lin("attention.self.key"), lin("attention.self.value")
        self.o = lin("attention.output.dense")
        self.ln1 = ln("attention.output.LayerNorm")
        self.fi, self.fo = lin("intermediate.dense"), lin("output.dense")
        self.ln2 = ln("output.LayerNorm")
        self.drop = nn.Dropout(0.1)

    def forward(self, h, mask):
        B, S, _ = h.shape
        sh = lambda x: x.view(B, S, 12, 32).transpose(1, 2)  # noqa
        q, k, v = sh(self.q(h)), sh(self.k(h)), sh(self.v(h))
        s = q @ k.transpose(-1, -2) / math.sqrt(32) + (1 - mask)[:, None, None, :] * -1e4
        ctx = (s.softmax(-1) @ v).transpose(1, 2).reshape(B, S, 384)
        h = self.ln1(self.drop(self.o(ctx)) + h)
        x = F.gelu(self.fi(h))
        return self.ln2(self.drop(self.fo(x)) + h)


class Net(nn.Module):
    def __init__(self, st, mean, std, hidden=64):
        super().__init__()
        self.layers = nn.ModuleList([Layer(st, i) for i in range(CUT + 1, 6)])
        d = 384 * (2 if POOL == "mean+last" else 1)
        self.register_buffer("mu", torch.tensor(mean))
        self.register_buffer("sd", torch.tensor(std))
        self.d1 = nn.Linear(d, hidden)
        self.d2 = nn.Linear(hidden, 7)
        self.hdrop = nn.Dropout(0.5)

    def feats(self, h, mask, last):
        for l in self.layers:
            h = l(h, mask)
        m = (h * mask[..., None]).sum(1) / mask.sum(1, keepdim=True)
        m = m / m.norm(dim=-1, keepdim=True).clamp_min(1e-12)
        if POOL == "mean+last":
            lt = h[torch.arange(h.shape[0]), last]
            m = torch.cat([m, lt], -1)
        return m

    def forward(self, h, mask, last):
        x = (self.feats(h, mask, last) - self.mu) / self.sd
        return self.d2(self.hdrop(F.relu(self.d1(x))))


def batch(H, idx):
    S = max(H[i].shape[0] for i in idx)
    h = np.zeros((len(idx), S, 384), np.float32)
    m = np.zeros((len(idx), S), np.float32)
    last = np.zeros(len(idx), np.int64)
    for j, i in enumerate(idx):
        n = H[i].shape[0]
        h[j, :n] = H[i]
        m[j, :n] = 1
        last[j] = max(n - 2, 0)
    return torch.tensor(h), torch.tensor(m), torch.tensor(last)


def main():
    t0 = time.time()
    rows = {s: T.load_split(data, s) for s in T.SPLITS}
    texts = {s: [r["text"] for r in rows[s]] for s in T.SPLITS}
    y = {s: np.array([T.L[r["label"]] for r in rows[s]]) for s in T.SPLITS}
    tg = {s: T.targets(rows[s]) for s in T.SPLITS}
    H, E = {}, {}
    for s in T.SPLITS:
        H[s], E[s] = states(texts[s])
    print("states %.1fs" % (time.time() - t0), flush=True)
    st, _ = cte.read_zip(Path(M + "minilm-l6-v2.zip"))
    torch.manual_seed(1)
    rng = np.random.default_rng(1)
    # feature normalisation from the pretrained features on train
    net0 = Net(st, np.zeros(384 * (2 if POOL == "mean+last" else 1), np.float32),
               np.ones(384 * (2 if POOL == "mean+last" else 1), np.float32))
    net0.eval()
    with torch.no_grad():
        fs = []
        for i in range(0, len(H["train"]), 256):
            fs.append(net0.feats(*batch(H["train"], list(range(i, min(i + 256, len(H["train"])))))))
        fs = torch.cat(fs).numpy()
    net = Net(st, fs.mean(0), np.maximum(fs.std(0), 1e-4))
    cw = torch.tensor(T.class_weights(y["train"]))
    lr_layer = float(os.environ.get("LR", "5e-5"))
    opt = torch.optim.AdamW([
        {"params": [p for l in net.layers for p in l.parameters()], "lr": lr_layer, "weight_decay": 0.01},
        {"params": list(net.d1.parameters()) + list(net.d2.parameters()), "lr": 1e-3, "weight_decay": 0.01},
    ])
    eps = 0.05

    def loss_of(z, t, yy):
        t = (1 - eps) * t + eps / 7
        w = cw[yy]
        return -(w[:, None] * t * z.log_softmax(-1)).sum() / w.sum()

    def evaluate(s):
        net.eval()
        out = []
        with torch.no_grad():
            for i in range(0, len(H[s]), 256):
                out.append(net(*batch(H[s], list(range(i, min(i + 256, len(H[s])))))))
        z = torch.cat(out)
        l = loss_of(z, torch.tensor(tg[s]), torch.tensor(y[s])).item()
        return z.softmax(-1).numpy(), l

    best, best_state, bad = 1e9, None, 0
    for ep in range(int(os.environ.get("EPOCHS", "30"))):
        net.train()
        order = rng.permutation(len(H["train"]))
        tot = 0
        for i in range(0, len(order), 32):
            idx = order[i:i + 32]
            z = net(*batch(H["train"], idx))
            l = loss_of(z, torch.tensor(tg["train"][idx]), torch.tensor(y["train"][idx]))
            opt.zero_grad()
            l.backward()
            opt.step()
            tot += l.item() * len(idx)
        _, vl = evaluate("val")
        print("ep %d train %.4f val %.4f %.0fs" % (ep, tot / len(order), vl, time.time() - t0), flush=True)
        if vl < best - 1e-4:
            best, bad = vl, 0
            best_state = {k: v.clone() for k, v in net.state_dict().items()}
        else:
            bad += 1
            if bad >= 5:
                break
    net.load_state_dict(best_state)
    res = {}
    for s in ("val", "heldback"):
        P, _ = evaluate(s)
        hard = np.array(["target" not in r for r in rows[s]])
        ts = [t for t, h in zip(texts[s], hard) if h]
        print("%s: class accuracy %.3f" % (s, (P[hard].argmax(1) == y[s][hard]).mean()))
        res[s] = dict(decisions=T.decisions(ts, y[s][hard], P[hard]))
    for ln in T.decision_table(res):
        print(ln)


if __name__ == "__main__":
    main()
