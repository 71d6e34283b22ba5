#!/usr/bin/env python3
"""tanh_streams.py — why the tanh RNN's validation loss rose while its training loss fell.

    python3 experiments/char-lm/tanh_streams.py MODEL.safetensors SPLIT.txt [--weights CKPT] [--batch 32]

Runs a recur tanh-RNN language model (one layer) over a split cut into --batch streams, as
`recur eval` does, and prints the NLL of each stream, and per 1000 steps the mean NLL, the
worst and best stream and the share of hidden units saturated (|h| > 0.99).  --weights takes
the weights from another file of the same network (a checkpoint: the run's last weights,
where MODEL is its best), MODEL still giving the vocabulary; --carried starts the streams
from the states the training carried when that checkpoint was written (its carry.h; --batch
must be the training's) instead of zeros.  Needs numpy (Debian's
python3-numpy); plain double-checking code, not part of the library.
"""
import argparse
import json
import struct

import numpy as np


def load(path):
    raw = open(path, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    tensors = {}
    for name, v in header.items():
        if name != "__metadata__":
            a, b = v["data_offsets"]
            tensors[name] = np.frombuffer(raw[8 + n + a:8 + n + b], dtype=np.float32).reshape(v["shape"])
    return tensors, header.get("__metadata__", {})


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("model")
    ap.add_argument("split")
    ap.add_argument("--weights")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--carried", action="store_true")
    a = ap.parse_args()
    W, meta = load(a.model)
    if meta.get("cell") != "rnn_tanh" or meta.get("num_layers") != "1":
        raise SystemExit(f"{a.model}: not a one-layer rnn_tanh model")
    if a.weights:
        W = load(a.weights)[0]
    if a.carried and ("carry.h" not in W or W["carry.h"].shape[1] != a.batch):
        raise SystemExit("--carried needs --weights CHECKPOINT with carry.h for --batch streams")
    vocab = json.loads(meta["vocab"])
    index = {t: i for i, t in enumerate(vocab["tokens"])}
    unk = index["<unk>"]
    ids = []
    for line in open(a.split):
        tokens = line.split() if vocab["level"] == "word" else list(line.rstrip("\n"))
        ids += [index.get(t, unk) for t in tokens] + [index["<eos>"]]
    B = a.batch
    L = (len(ids) - 1) // B
    ids = np.array(ids)
    x, y = ids[:B * L].reshape(B, L), ids[1:B * L + 1].reshape(B, L)
    xw = W["embed.weight"][x] @ W["rnn.weight_ih_l0"].T + W["rnn.bias_ih_l0"] + W["rnn.bias_hh_l0"]
    whh, head, hb = W["rnn.weight_hh_l0"], W["head.weight"], W["head.bias"]
    h = W["carry.h"][0].copy() if a.carried else np.zeros((B, whh.shape[0]), np.float32)
    nll, saturated = np.zeros((B, L)), np.zeros(L)
    for t in range(L):
        h = np.tanh(xw[:, t] + h @ whh.T)
        z = h @ head.T + hb
        z -= z.max(1, keepdims=True)
        nll[:, t] = np.log(np.exp(z).sum(1)) - z[np.arange(B), y[:, t]]
        saturated[t] = (np.abs(h) > 0.99).mean()
    print(f"{L} steps per stream; mean NLL {nll.mean():.4f} nats; spectral norm of W_hh "
          f"{np.linalg.norm(whh, 2):.2f}")
    for s in range(0, L, 1000):
        part = nll[:, s:s + 1000].mean(1)
        print(f"  steps {s:6d}-{min(s + 1000, L):6d}: NLL {part.mean():.3f}, worst stream {part.max():.2f}, "
              f"best {part.min():.2f}, saturated {saturated[s:s + 1000].mean():.3f}")
    print("  NLL per stream: " + " ".join(f"{v:.2f}" for v in nll.mean(1)))


if __name__ == "__main__":
    main()
