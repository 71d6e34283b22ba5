#!/usr/bin/env python3
"""make_sha_ref.py REF_DIR — the SHA-RNN fixture: the reference's own outputs for
tests/ref/sha_rnn_l3.model.safetensors.

REF_DIR holds model.py of Smerity/sha-rnn (Merity 2019; checked at 218d748), which is run,
not copied: its apex FusedLayerNorm is replaced by torch.nn.LayerNorm with the same eps,
its unused relattn import stubbed, in float64 (its .float() casts made no-ops), eval mode,
dropout 0, num_max_positions = the model's sha_memory.  The model (recur's file: 3 blocks,
width 16, Boom 64, memory 20, weights uniform in +-0.5, layer-norm weights in 0.5..1.5) is
loaded into the reference's SHARNN tensor by tensor; windows of 8, 8, 5 and 8 tokens (batch
2, token ids from numpy's default_rng(0)) run through it with its hidden states and mems
carried, as recur carries its states and memory.  Written: sha_rnn_l3.data.safetensors with
tokens_w{i} [T, B] (int32 as float), logits_w{i} [T, B, V], and after the last window h_n,
c_n [L, B, E] and memory [rows, B, E] (the reference's new mems of the attention block).

    /path/to/venv/bin/python tests/ref/make_sha_ref.py /path/to/sha-rnn
"""
import os
import sys
import types

import numpy as np
import torch
from safetensors import safe_open
from safetensors.torch import save_file

HERE = os.path.dirname(os.path.abspath(__file__))
MODEL = os.path.join(HERE, "sha_rnn_l3.model.safetensors")
WINDOWS, B = [8, 8, 5, 8], 2

for name in ["apex", "apex.normalization", "apex.normalization.fused_layer_norm"]:
    sys.modules[name] = types.ModuleType(name)
sys.modules["apex.normalization.fused_layer_norm"].FusedLayerNorm = torch.nn.LayerNorm
sys.modules["relattn"] = types.ModuleType("relattn")
sys.modules["relattn"].PositionalEmbedding = None
sys.path.insert(0, sys.argv[1])
import model as ref  # noqa: E402

torch.Tensor.float = lambda self: self.to(torch.float64)  # the reference in float64
with safe_open(MODEL, "pt") as f:
    md = f.metadata()
    W = {k: f.get_tensor(k).to(torch.float64) for k in f.keys()}
L, E, V = int(md["num_layers"]), int(md["input_size"]), int(md["n_out"])
F, N, tied = int(md["model_sha_ff"]), int(md["model_sha_memory"]), md["model_tie_weights"] == "1"
net = ref.SHARNN("LSTM", V, E, F, L, dropout=0, dropouth=0, dropouti=0, dropoute=0, wdrop=0, tie_weights=tied)
net.num_max_positions, net.pos_emb = N, [0] * N
net = net.to(torch.float64).eval()
P = dict(net.named_parameters())


def put(dst, src, shape=None):
    t = W.pop(src)
    with torch.no_grad():
        P[dst].copy_(t.reshape(shape) if shape else t)


put("encoder.weight", "embed.weight")
if not tied:
    put("decoder.weight", "head.weight")
put("decoder.bias", "head.bias")
names = {"lnstart": "ln_start", "lnff": "ln_ff", "lnxff": "ln_xff", "lnmid": "ln_mid", "lnmem": "ln_mem"}
for k in range(L):
    for w in ["weight_ih", "weight_hh", "bias_ih", "bias_hh"]:
        put(f"blocks.{k}.rnn.{w}_l0", f"rnn.{w}_l{k}")
    for theirs, ours in names.items():
        if f"blocks.{k}.{ours}.weight" in W:
            put(f"blocks.{k}.{theirs}.weight", f"blocks.{k}.{ours}.weight")
            put(f"blocks.{k}.{theirs}.bias", f"blocks.{k}.{ours}.bias")
    put(f"blocks.{k}.ff.linear1.weight", f"blocks.{k}.boom.weight")
    put(f"blocks.{k}.ff.linear1.bias", f"blocks.{k}.boom.bias")
    if net.blocks[k].attn is not None:
        a = f"blocks.{k}.attn"
        put(f"{a}.q.weight", f"{a}.q.weight")
        put(f"{a}.q.bias", f"{a}.q.bias")
        put(f"{a}.qln.weight", f"{a}.q_ln.weight")
        put(f"{a}.qln.bias", f"{a}.q_ln.bias")
        for g in "qkv":
            put(f"{a}.{g}s", f"{a}.gate_{g}", (1, 1, E))
        put(f"{a}.vq.l1.weight", f"{a}.vq.weight")
        put(f"{a}.vq.l1.bias", f"{a}.vq.bias")
assert not W, f"recur tensors not mapped: {sorted(W)}"

rng = np.random.default_rng(0)
data, hidden, mems = {}, None, None
for i, T in enumerate(WINDOWS):
    x = torch.from_numpy(rng.integers(0, V, size=(T, B))).long()
    with torch.no_grad():
        h, hidden, mems, _, _ = net(x, hidden, mems=mems, return_h=True)
        data[f"tokens_w{i}"] = x.float()
        data[f"logits_w{i}"] = net.decoder(h).float()
data["h_n"] = torch.cat([hc[0] for hc in hidden], 0).float()
data["c_n"] = torch.cat([hc[1] for hc in hidden], 0).float()
data["memory"] = mems[L - 2].float()
save_file({k: v.contiguous() for k, v in data.items()}, os.path.join(HERE, "sha_rnn_l3.data.safetensors"))
print("wrote", os.path.join(HERE, "sha_rnn_l3.data.safetensors"))
