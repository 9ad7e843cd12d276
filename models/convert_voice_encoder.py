#!/usr/bin/env python3
"""Convert the Resemblyzer voice encoder's weights to ONNX (speaker embeddings), no PyTorch.

Input: `pretrained.pt` from the `resemblyzer==0.1.4` wheel (resemblyzer/pretrained.pt), a
checkpoint in PyTorch's legacy serialization (a pickle stream followed by raw storages). It is
read here with the standard `pickle` module and numpy: tensors are rebuilt from their storage,
offset, shape and stride; nothing is executed (only an allow-list of globals resolves).

The network (GE2E-style speaker encoder): 40 mel bands (power, not log; 25 ms Hann window,
10 ms hop, 16 kHz) -> 3-layer LSTM (256) -> the last hidden state -> Linear(256, 256) -> ReLU
-> L2 normalisation.

Output (into --out):
  voice-encoder.onnx   audio f32 [batch, 25600] (1.6 s windows at 16 kHz, already levelled)
                       -> embedding f32 [batch, 256], unit length.
The mel front end is part of the graph (reflect-padded frames, a DFT as a strided convolution
with Hann-windowed cosine and sine kernels, power, a Slaney mel filterbank), so a caller feeds
samples. The result is byte-for-byte deterministic for the same input and the same pinned
package versions (models/requirements-convert.txt).

Usage:
  python3 models/convert_voice_encoder.py --weights pretrained.pt --out OUT_DIR [--check]
"""

from __future__ import annotations

import argparse
import collections
import pickle
import struct
import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17
IR_VERSION = 8

SAMPLE_RATE = 16000
N_FFT = 400  # 25 ms
HOP = 160  # 10 ms
N_MELS = 40
FRAMES = 160  # one partial utterance: 1.6 s
WINDOW_SAMPLES = FRAMES * HOP  # 25600
HIDDEN = 256
LAYERS = 3
EMBED = 256

OUTPUT = "voice-encoder.onnx"


# ---- the legacy PyTorch checkpoint ---------------------------------------------------------------

LEGACY_MAGIC = 0x1950A86A20F9469CFC6C


class _Storage:
    def __init__(self, key: str, kind: str):
        self.key, self.kind = key, kind


class _TensorRef:
    def __init__(self, storage: _Storage, offset: int, shape, stride):
        self.storage, self.offset, self.shape, self.stride = storage, offset, tuple(shape), tuple(stride)


def _rebuild_tensor(storage, offset, shape, stride, *_rest):
    return _TensorRef(storage, offset, shape, stride)


class _CheckpointUnpickler(pickle.Unpickler):
    """Resolves only what a state dict of float tensors needs; anything else is refused."""

    def find_class(self, module, name):
        if module == "torch._utils" and name == "_rebuild_tensor_v2":
            return _rebuild_tensor
        if module == "torch" and name == "FloatStorage":
            return name
        if module == "collections" and name == "OrderedDict":
            return collections.OrderedDict
        raise pickle.UnpicklingError(f"refusing global {module}.{name} in the checkpoint")

    def persistent_load(self, pid):
        kind, storage_type, key, _location, _size, _view = pid
        if kind != "storage" or storage_type != "FloatStorage":
            raise pickle.UnpicklingError(f"unexpected storage {pid!r}")
        return _Storage(key, storage_type)


def read_legacy_checkpoint(path: Path) -> dict[str, np.ndarray]:
    """The `model_state` of a legacy-format checkpoint as float32 arrays."""
    with open(path, "rb") as f:
        if pickle.load(f) != LEGACY_MAGIC:
            raise ValueError(f"{path}: not a legacy PyTorch checkpoint (magic number)")
        pickle.load(f)  # protocol version
        info = pickle.load(f)
        if not info.get("little_endian", False):
            raise ValueError(f"{path}: big-endian checkpoint")
        obj = _CheckpointUnpickler(f).load()
        keys = pickle.load(f)
        storages = {}
        for key in keys:
            (n,) = struct.unpack("<q", f.read(8))
            data = f.read(4 * n)
            if len(data) != 4 * n:
                raise ValueError(f"{path}: storage {key} is truncated")
            storages[key] = np.frombuffer(data, "<f4")
    state = {}
    for name, t in obj["model_state"].items():
        flat = storages[t.storage.key]
        itemsize = 4
        arr = np.lib.stride_tricks.as_strided(
            flat[t.offset :], shape=t.shape, strides=tuple(s * itemsize for s in t.stride)
        )
        state[name] = np.array(arr, dtype=np.float32)
    return state


# ---- the mel front end ---------------------------------------------------------------------------


def hz_to_mel(hz):
    """Slaney's mel scale: linear below 1 kHz, logarithmic above."""
    hz = np.asarray(hz, dtype=np.float64)
    f_sp = 200.0 / 3
    mel = hz / f_sp
    min_log_hz, min_log_mel, logstep = 1000.0, 1000.0 / f_sp, np.log(6.4) / 27.0
    return np.where(hz >= min_log_hz, min_log_mel + np.log(np.maximum(hz, 1e-10) / min_log_hz) / logstep, mel)


def mel_to_hz(mel):
    mel = np.asarray(mel, dtype=np.float64)
    f_sp = 200.0 / 3
    hz = mel * f_sp
    min_log_hz, min_log_mel, logstep = 1000.0, 1000.0 / f_sp, np.log(6.4) / 27.0
    return np.where(mel >= min_log_mel, min_log_hz * np.exp(logstep * (mel - min_log_mel)), hz)


def mel_filterbank() -> np.ndarray:
    """[N_MELS, N_FFT/2+1] triangular filters, area-normalised (Slaney)."""
    fft_hz = np.linspace(0.0, SAMPLE_RATE / 2, N_FFT // 2 + 1)
    edges = mel_to_hz(np.linspace(hz_to_mel(0.0), hz_to_mel(SAMPLE_RATE / 2), N_MELS + 2))
    bank = np.zeros((N_MELS, fft_hz.size), dtype=np.float64)
    for m in range(N_MELS):
        lo, mid, hi = edges[m], edges[m + 1], edges[m + 2]
        rising = (fft_hz - lo) / (mid - lo)
        falling = (hi - fft_hz) / (hi - mid)
        bank[m] = np.maximum(0.0, np.minimum(rising, falling)) * (2.0 / (hi - lo))
    return bank.astype(np.float32)


def dft_kernels() -> np.ndarray:
    """[2*(N_FFT/2+1), 1, N_FFT]: Hann-windowed cosines, then sines (a periodic Hann window)."""
    n = np.arange(N_FFT)
    window = 0.5 - 0.5 * np.cos(2 * np.pi * n / N_FFT)
    k = np.arange(N_FFT // 2 + 1)[:, None]
    phase = 2 * np.pi * k * n[None, :] / N_FFT
    kernels = np.concatenate([window * np.cos(phase), window * np.sin(phase)], axis=0)
    return kernels[:, None, :].astype(np.float32)


# ---- the graph -----------------------------------------------------------------------------------


def lstm_weights(state: dict[str, np.ndarray], layer: int):
    """PyTorch gate order (input, forget, cell, output) to ONNX's (input, output, forget, cell)."""

    def reorder(w):
        i, f, g, o = np.split(w, 4, axis=0)
        return np.concatenate([i, o, f, g], axis=0)

    w = reorder(state[f"lstm.weight_ih_l{layer}"])[None]
    r = reorder(state[f"lstm.weight_hh_l{layer}"])[None]
    b = np.concatenate([reorder(state[f"lstm.bias_ih_l{layer}"]), reorder(state[f"lstm.bias_hh_l{layer}"])])[None]
    return w, r, b


def build(state: dict[str, np.ndarray]) -> onnx.ModelProto:
    expected = {"linear.weight": (EMBED, HIDDEN), "linear.bias": (EMBED,), "lstm.weight_ih_l0": (4 * HIDDEN, N_MELS)}
    for name, shape in expected.items():
        if state[name].shape != shape:
            raise ValueError(f"{name}: shape {state[name].shape}, expected {shape}")
    inits = []

    def const(name, arr):
        inits.append(numpy_helper.from_array(np.ascontiguousarray(arr), name))
        return name

    nodes = []

    def op(kind, inputs, name, **attrs):
        nodes.append(helper.make_node(kind, inputs, [name], name=name, **attrs))
        return name

    pad = N_FFT // 2
    x = op("Unsqueeze", ["audio", const("axis1", np.array([1], np.int64))], "audio_c")  # [B, 1, L]
    x = op("Pad", [x, const("pads", np.array([0, 0, pad, 0, 0, pad], np.int64))], "padded", mode="reflect")
    spec = op("Conv", [x, const("dft", dft_kernels())], "dft_out", strides=[HOP])  # [B, 402, F]
    power = op("Mul", [spec, spec], "squared")
    half = N_FFT // 2 + 1
    re2 = op("Slice", [power, const("s0", np.array([0], np.int64)), const("s1", np.array([half], np.int64)), const("ax1", np.array([1], np.int64))], "re2")
    im2 = op("Slice", [power, const("s2", np.array([half], np.int64)), const("s3", np.array([2 * half], np.int64)), "ax1"], "im2")
    power = op("Add", [re2, im2], "power")  # [B, 201, F]
    # The first FRAMES frames, time-major for the LSTM: [F, B, 201] -> mel [F, B, 40].
    power = op("Slice", [power, const("f0", np.array([0], np.int64)), const("f1", np.array([FRAMES], np.int64)), const("ax2", np.array([2], np.int64))], "power_frames")
    power_t = op("Transpose", [power], "power_t", perm=[2, 0, 1])
    h = op("MatMul", [power_t, const("mel_t", mel_filterbank().T.copy())], "mel")
    for layer in range(LAYERS):
        w, r, b = lstm_weights(state, layer)
        outs = [f"lstm{layer}_y", f"lstm{layer}_h"]
        nodes.append(
            helper.make_node(
                "LSTM",
                [h, const(f"W{layer}", w), const(f"R{layer}", r), const(f"B{layer}", b)],
                outs,
                name=f"lstm{layer}",
                hidden_size=HIDDEN,
            )
        )
        h = op("Squeeze", [outs[0], const(f"dir_axis{layer}", np.array([1], np.int64))], f"lstm{layer}_seq")
    last = op("Squeeze", [f"lstm{LAYERS - 1}_h", const("h_axis", np.array([0], np.int64))], "last_hidden")  # [B, 256]
    proj = op("Gemm", [last, const("linear_w", state["linear.weight"]), const("linear_b", state["linear.bias"])], "projected", transB=1)
    proj = op("Relu", [proj], "rectified")
    norm = op("ReduceL2", [proj], "norm", axes=[1], keepdims=1)
    norm = op("Max", [norm, const("eps", np.array(1e-8, np.float32))], "norm_safe")
    op("Div", [proj, norm], "embedding")

    graph = helper.make_graph(
        nodes,
        "voice_encoder",
        [helper.make_tensor_value_info("audio", TensorProto.FLOAT, ["batch", WINDOW_SAMPLES])],
        [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["batch", EMBED])],
        initializer=inits,
    )
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", OPSET)],
        producer_name="tandem-voice-encoder-onnx",
        producer_version="1",
        doc_string="Resemblyzer voice encoder (Apache-2.0): 1.6 s of 16 kHz audio -> unit speaker embedding",
    )
    model.ir_version = IR_VERSION
    onnx.checker.check_model(model)
    return model


# ---- a check against a plain numpy forward pass ------------------------------------------------


def reference_embedding(state: dict[str, np.ndarray], audio: np.ndarray) -> np.ndarray:
    """The same network written directly in numpy (float64), one window."""
    padded = np.pad(audio.astype(np.float64), N_FFT // 2, mode="reflect")
    n = np.arange(N_FFT)
    window = 0.5 - 0.5 * np.cos(2 * np.pi * n / N_FFT)
    frames = np.stack([padded[i * HOP : i * HOP + N_FFT] * window for i in range(FRAMES)])
    power = np.abs(np.fft.rfft(frames, axis=1)) ** 2
    x = power @ mel_filterbank().T.astype(np.float64)
    sig = lambda v: 1 / (1 + np.exp(-v))
    for layer in range(LAYERS):
        wi, wh = state[f"lstm.weight_ih_l{layer}"], state[f"lstm.weight_hh_l{layer}"]
        b = state[f"lstm.bias_ih_l{layer}"] + state[f"lstm.bias_hh_l{layer}"]
        h, c, ys = np.zeros(HIDDEN), np.zeros(HIDDEN), []
        for t in range(FRAMES):
            g = wi @ x[t] + wh @ h + b
            i, f, gg, o = np.split(g, 4)
            c = sig(f) * c + sig(i) * np.tanh(gg)
            h = sig(o) * np.tanh(c)
            ys.append(h)
        x = np.stack(ys)
    e = np.maximum(0.0, state["linear.weight"] @ h + state["linear.bias"])
    return e / np.linalg.norm(e)


def check(state: dict[str, np.ndarray], path: Path) -> float:
    import onnxruntime as ort

    rng = np.random.default_rng(7)
    t = np.arange(WINDOW_SAMPLES) / SAMPLE_RATE
    audio = (0.05 * np.sin(2 * np.pi * 180 * t) * (1 + np.sin(2 * np.pi * 3 * t)) + 0.01 * rng.standard_normal(t.size)).astype(np.float32)
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    got = sess.run(None, {"audio": audio[None]})[0][0]
    want = reference_embedding(state, audio)
    return float(np.max(np.abs(got - want)))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Convert the Resemblyzer voice encoder to ONNX (no PyTorch).")
    ap.add_argument("--weights", required=True, type=Path, help="resemblyzer/pretrained.pt")
    ap.add_argument("--out", required=True, type=Path, help="output directory")
    ap.add_argument("--check", action="store_true", help="compare with a numpy forward pass")
    args = ap.parse_args(argv)
    state = read_legacy_checkpoint(args.weights)
    model = build(state)
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / OUTPUT
    with open(path, "wb") as f:
        f.write(model.SerializeToString(deterministic=True))
    if args.check:
        err = check(state, path)
        print(f"max |onnx - numpy| = {err:.2e}")
        if err > 1e-4:
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
