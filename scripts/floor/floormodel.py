"""The floor model in numpy: forward, backward, Adam. Mirrors the ONNX graph in floor_onnx.py.

    x [B, T, F] -> (x - mean) * inv_std
      -> per-frame dense F -> d, ReLU          (one MatMul over the last axis, shared across frames)
      -> reshape [B, T * d]
      -> dense T*d -> h1, ReLU -> dense h1 -> h2, ReLU -> dense h2 -> 3 -> sigmoid

After training, `snap()` puts every weight matrix on its symmetric per-column int8 grid, so the
int8 export stores the fp32 model's weights exactly (only activation quantization, if any, differs).
"""

import numpy as np


class FloorMLP:
    def __init__(self, T, F, d, h1, h2, rng):
        self.T, self.F, self.d, self.h1, self.h2 = T, F, d, h1, h2

        def he(fan_in, fan_out):
            return (rng.standard_normal((fan_in, fan_out)) * np.sqrt(2.0 / fan_in)).astype(np.float32)

        self.p = {
            "W1": he(F, d), "b1": np.zeros(d, np.float32),
            "W2": he(T * d, h1), "b2": np.zeros(h1, np.float32),
            "W3": he(h1, h2), "b3": np.zeros(h2, np.float32),
            "W4": (rng.standard_normal((h2, 3)) * np.sqrt(1.0 / h2)).astype(np.float32),
            "b4": np.zeros(3, np.float32),
        }
        self.mean = np.zeros(F, np.float32)
        self.inv_std = np.ones(F, np.float32)

    def n_params(self):
        return int(sum(v.size for v in self.p.values()))

    def forward(self, x, keep=False):
        p = self.p
        B = x.shape[0]
        xn = (x + (-self.mean)) * self.inv_std  # same op order as the graph: Add then Mul
        a1 = xn.reshape(B * self.T, self.F) @ p["W1"] + p["b1"]
        h1 = np.maximum(a1, 0.0).reshape(B, self.T * self.d)
        a2 = h1 @ p["W2"] + p["b2"]
        h2 = np.maximum(a2, 0.0)
        a3 = h2 @ p["W3"] + p["b3"]
        h3 = np.maximum(a3, 0.0)
        z = h3 @ p["W4"] + p["b4"]
        if keep:
            self._cache = (xn, a1, h1, a2, h2, a3, h3)
        return z

    def snap(self):
        """Put every weight matrix on its int8 grid (exactly representable by the int8 export)."""
        for k in ("W1", "W2", "W3", "W4"):
            self.p[k] = snap_int8(self.p[k])

    def backward(self, dz):
        p = self.p
        xn, a1, h1, a2, h2, a3, h3 = self._cache
        B = dz.shape[0]
        g = {}
        g["W4"] = h3.T @ dz
        g["b4"] = dz.sum(0)
        d3 = (dz @ p["W4"].T) * (a3 > 0)
        g["W3"] = h2.T @ d3
        g["b3"] = d3.sum(0)
        d2 = (d3 @ p["W3"].T) * (a2 > 0)
        g["W2"] = h1.T @ d2
        g["b2"] = d2.sum(0)
        d1 = (d2 @ p["W2"].T).reshape(B * self.T, self.d) * (a1 > 0)
        g["W1"] = xn.reshape(B * self.T, self.F).T @ d1
        g["b1"] = d1.sum(0)
        self._cache = None
        return g

    def probs(self, x, batch=4096):
        out = []
        for i in range(0, len(x), batch):
            z = self.forward(x[i:i + batch])
            out.append(sigmoid(z))
        return np.concatenate(out) if out else np.zeros((0, 3), np.float32)

    def state(self):
        return {k: v.copy() for k, v in self.p.items()}

    def load(self, st):
        self.p = {k: v.copy() for k, v in st.items()}


def snap_int8(w):
    """Symmetric int8 per output column: scale = max|w| / 127, w -> round(w / scale) * scale."""
    s = np.abs(w).max(0) / np.float32(127.0)
    s = np.where(s == 0, np.float32(1.0), s).astype(np.float32)
    return (np.clip(np.round(w / s), -127, 127) * s).astype(np.float32)


def sigmoid(z):
    return (1.0 / (1.0 + np.exp(-np.clip(z, -60, 60)))).astype(np.float32)


def masked_bce(z, y, w):
    """Sum over heads of weighted BCE-with-logits; w already holds mask * class weight * head weight
    / normaliser. Returns (loss, dloss/dz)."""
    sp = np.logaddexp(0.0, z)  # softplus
    loss = float(np.sum(w * (sp - y * z)))
    dz = (w * (sigmoid(z) - y)).astype(np.float32)
    return loss, dz


class Adam:
    def __init__(self, params, lr, wd=0.0, b1=0.9, b2=0.999, eps=1e-8):
        self.lr, self.wd, self.b1, self.b2, self.eps = lr, wd, b1, b2, eps
        self.m = {k: np.zeros_like(v) for k, v in params.items()}
        self.v = {k: np.zeros_like(v) for k, v in params.items()}
        self.t = 0

    def step(self, params, grads):
        self.t += 1
        c1 = 1 - self.b1 ** self.t
        c2 = 1 - self.b2 ** self.t
        for k, g in grads.items():
            self.m[k] = self.b1 * self.m[k] + (1 - self.b1) * g
            self.v[k] = self.b2 * self.v[k] + (1 - self.b2) * (g * g)
            upd = self.lr * (self.m[k] / c1) / (np.sqrt(self.v[k] / c2) + self.eps)
            if self.wd and k.startswith("W"):
                upd = upd + self.lr * self.wd * params[k]  # decoupled weight decay
            params[k] -= upd.astype(np.float32)
