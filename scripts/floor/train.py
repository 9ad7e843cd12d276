#!/usr/bin/env python3
"""Train the floor model (numpy), evaluate it per decision against rule baselines, export ONNX.

    python3 scripts/floor/train.py --data DIR [--out DIR/model] [--epochs 30] [--seed 0]

DIR/{train,val,heldback}/<id>/ hold episode.json + feats.f32 + feats.json (the floor data
contract); episodes without features are skipped and counted. Trains on train, early-stops on
val, and only evaluates on heldback. Writes to --out: floor.onnx (fp32), floor.int8.onnx
(dynamic int8), metrics.json, DATA_CARD.md, data_manifest.tsv. One CPU thread throughout.
"""

import os

# One core, and deterministic BLAS: set before numpy is imported.
for _v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_v] = "1"

import argparse  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import data_card  # noqa: E402
import floor_onnx  # noqa: E402
from provenance import git_commit, sha256_file  # noqa: E402
import floordata as fd  # noqa: E402
import floormetrics as fm  # noqa: E402
from floormodel import Adam, FloorMLP, masked_bce  # noqa: E402

SPLITS = ("train", "val", "heldback")


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True, help="directory with train/ val/ heldback/ episodes")
    ap.add_argument("--out", help="output directory (default DATA/model)")
    ap.add_argument("--epochs", type=int, default=30, help="maximum epochs (default 30)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--stride", type=int, default=5,
                    help="train on every STRIDE-th masked-in frame; the phase moves each epoch (default 5)")
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--wd", type=float, default=1e-4, help="decoupled weight decay")
    ap.add_argument("--label-smoothing", type=float, default=0.05,
                    help="targets 1 - e/2 and e/2: keeps logits moderate, so int8 stays close to fp32")
    ap.add_argument("--patience", type=int, default=5, help="epochs without val improvement before stopping")
    ap.add_argument("--frame-dim", type=int, default=16, help="per-frame embedding size d")
    ap.add_argument("--hidden", default="64,32", help="two hidden layer sizes (default 64,32)")
    ap.add_argument("--head-weights", default="1,1,1", help="loss weight of turn_complete,interruption,addressed")
    ap.add_argument("--max-minutes", type=float, default=55.0, help="stop training after this many minutes")
    ap.add_argument("--rule-vad", help="feature for the pause/run rules (default: first name containing 'vad' or 'voice')")
    ap.add_argument("--rule-vad-threshold", type=float, default=0.5)
    ap.add_argument("--rule-level", help="feature for the level rule (default: first name containing 'level')")
    ap.add_argument("--rule-level-threshold", type=float, default=-0.7,
                    help="fixed level rule threshold in feature units (default -0.7 = -14 dB if the feature is dB/20)")
    ap.add_argument("--rule-pause-ms", type=float, default=700.0)
    ap.add_argument("--rule-run-ms", type=float, default=650.0)
    ap.add_argument("--int8", choices=("auto", "dynamic", "weight-only"), default="auto",
                    help="auto: quantize_dynamic variants first, weight-only int8 if none is within 0.02 of fp32")
    ap.add_argument("--compare-windows", type=int, default=20000,
                    help="val windows for the int8-vs-fp32 comparison (default 20000)")
    ap.add_argument("--time-calls", type=int, default=3000)
    return ap.parse_args(argv)


def log(*a):
    print(*a, flush=True)


def data_manifest(splits, out_dir):
    """sha256 of every episode.json and feats.f32 used, one line each; returns the manifest's sha256."""
    lines = []
    for sp in splits.values():
        for e in sp.episodes:
            lines.append("%s/%s\t%s\t%s" % (sp.name, os.path.basename(e["path"]),
                                            sha256_file(os.path.join(e["path"], "episode.json")),
                                            sha256_file(os.path.join(e["path"], "feats.f32"))))
    text = "split/episode\tepisode.json sha256\tfeats.f32 sha256\n" + "\n".join(lines) + "\n"
    with open(os.path.join(out_dir, "data_manifest.tsv"), "w") as f:
        f.write(text)
    return hashlib.sha256(text.encode()).hexdigest()


def generator_info(data_dir):
    """What the data directory says about how it was made: generate.py's summary.json (seed,
    generator_version, counts), else a manifest.json / generator.json (seed, command)."""
    info = {}
    for name in ("summary.json", "manifest.json", "generator.json", "generate.json"):
        p = os.path.join(data_dir, name)
        if os.path.exists(p):
            try:
                with open(p) as f:
                    info = json.load(f)
                info["_file"] = name
            except (OSError, ValueError):
                pass
            break
    return info


def class_weights(sp, rows):
    """Per head: weight of positives / negatives (balanced: each class half the loss) and the
    fraction of rows where the head is masked in."""
    M, Y = sp.M[rows], sp.Y[rows]
    wpos, wneg, frac, prior = np.zeros(3), np.zeros(3), np.zeros(3), np.zeros(3)
    for j in range(3):
        m = M[:, j]
        frac[j] = m.mean() if len(m) else 0.0
        if m.sum() == 0:
            continue
        p = Y[m, j].mean()
        prior[j] = p
        if 0 < p < 1:
            wpos[j], wneg[j] = 0.5 / p, 0.5 / (1 - p)
    return wpos, wneg, frac, prior


def targets(sp, rows, eps):
    return sp.Y[rows] * (1 - eps) + eps / 2


def loss_weights(sp, rows, wpos, wneg, frac, hw):
    M, Y = sp.M[rows], sp.Y[rows]
    w = M * (Y * wpos + (1 - Y) * wneg) * hw / np.maximum(frac, 1e-9)
    return (w / len(rows)).astype(np.float32)


def evaluate_loss(model, sp, rows, wpos, wneg, frac, hw, eps, batch=4096):
    tot = 0.0
    for i in range(0, len(rows), batch):
        r = rows[i:i + batch]
        z = model.forward(fd.windows(sp.X, r))
        w = loss_weights(sp, r, wpos, wneg, frac, hw) * len(r) / len(rows)
        tot += masked_bce(z, targets(sp, r, eps), w)[0]
    return tot


def probs_at(fn, X, rows, batch=4096):
    """fn(windows) over the windows ending at `rows`, gathered a batch at a time (memory stays small)."""
    out = [fn(fd.windows(X, rows[i:i + batch])) for i in range(0, len(rows), batch)]
    return np.concatenate(out) if out else np.zeros((0, 3), np.float32)


def frame_level(sp, rows, probs):
    """Balanced accuracy per head over masked-in sampled frames."""
    out = {}
    for j, h in enumerate(fd.HEADS):
        m = sp.M[rows, j]
        y = sp.Y[rows, j][m] > 0.5
        p = probs[m, j] > 0.5
        if y.any() and (~y).any():
            out[h] = dict(balanced_accuracy=round(float((p[y].mean() + (~p[~y]).mean()) / 2), 4),
                          n=int(m.sum()), positive_rate=round(float(y.mean()), 4))
    return out


def train(args, splits, F, hw):
    tr, va = splits["train"], splits["val"]
    rng = np.random.default_rng(args.seed)
    h1, h2 = (int(v) for v in args.hidden.split(","))
    model = FloorMLP(fd.T, F, args.frame_dim, h1, h2, rng)

    # Input normalisation from the training frames (padding rows excluded).
    real = np.concatenate([np.arange(e["offset"], e["offset"] + e["n"]) for e in tr.episodes])
    mean = tr.X[real].mean(0)
    std = tr.X[real].std(0)
    model.mean = mean.astype(np.float32)
    model.inv_std = np.where(std > 1e-4, 1.0 / np.maximum(std, 1e-4), 1.0).astype(np.float32)

    all_rows = fd.sample_rows(tr, 1, 0)
    wpos, wneg, frac, prior = class_weights(tr, all_rows)
    for j, h in enumerate(fd.HEADS):
        log("  head %-13s masked-in %.3f of frames, positive rate %.3f" % (h, frac[j], prior[j]))
        if wpos[j] == 0:
            log("  WARNING: head %s has a single class in train: it gets no loss" % h)
    val_rows = fd.sample_rows(va, args.stride, 0)
    opt = Adam(model.p, args.lr, wd=args.wd)
    best, best_state, best_epoch, bad = np.inf, model.state(), -1, 0
    history = []
    t_start = time.time()
    for epoch in range(args.epochs):
        t0 = time.time()
        rows = fd.sample_rows(tr, args.stride, epoch % args.stride)
        rows = rows[rng.permutation(len(rows))]
        tot, nb = 0.0, 0
        for i in range(0, len(rows), args.batch):
            r = rows[i:i + args.batch]
            x = fd.windows(tr.X, r)
            z = model.forward(x, keep=True)
            loss, dz = masked_bce(z, targets(tr, r, args.label_smoothing), loss_weights(tr, r, wpos, wneg, frac, hw))
            opt.step(model.p, model.backward(dz))
            tot += loss
            nb += 1
        vl = (evaluate_loss(model, va, val_rows, wpos, wneg, frac, hw, args.label_smoothing) if len(val_rows)
              else tot / max(nb, 1))
        improved = vl < best - 1e-4
        if improved:
            best, best_state, best_epoch, bad = vl, model.state(), epoch, 0
        else:
            bad += 1
            if bad % 2 == 0:
                opt.lr *= 0.5
        history.append(dict(epoch=epoch, train_loss=round(tot / max(nb, 1), 5), val_loss=round(float(vl), 5),
                            windows=int(len(rows)), lr=opt.lr, seconds=round(time.time() - t0, 1)))
        log("  epoch %2d  train %.4f  val %.4f  %s windows %d  lr %.2g  %.1fs" % (
            epoch, tot / max(nb, 1), vl, "*" if improved else " ", len(rows), opt.lr, time.time() - t0))
        if bad >= args.patience:
            log("  early stop: no val improvement for %d epochs" % bad)
            break
        if (time.time() - t_start) / 60 > args.max_minutes:
            log("  stopping: --max-minutes %.0f reached" % args.max_minutes)
            break
    model.load(best_state)
    fp32_val = best

    # Weights onto their int8 grid: the int8 export then holds exactly these weights.
    model.snap()
    best = evaluate_loss(model, va, val_rows, wpos, wneg, frac, hw, args.label_smoothing) if len(val_rows) else best
    log("  weights snapped to int8: val loss %.4f (before %.4f)" % (best, fp32_val))
    info = dict(best_epoch=best_epoch, best_val_loss=round(float(best), 5),
                val_loss_before_snap=round(float(fp32_val), 5), epochs_run=len(history),
                train_seconds=round(time.time() - t_start, 1), history=history,
                class_prior=dict(zip(fd.HEADS, prior.round(4).tolist())),
                head_masked_fraction=dict(zip(fd.HEADS, frac.round(4).tolist())))
    return model, info


def rule_block(splits, names, args):
    """Rule baselines: fixed thresholds from the brief, and thresholds fitted on train decisions."""
    vad = fd.find_feature(names, args.rule_vad, ("vad", "voice"))
    lvl = fd.find_feature(names, args.rule_level, ("level",))
    desc = dict(
        vad_feature=names[vad] if vad is not None else None, vad_threshold=args.rule_vad_threshold,
        level_feature=names[lvl] if lvl is not None else None,
        turn="predict turn_complete when the voice-inactive run (vad < thr) >= %g ms" % args.rule_pause_ms,
        interruption="predict interruption when the voice-active run ending now >= %g ms" % args.rule_run_ms,
        addressed="predict addressed when the mean level over the last 0.5 s >= %g (feature units)"
                  % args.rule_level_threshold)
    stats = {s: fd.rule_stats(sp, vad, args.rule_vad_threshold, lvl) for s, sp in splits.items()}
    groups = [("turn", h) for h in fd.TURN_HORIZONS_MS] + [("int", h) for h in fd.INT_HORIZONS_MS] + [("addr", 0)]
    fixed = {"turn": args.rule_pause_ms, "int": args.rule_run_ms, "addr": args.rule_level_threshold}
    fitted = {}
    tr = splits["train"]
    for typ, h in groups:
        sel = np.array([d["type"] == typ and d["horizon_ms"] == h for d in tr.decisions], bool)
        labs = np.array([d["label"] for d in tr.decisions], bool)
        t = fm.fit_threshold(stats["train"][sel], labs[sel], "f1" if typ == "turn" else "acc") if sel.any() else None
        fitted["%s_%d" % (typ, h)] = t
    desc["fitted_thresholds_on_train"] = fitted
    preds = {}
    for s, sp in splits.items():
        st = stats[s]
        avail = ~np.isnan(st)
        pf = np.zeros(len(st), bool)
        pt = np.zeros(len(st), bool)
        for i, d in enumerate(sp.decisions):
            if not avail[i]:
                continue
            typ = d["type"] if d["type"] != "addr_ambiguous" else None
            if typ is None:
                continue
            pf[i] = st[i] >= fixed[typ]
            ft = fitted.get("%s_%d" % (typ, d["horizon_ms"]))
            pt[i] = ft is not None and st[i] >= ft
        amb = np.array([d["type"] == "addr_ambiguous" for d in sp.decisions], bool)
        preds[s] = (pf, pt, avail | amb)
    return desc, preds


def main(argv=None):
    args = parse_args(argv)
    t_all = time.time()
    data = os.path.abspath(args.data)
    out = os.path.abspath(args.out or os.path.join(data, "model"))
    os.makedirs(out, exist_ok=True)
    hw = np.array([float(v) for v in args.head_weights.split(",")], np.float32)

    log("loading %s" % data)
    splits, names, version = {}, None, None
    for s in SPLITS:
        sp, names, v = fd.load_split(data, s, names)
        version = version if version is not None else v
        splits[s] = sp
        log("  %-8s %5d episodes, %7.2f h, %6d decisions; skipped: %d without features, %d bad" % (
            s, len(sp.episodes), sum(e["duration_ms"] for e in sp.episodes) / 3.6e6, len(sp.decisions),
            sp.skipped_no_features, len(sp.skipped_bad)))
        for sub, why in sp.skipped_bad[:5]:
            log("    skipped %s: %s" % (sub, why))
    if not splits["train"].episodes or not splits["val"].episodes:
        log("error: need train and val episodes with features")
        return 2
    F = len(names)
    log("  %d features (version %s): %s" % (F, version, ", ".join(names)))

    manifest_sha = data_manifest(splits, out)
    gen = generator_info(data)
    commit = git_commit(os.path.dirname(os.path.abspath(__file__)))

    log("training (seed %d, one thread)" % args.seed)
    model, tinfo = train(args, splits, F, hw)
    log("  best epoch %d, val loss %.4f, %.1f s" % (tinfo["best_epoch"], tinfo["best_val_loss"], tinfo["train_seconds"]))

    # ---- export ------------------------------------------------------------------------------
    seeds = sorted(e["seed"] for sp in splits.values() for e in sp.episodes if isinstance(e["seed"], int))
    meta = {
        "frames": str(fd.T), "n_features": str(F), "feature_version": str(version),
        "outputs": ",".join(fd.HEADS), "feature_names": ",".join(names), "threshold": "0.5",
        "architecture": "norm, frame dense %d->%d relu, dense %d->%d relu, dense %d->%d relu, dense %d->3 sigmoid" % (
            F, model.d, fd.T * model.d, model.h1, model.h1, model.h2, model.h2),
        "sha256_of_training_data_manifest": manifest_sha,
        "generator_seed": str(gen.get("seed", "unknown")),
        "generator_version": str(gen.get("generator_version", "unknown")),
        "episode_seeds": "%s..%s" % (seeds[0], seeds[-1]) if seeds else "unknown",
        "episodes": ",".join("%s=%d" % (s, len(splits[s].episodes)) for s in SPLITS),
        "trainer": "scripts/floor/train.py", "trainer_commit": commit,
        "trainer_args": ("seed=%d epochs=%d stride=%d batch=%d lr=%g wd=%g label_smoothing=%g frame_dim=%d "
                         "hidden=%s head_weights=%s" % (
                             args.seed, args.epochs, args.stride, args.batch, args.lr, args.wd, args.label_smoothing,
                             args.frame_dim, args.hidden, args.head_weights)),
        "best_epoch": str(tinfo["best_epoch"]),
    }
    fp32_path, int8_path = os.path.join(out, "floor.onnx"), os.path.join(out, "floor.int8.onnx")
    floor_onnx.save(floor_onnx.build_graph(model, meta), fp32_path)
    va = splits["val"]
    vrows = fd.sample_rows(va, args.stride, 0)
    if len(vrows) > args.compare_windows:
        vrows = vrows[np.linspace(0, len(vrows) - 1, args.compare_windows).astype(np.int64)]
    vw = fd.windows(va.X, vrows)
    chosen, tried = floor_onnx.quantize(fp32_path, int8_path, vw, limit=0.02, mode=args.int8)
    s32, s8 = floor_onnx.session(fp32_path), floor_onnx.session(int8_path)
    p_np = model.probs(vw)
    p32 = floor_onnx.run_windows(s32, vw)
    export = dict(
        fp32=dict(path="floor.onnx", bytes=os.path.getsize(fp32_path), sha256=sha256_file(fp32_path),
                  ops=floor_onnx.op_types(fp32_path)),
        int8=dict(path="floor.int8.onnx", bytes=os.path.getsize(int8_path), sha256=sha256_file(int8_path),
                  ops=floor_onnx.op_types(int8_path), quantization=chosen["variant"]),
        quantization_tried=tried,
        params=model.n_params(), opset=floor_onnx.OPSET, arch=meta["architecture"],
        compare_windows=int(len(vrows)),
        max_abs_diff_numpy_vs_fp32_onnx=float(np.abs(p_np - p32).max()) if len(vrows) else None,
        max_abs_diff_int8_vs_fp32=chosen["max_abs_diff"],
        mean_abs_diff_int8_vs_fp32=chosen["mean_abs_diff"],
        decision_flips_int8_vs_fp32=chosen["flips_at_0_5"],
    )
    export["int8_within_0.02"] = bool(len(vrows)) and chosen["max_abs_diff"] < 0.02
    w1 = vw[:1] if len(vw) else np.zeros((1, fd.T, F), np.float32)
    export["time_fp32"] = floor_onnx.time_calls(s32, w1, n=args.time_calls)
    export["time_int8"] = floor_onnx.time_calls(s8, w1, n=args.time_calls)
    log("export: floor.onnx %d B, floor.int8.onnx %d B, %d params" % (
        export["fp32"]["bytes"], export["int8"]["bytes"], export["params"]))
    for t in tried:
        log("  int8 variant %-66s max |int8 - fp32| %.4f  mean %.5f  flips %d" % (
            t["variant"], t["max_abs_diff"], t["mean_abs_diff"], t["flips_at_0_5"]))
    log("  kept: %s" % chosen["variant"])
    log("  max |int8 - fp32| over %d val windows: %.4f (mean %.4f, %d flips at 0.5)%s" % (
        export["compare_windows"], export["max_abs_diff_int8_vs_fp32"] or 0, export["mean_abs_diff_int8_vs_fp32"] or 0,
        export["decision_flips_int8_vs_fp32"] or 0, "" if export["int8_within_0.02"] else "  ** OVER 0.02 **"))
    log("  max |numpy - fp32 onnx|: %.2e" % (export["max_abs_diff_numpy_vs_fp32_onnx"] or 0))
    log("  per call, 1 thread: fp32 p50 %.3f ms p99 %.3f ms; int8 p50 %.3f ms p99 %.3f ms" % (
        export["time_fp32"]["p50_ms"], export["time_fp32"]["p99_ms"], export["time_int8"]["p50_ms"],
        export["time_int8"]["p99_ms"]))

    # ---- evaluation --------------------------------------------------------------------------
    rdesc, rpreds = rule_block(splits, names, args)
    results = {}
    for s, sp in splits.items():
        if not sp.episodes:
            continue
        g = np.array([d["g"] for d in sp.decisions], np.int64)
        pr_np = probs_at(model.probs, sp.X, g)
        pr_8 = probs_at(lambda w: floor_onnx.run_windows(s8, w), sp.X, g)
        pred_np = fm.preds_from_probs(sp.decisions, pr_np)
        pred_8 = fm.preds_from_probs(sp.decisions, pr_8)
        pf, pt, avail = rpreds[s]
        srows = fd.sample_rows(sp, args.stride, 0)
        res = dict(
            episodes=len(sp.episodes), hours=round(sum(e["duration_ms"] for e in sp.episodes) / 3.6e6, 3),
            skipped_without_features=sp.skipped_no_features, skipped_bad=len(sp.skipped_bad),
            frame_level=frame_level(sp, srows, probs_at(model.probs, sp.X, srows)),
            model_fp32=fm.metrics(sp.decisions, pred_np),
            model_int8=fm.metrics(sp.decisions, pred_8),
            rule_fixed=fm.metrics(sp.decisions, pf, avail),
            rule_fitted_on_train=fm.metrics(sp.decisions, pt, avail),
            per_template={},
        )
        tmpl = np.array([sp.episodes[d["ep"]]["template"] for d in sp.decisions])
        for t in sorted({e["template"] for e in sp.episodes}):
            sel = tmpl == t
            res["per_template"][t] = dict(
                episodes=sum(1 for e in sp.episodes if e["template"] == t),
                model_int8=fm.metrics(sp.decisions, pred_8, sel),
                rule_fixed=fm.metrics(sp.decisions, pf, sel & avail))
        results[s] = res

    summary = dict(
        data=dict(dir=data, feature_names=names, feature_version=version, n_features=F,
                  sha256_of_training_data_manifest=manifest_sha, generator=gen,
                  episode_seeds=meta["episode_seeds"]),
        args=vars(args), trainer_commit=commit, training=tinfo, export=export, rules=rdesc, results=results,
        total_seconds=round(time.time() - t_all, 1),
    )
    print_tables(results)
    with open(os.path.join(out, "metrics.json"), "w") as f:
        json.dump(summary, f, indent=1, sort_keys=True, default=_json_default)
    data_card.write(os.path.join(out, "DATA_CARD.md"), summary, splits, data, argv if argv is not None else sys.argv[1:])
    log("wrote %s/{floor.onnx, floor.int8.onnx, metrics.json, DATA_CARD.md, data_manifest.tsv} in %.0f s" % (
        out, time.time() - t_all))
    ok = export["int8_within_0.02"] and export["fp32"]["bytes"] <= 1 << 20 and export["time_int8"]["p99_ms"] <= 5.0
    if not ok:
        log("CHECK FAILED: int8 diff < 0.02, size <= 1 MB and p99 <= 5 ms are required")
        return 3
    return 0


def _json_default(o):
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.floating,)):
        return float(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    return str(o)


def print_tables(results):
    cols = ("model_fp32", "model_int8", "rule_fixed", "rule_fitted_on_train")
    for s, res in results.items():
        log("\n%s (%d episodes, %.2f h)   frame-level balanced acc: %s" % (
            s, res["episodes"], res["hours"],
            ", ".join("%s %.3f" % (k, v["balanced_accuracy"]) for k, v in res["frame_level"].items())))
        heads = [fm.headline(res[c]) for c in cols]
        log("  %-30s" % "decision (n)" + "".join("%12s" % c for c in ("fp32", "int8", "rule", "rule-fit")))
        for key in heads[0]:
            n = _n_of(res["model_int8"], key)
            log("  %-30s" % ("%s (%d)" % (key, n)) + "".join("%12s" % _fmt(h[key]) for h in heads))
        for key in ["interruption_%dms" % h for h in fd.INT_HORIZONS_MS] + ["addressee_at_end"]:
            pk = res["model_int8"][key]["per_kind"]
            if pk:
                log("    %s int8 per kind: %s" % (key, ", ".join(
                    "%s %s (%d)" % (k, _fmt(v["accuracy"]), v["n"]) for k, v in pk.items())))
        for t, tr in res["per_template"].items():
            h = fm.headline(tr["model_int8"])
            log("    template %-16s int8: %s" % (t, ", ".join("%s %s" % (k.replace("_at_end", ""), _fmt(v))
                                                          for k, v in h.items() if v is not None)))


def _n_of(m, key):
    for k, v in m.items():
        if key.startswith(k):
            return v["n"]
    return 0


def _fmt(v):
    return "-" if v is None else "%.3f" % v


if __name__ == "__main__":
    sys.exit(main())
