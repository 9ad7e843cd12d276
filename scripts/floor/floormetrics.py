"""Decision-level metrics for the floor model and the rule baselines."""

import numpy as np

from floordata import ADDR_KINDS, INT_HORIZONS_MS, OVERLAP_KINDS, TURN_HORIZONS_MS

HEAD_OF_TYPE = {"turn": 0, "int": 1, "addr": 2}


def preds_from_probs(decisions, probs, thr=0.5):
    """Each decision's prediction from its own head's probability (probs [D, 3])."""
    heads = np.array([HEAD_OF_TYPE.get(d["type"], 0) for d in decisions], np.int64)
    if len(decisions) == 0:
        return np.zeros(0, bool)
    return probs[np.arange(len(decisions)), heads] > thr


def _prf(pred, lab):
    tp = int(np.sum(pred & lab))
    fp = int(np.sum(pred & ~lab))
    fn = int(np.sum(~pred & lab))
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    acc = float(np.mean(pred == lab)) if len(lab) else None
    return dict(f1=round(f1, 4), precision=round(p, 4), recall=round(r, 4),
                accuracy=None if acc is None else round(acc, 4), n=int(len(lab)), n_pos=int(lab.sum()))


def _acc(pred, lab):
    return dict(accuracy=round(float(np.mean(pred == lab)), 4) if len(lab) else None, n=int(len(lab)))


def metrics(decisions, pred, select=None):
    """Metrics of predictions `pred` (bool [D], NaN-free) over decisions (optionally a bool subset).
    A decision whose prediction is None/unavailable must be excluded by `select`."""
    D = len(decisions)
    sel = np.ones(D, bool) if select is None else np.asarray(select, bool)
    typ = np.array([d["type"] for d in decisions]) if D else np.zeros(0, str)
    hor = np.array([d["horizon_ms"] for d in decisions], np.int64) if D else np.zeros(0, np.int64)
    kind = np.array([d["kind"] for d in decisions]) if D else np.zeros(0, str)
    lab = np.array([d["label"] for d in decisions], bool) if D else np.zeros(0, bool)
    pred = np.asarray(pred, bool)
    out = {}
    for h in TURN_HORIZONS_MS:
        i = sel & (typ == "turn") & (hor == h)
        out["turn_end_%dms" % h] = _prf(pred[i], lab[i])
    for h in INT_HORIZONS_MS:
        i = sel & (typ == "int") & (hor == h)
        r = _acc(pred[i], lab[i])
        pos, neg = i & lab, i & ~lab
        r["interruption_recall"] = round(float(pred[pos].mean()), 4) if pos.any() else None
        r["false_cutin_rate"] = round(float(pred[neg].mean()), 4) if neg.any() else None
        r["per_kind"] = {k: _acc(pred[i & (kind == k)], lab[i & (kind == k)])
                         for k in OVERLAP_KINDS if (i & (kind == k)).any()}
        out["interruption_%dms" % h] = r
    i = sel & (typ == "addr")
    r = _acc(pred[i], lab[i])
    r["per_kind"] = {k: _acc(pred[i & (kind == k)], lab[i & (kind == k)])
                     for k in ADDR_KINDS if (i & (kind == k)).any()}
    r["skipped_ambiguous"] = int(np.sum(sel & (typ == "addr_ambiguous")))
    out["addressee_at_end"] = r
    return out


def headline(m):
    """The handful of numbers printed in tables: name -> value (None when no decisions)."""
    out = {}
    for key, v in m.items():
        if key.startswith("turn_end"):
            out[key + " F1"] = v["f1"] if v["n"] else None
        else:
            out[key + " acc"] = v["accuracy"]
    return out


def fit_threshold(stats, labels, kind):
    """Threshold t (predict stat >= t) that maximises F1 (kind 'f1') or accuracy on train decisions."""
    ok = ~np.isnan(stats)
    s, y = stats[ok], np.asarray(labels, bool)[ok]
    if len(s) == 0:
        return None
    cands = np.unique(np.concatenate([s, [s.max() + 1]]))
    if len(cands) > 400:
        cands = np.unique(np.quantile(s, np.linspace(0, 1, 401)))
    best, best_t = -1.0, None
    for t in cands:
        p = s >= t
        if kind == "f1":
            v = _prf(p, y)["f1"]
        else:
            v = float(np.mean(p == y))
        if v > best:
            best, best_t = v, float(t)
    return best_t
