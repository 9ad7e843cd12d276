"""Export the numpy floor model to ONNX (opset 17) with the onnx helper API, quantize it to int8
with onnxruntime.quantization.quantize_dynamic, compare the two, and time them on one thread."""

import os
import shutil
import tempfile
import time

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17
IR_VERSION = 8  # what opset 17 was released with; loads in any onnxruntime >= 1.13


def build_graph(model, metadata):
    """ONNX ModelProto for FloorMLP `model` (input `features` [1, T, F] -> output `probs` [1, 3]).
    Input normalisation is baked in: Add(-mean) then Mul(1/std)."""
    T, F, d = model.T, model.F, model.d
    p = model.p
    inits = [
        numpy_helper.from_array(-model.mean.astype(np.float32), "neg_mean"),
        numpy_helper.from_array(model.inv_std.astype(np.float32), "inv_std"),
        numpy_helper.from_array(np.array([-1, T * d], np.int64), "flat_shape"),
    ]
    for k in ("W1", "b1", "W2", "b2", "W3", "b3", "W4", "b4"):
        inits.append(numpy_helper.from_array(p[k].astype(np.float32), k))
    nodes = [
        helper.make_node("Add", ["features", "neg_mean"], ["centered"], name="norm_sub"),
        helper.make_node("Mul", ["centered", "inv_std"], ["normed"], name="norm_scale"),
        helper.make_node("MatMul", ["normed", "W1"], ["frame_mm"], name="frame_dense"),
        helper.make_node("Add", ["frame_mm", "b1"], ["frame_pre"], name="frame_bias"),
        helper.make_node("Relu", ["frame_pre"], ["frame_act"], name="frame_relu"),
        helper.make_node("Reshape", ["frame_act", "flat_shape"], ["flat"], name="flatten"),
        helper.make_node("MatMul", ["flat", "W2"], ["h1_mm"], name="dense1"),
        helper.make_node("Add", ["h1_mm", "b2"], ["h1_pre"], name="dense1_bias"),
        helper.make_node("Relu", ["h1_pre"], ["h1"], name="dense1_relu"),
        helper.make_node("MatMul", ["h1", "W3"], ["h2_mm"], name="dense2"),
        helper.make_node("Add", ["h2_mm", "b3"], ["h2_pre"], name="dense2_bias"),
        helper.make_node("Relu", ["h2_pre"], ["h2"], name="dense2_relu"),
        helper.make_node("MatMul", ["h2", "W4"], ["logits_mm"], name="head"),
        helper.make_node("Add", ["logits_mm", "b4"], ["logits"], name="head_bias"),
        helper.make_node("Sigmoid", ["logits"], ["probs"], name="probs"),
    ]
    graph = helper.make_graph(
        nodes, "tandem_floor",
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, [1, T, F])],
        [helper.make_tensor_value_info("probs", TensorProto.FLOAT, [1, 3])],
        initializer=inits,
    )
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                          producer_name="tandem scripts/floor/train.py", producer_version="1")
    m.ir_version = IR_VERSION
    m.doc_string = ("Tandem floor model: 64 frames x F features (20 ms) -> "
                    "sigmoid(turn_complete, interruption, addressed)")
    for k in sorted(metadata):
        e = m.metadata_props.add()
        e.key, e.value = k, str(metadata[k])
    onnx.checker.check_model(m)
    return m


def save(model_proto, path):
    with open(path, "wb") as f:
        f.write(model_proto.SerializeToString())


VARIANTS = (
    ("dynamic int8, per tensor", dict(per_channel=False)),
    ("dynamic int8, per channel", dict(per_channel=True)),
    ("dynamic int8, per channel, first and last layer fp32",
     dict(per_channel=True, nodes_to_exclude=["frame_dense", "head"])),
    ("weight-only int8, per channel (int8 weights, Cast and Mul by the scales, fp32 MatMul)", None),
)


def _copy_meta(q, src, variant):
    want = {p.key: p.value for p in src.metadata_props}
    want["quantization"] = variant
    del q.metadata_props[:]
    for k in sorted(want):
        e = q.metadata_props.add()
        e.key, e.value = k, want[k]
    q.doc_string = src.doc_string


def _weight_only(src):
    """int8 weights (symmetric, per output column) turned back into fp32 by Cast and Mul, which
    onnxruntime folds into constants at load; activations stay fp32. (DequantizeLinear is not used:
    onnxruntime fuses DequantizeLinear -> MatMul into MatMulNBits, which by default computes with
    int8-quantized activations.) Exact when the weights were snapped to the same grid."""
    m = onnx.ModelProto()
    m.CopyFrom(src)
    inits = {i.name: i for i in m.graph.initializer}
    dq = []
    for name in ("W1", "W2", "W3", "W4"):
        w = numpy_helper.to_array(inits[name])
        s = np.abs(w).max(0) / 127.0
        s[s == 0] = 1.0
        q = np.clip(np.round(w / s), -127, 127).astype(np.int8)
        m.graph.initializer.remove(inits[name])
        m.graph.initializer.extend([numpy_helper.from_array(q, name + "_int8"),
                                    numpy_helper.from_array(s.astype(np.float32), name + "_scale")])
        dq.append(helper.make_node("Cast", [name + "_int8"], [name + "_f"], to=TensorProto.FLOAT,
                                   name=name + "_cast"))
        dq.append(helper.make_node("Mul", [name + "_f", name + "_scale"], [name], name=name + "_dequant"))
    nodes = list(m.graph.node)
    del m.graph.node[:]
    m.graph.node.extend(dq + nodes)
    return m


def quantize(fp32_path, int8_path, windows, limit=0.02, mode="auto"):
    """Quantize to int8, trying VARIANTS in order; keep the first whose probabilities stay within
    `limit` (max abs) of the fp32 model over `windows`, else the closest. mode "dynamic" tries the
    quantize_dynamic variants only, "weight-only" only the last. Returns (chosen, tried)."""
    import logging

    from onnxruntime.quantization import QuantType, quantize_dynamic

    logging.getLogger().setLevel(logging.ERROR)  # quantize_dynamic's "consider pre-processing" warning
    src = onnx.load(fp32_path)
    p32 = run_windows(session(fp32_path), windows)
    tried, best = [], None
    with tempfile.TemporaryDirectory() as td:
        for i, (name, kw) in enumerate(VARIANTS):
            if (mode == "dynamic" and kw is None) or (mode == "weight-only" and kw is not None):
                continue
            tmp = os.path.join(td, "q%d.onnx" % i)
            if kw is None:
                q = _weight_only(src)
            else:
                quantize_dynamic(fp32_path, tmp, weight_type=QuantType.QInt8, **kw)
                q = onnx.load(tmp)
            _copy_meta(q, src, name)
            onnx.checker.check_model(q)
            save(q, tmp)
            p8 = run_windows(session(tmp), windows)
            d = np.abs(p8 - p32)
            r = dict(variant=name, bytes=os.path.getsize(tmp),
                     max_abs_diff=float(d.max()) if d.size else 0.0,
                     mean_abs_diff=float(d.mean()) if d.size else 0.0,
                     flips_at_0_5=int(np.sum((p8 > 0.5) != (p32 > 0.5))))
            tried.append(r)
            if best is None or r["max_abs_diff"] < best[0]["max_abs_diff"]:
                best = (r, tmp)
            if r["max_abs_diff"] < limit:
                best = (r, tmp)
                break
        shutil.copyfile(best[1], int8_path)
    return best[0], tried


def session(path, threads=1, exact_int8=False):
    """A one-thread CPU session. `exact_int8`: ONNX Runtime's exact uint8 x uint8 kernels
    ("session.x64quantprecision"), as the engine runs int8 models on x86 without VNNI (and as
    VNNI computes anyway), so embeddings match the engine's on any CPU."""
    import onnxruntime as ort

    so = ort.SessionOptions()
    if exact_int8:
        so.add_session_config_entry("session.x64quantprecision", "1")
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.log_severity_level = 3
    return ort.InferenceSession(path, sess_options=so, providers=["CPUExecutionProvider"])


def run_windows(sess, wins):
    """probs [N, 3] from one call per window (the engine's shape: [1, T, F])."""
    out = np.zeros((len(wins), 3), np.float32)
    for i in range(len(wins)):
        out[i] = sess.run(["probs"], {"features": wins[i:i + 1]})[0][0]
    return out


def time_calls(sess, win, n=3000, warmup=300):
    for _ in range(warmup):
        sess.run(["probs"], {"features": win})
    ts = np.zeros(n)
    for i in range(n):
        t0 = time.perf_counter_ns()
        sess.run(["probs"], {"features": win})
        ts[i] = time.perf_counter_ns() - t0
    ts /= 1e6
    return dict(p50_ms=round(float(np.percentile(ts, 50)), 4), p99_ms=round(float(np.percentile(ts, 99)), 4),
                mean_ms=round(float(ts.mean()), 4), calls=n, threads=1)


def op_types(path):
    m = onnx.load(path)
    return sorted({n.op_type for n in m.graph.node})
