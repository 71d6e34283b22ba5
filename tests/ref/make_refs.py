#!/usr/bin/env python3
"""Writes the PyTorch reference files that tests/test_pytorch.c compares to.

    python3 tests/ref/make_refs.py [CASE...]   # needs torch and safetensors; CASEs: only those

For each case it writes
  <case>.model.safetensors  the module's state_dict, saved by safetensors.torch.save_file
                            (with the metadata recur needs for what shapes cannot tell)
  <case>.data.safetensors   input, h0, c0, lengths (int64), the random weights R, R_h, R_c,
                            and the expected output, h_n, c_n and the gradients of
                            loss = sum(output * R) + sum(h_n * R_h) + sum(c_n * R_c)
                            with respect to the input, h0, c0 and every weight
                            ("grad.input", "grad.h0", "grad.c0", "grad.<weight name>").
and index.txt, one case name per line.

Lengths follow PyTorch's packed sequences: pack_padded_sequence(enforce_sorted=False), the
module, then pad_packed_sequence(total_length=T), so padded outputs are zero and h_n holds
each sequence's state at its own last step.

PyTorch has neither the GRU with the reset gate before the recurrent matmul (Cho et al.
2014) nor peephole LSTMs; those cases run a small manual implementation below, written from
the equations with torch autograd, which the script first checks against nn.LSTM and nn.GRU.
Two cases store their model in float64 and bfloat16 to exercise conversion on load; their
references use the weights as rounded to that dtype.

The QRNN cases hold pytorch-qrnn's QRNN (Bradbury et al. 2017), written again below from
torchqrnn/qrnn.py's equations (its layout, its F = 1 - f, its hidden state c): a module of
that layout is exported by tools/export_pytorch.py, whose file is the model; the reference
runs on the module's own weights and its gradients are mapped to recur's layout here, so a
wrong conversion in the exporter fails the test.  States by name: c0 and c_n are
pytorch-qrnn's hidden state (recur's state c); with window 2, lookback_n is recur's second
state, each layer's last input x_{T-1} (pytorch-qrnn's prevX with save_prev_x).
"""
import os
import sys

import torch
from safetensors.torch import save_file

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
from export_pytorch import export  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
T, I = 5, 3


# ----------------------------------------------------------------- manual cells
def manual_step(cell, p, x, h, c, H):
    """One step from the equations (PyTorch names; peepholes weight_ph [3, H] rows i, f, o)."""
    gx = x @ p["w_ih"].t() + (p["b_ih"] if "b_ih" in p else 0)
    if cell == "lstm":
        a = gx + h @ p["w_hh"].t() + (p["b_hh"] if "b_hh" in p else 0)
        ai, af, ag, ao = a.split(H, dim=1)
        ph = p.get("w_ph")
        i = torch.sigmoid(ai + (ph[0] * c if ph is not None else 0))
        f = torch.sigmoid(af + (ph[1] * c if ph is not None else 0))
        g = torch.tanh(ag)
        c_new = f * c + i * g
        o = torch.sigmoid(ao + (ph[2] * c_new if ph is not None else 0))
        h_new = o * torch.tanh(c_new)
        if "w_hr" in p:
            h_new = h_new @ p["w_hr"].t()
        return h_new, c_new
    xr, xz, xn = gx.split(H, dim=1)
    w_hr, w_hz, w_hn = p["w_hh"].split(H, dim=0)
    b = p["b_hh"].split(H) if "b_hh" in p else (0, 0, 0)
    r = torch.sigmoid(xr + h @ w_hr.t() + b[0])
    z = torch.sigmoid(xz + h @ w_hz.t() + b[1])
    if cell == "gru_reset_before":
        n = torch.tanh(xn + (r * h) @ w_hn.t() + b[2])
    else:
        n = torch.tanh(xn + r * (h @ w_hn.t() + b[2]))
    return (1 - z) * n + z * h, None


def manual_forward(cell, params, x, h0, c0, lengths, L, D, H, Ho):
    """Layers, directions and packed-sequence lengths around manual_step; x is [T, B, I]."""
    steps, B = x.shape[0], x.shape[1]
    inp, hs, cs = x, [], []
    for layer in range(L):
        outs = []
        for d in range(D):
            sfx = f"_l{layer}" + ("_reverse" if d else "")
            p = {k: params[n + sfx] for k, n in (("w_ih", "weight_ih"), ("w_hh", "weight_hh"),
                                                  ("b_ih", "bias_ih"), ("b_hh", "bias_hh"),
                                                  ("w_hr", "weight_hr"), ("w_ph", "weight_ph"))
                 if n + sfx in params}
            row = layer * D + d
            h = h0[row] if h0 is not None else torch.zeros(B, Ho, dtype=x.dtype)
            c = c0[row] if c0 is not None else torch.zeros(B, H, dtype=x.dtype)
            ys = [None] * steps
            for t in (reversed(range(steps)) if d else range(steps)):
                h_new, c_new = manual_step(cell, p, inp[t], h, c, H)
                m = (t < lengths).to(x.dtype).unsqueeze(1) if lengths is not None else torch.ones(B, 1, dtype=x.dtype)
                ys[t] = h_new * m
                h = m * h_new + (1 - m) * h
                if c_new is not None:
                    c = m * c_new + (1 - m) * c
            outs.append(torch.stack(ys))
            hs.append(h)
            cs.append(c)
        inp = torch.cat(outs, dim=2)
    return inp, torch.stack(hs), torch.stack(cs)


# ----------------------------------------------------------------- cases
CASES = [
    # name, cell, layers, bidirectional, batch, options
    ("rnn_tanh_l1", "rnn_tanh", 1, False, 3, {}),
    ("rnn_relu_l2_bi_lengths_h0", "rnn_relu", 2, True, 3, {"lengths": True, "h0": True}),
    ("rnn_tanh_l3_b1", "rnn_tanh", 3, False, 1, {}),
    ("lstm_l1_h0c0", "lstm", 1, False, 3, {"h0": True}),
    ("lstm_l2_bi_lengths_batch_first", "lstm", 2, True, 4, {"lengths": True, "batch_first": True}),
    ("lstm_proj_l2_bi_lengths_h0c0", "lstm", 2, True, 3, {"lengths": True, "h0": True, "proj": 2}),
    ("lstm_l1_bi_nobias", "lstm", 1, True, 2, {"bias": False}),
    ("gru_l1", "gru", 1, False, 3, {}),
    ("gru_l2_bi_lengths_h0_batch_first", "gru", 2, True, 3, {"lengths": True, "h0": True, "batch_first": True}),
    ("gru_l1_nobias_f64", "gru", 1, False, 2, {"bias": False, "dtype": torch.float64}),
    ("lstm_l1_bf16", "lstm", 1, False, 2, {"dtype": torch.bfloat16}),
    ("gru_reset_before_l2_bi_lengths", "gru_reset_before", 2, True, 3, {"lengths": True, "h0": True}),
    ("gru_reset_before_l1", "gru_reset_before", 1, False, 2, {}),
    ("lstm_peephole_l1_lengths_h0c0", "lstm", 1, False, 3, {"lengths": True, "h0": True, "peephole": True}),
    ("lstm_peephole_proj_l2_bi", "lstm", 2, True, 2, {"peephole": True, "proj": 2}),
]


# ----------------------------------------------------------------- pytorch-qrnn
class QRNNLayerRef(torch.nn.Module):
    """torchqrnn.QRNNLayer's layout: linear over [x_t | x_{t-1}], rows Z, F (O)."""

    def __init__(self, I, H, window, output_gate):
        super().__init__()
        self.window, self.output_gate, self.zoneout, self.hidden_size = window, output_gate, 0, H
        self.linear = torch.nn.Linear(window * I, (3 if output_gate else 2) * H)


class QRNNRef(torch.nn.Module):
    """torchqrnn.QRNN's layout: layers.{k}.linear."""

    def __init__(self, I, H, L, window, output_gate):
        super().__init__()
        self.layers = torch.nn.ModuleList(QRNNLayerRef(I if k == 0 else H, H, window, output_gate)
                                          for k in range(L))


def qrnn_forward(layers, x, hidden, window, output_gate, zoneout=0.0):
    """pytorch-qrnn's forward (qrnn.py, forget_mult.py) on weights in its layout [(W, b)], in
    evaluation: Z = tanh, F = sigmoid (times 1 - zoneout), C_t = F_t Z_t + (1 - F_t) C_{t-1},
    H = sigmoid(O) C; returns the output, the last C of each layer and the input of each layer."""
    inputs, last = [], []
    for k, (w, b) in enumerate(layers):
        inputs.append(x)
        source = x if window == 1 else torch.cat([x, torch.cat([torch.zeros_like(x[:1]), x[:-1]])], 2)
        parts = (source @ w.t() + b).chunk(3 if output_gate else 2, dim=2)
        z, f = torch.tanh(parts[0]), torch.sigmoid(parts[1]) * (1 - zoneout)
        c, cs = hidden[k], []
        for t in range(x.shape[0]):
            c = f[t] * z[t] + (1 - f[t]) * c
            cs.append(c)
        C = torch.stack(cs)
        x = torch.sigmoid(parts[2]) * C if output_gate else C
        last.append(c)
    return x, torch.stack(last), inputs


def make_qrnn_case(name, L, B, window, output_gate, seed):
    torch.manual_seed(seed)
    H = 4
    module = QRNNRef(I, H, L, window, output_gate)
    with torch.no_grad():
        for v in module.parameters():
            v.uniform_(-0.6, 0.6)
    export(module, os.path.join(HERE, name + ".model.safetensors"))  # the model: the exporter's file
    # The reference runs on the module's own weights, in pytorch-qrnn's layout; its gradients
    # are mapped here (not by the exporter) to recur's layout, whose forget-gate rows are
    # pytorch-qrnn's F rows negated.
    layers = [(lay.linear.weight.detach().clone().requires_grad_(True),
               lay.linear.bias.detach().clone().requires_grad_(True)) for lay in module.layers]
    sign = torch.ones(3 if output_gate else 2, H, 1)
    sign[1] = -1
    sign = sign.reshape(-1, 1)
    x = torch.randn(T, B, I, requires_grad=True)
    c0 = (0.5 * torch.randn(L, B, H)).requires_grad_(True)
    out, c_n, inputs = qrnn_forward(layers, x, c0, window, output_gate)
    R, R_c = torch.randn(out.shape), torch.randn(c_n.shape)
    loss = (out * R).sum() + (c_n * R_c).sum()
    data = {"input": x.detach(), "c0": c0.detach(), "R": R, "R_c": R_c, "output": out.detach(), "c_n": c_n.detach()}
    if window == 2:  # recur's second state, lookback: each layer's last input x_{T-1} (pytorch-qrnn's
        # prevX), in rows as wide as the widest layer's, zeros after a narrower layer's width
        widest = max(inp.shape[2] for inp in inputs)
        look = torch.stack([torch.nn.functional.pad(inp[-1], (0, widest - inp.shape[2])) for inp in inputs])
        R_l = torch.randn(look.shape)
        loss = loss + (look * R_l).sum()
        data.update({"R_lookback": R_l, "lookback_n": look.detach()})
    wrt = [x, c0] + [t for pair in layers for t in pair]
    grads = torch.autograd.grad(loss, wrt)
    data["grad.input"], data["grad.c0"] = grads[0], grads[1]
    for k in range(L):
        data[f"grad.weight_ih_l{k}"] = grads[2 + 2 * k] * sign
        data[f"grad.bias_ih_l{k}"] = grads[3 + 2 * k] * sign[:, 0]
    save_file({k: v.contiguous() for k, v in data.items()}, os.path.join(HERE, name + ".data.safetensors"),
              metadata={"batch_first": "0"})


QRNN_CASES = [
    # name, layers, batch, window, output gate
    ("qrnn_fo_w2_l2_c0", 2, 3, 2, True),
    ("qrnn_f_w1_l1_c0", 1, 2, 1, False),
    ("qrnn_fo_w1_l3_b1_c0", 3, 1, 1, True),
    ("qrnn_f_w2_l1_c0", 1, 3, 2, False),
]


def build_module(cell, L, bi, H, opts):
    kw = dict(num_layers=L, bidirectional=bi, bias=opts.get("bias", True),
              batch_first=opts.get("batch_first", False))
    if cell == "lstm":
        return torch.nn.LSTM(I, H, proj_size=opts.get("proj", 0), **kw)
    if cell == "gru":
        return torch.nn.GRU(I, H, **kw)
    return torch.nn.RNN(I, H, nonlinearity="relu" if cell == "rnn_relu" else "tanh", **kw)


def make_case(name, cell, L, bi, B, opts, seed):
    torch.manual_seed(seed)
    H = 4
    D = 2 if bi else 1
    P = opts.get("proj", 0)
    Ho = P or H
    manual = cell == "gru_reset_before" or opts.get("peephole")
    shape_cell = "gru" if cell == "gru_reset_before" else cell
    module = build_module(shape_cell, L, bi, H, opts)
    state = {k: torch.empty_like(v).uniform_(-0.6, 0.6) for k, v in module.state_dict().items()}
    if opts.get("peephole"):
        for layer in range(L):
            for d in range(D):
                state[f"weight_ph_l{layer}" + ("_reverse" if d else "")] = torch.empty(3, H).uniform_(-0.6, 0.6)
    file_dtype = opts.get("dtype", torch.float32)
    state = {k: v.to(file_dtype).to(torch.float32) for k, v in state.items()}  # what recur will load
    params = {k: v.clone().requires_grad_(True) for k, v in state.items()}

    bf = opts.get("batch_first", False)
    x = torch.randn(B, T, I) if bf else torch.randn(T, B, I)
    x.requires_grad_(True)
    h0 = (0.5 * torch.randn(L * D, B, Ho)).requires_grad_(True) if opts.get("h0") else None
    c0 = (0.5 * torch.randn(L * D, B, H)).requires_grad_(True) if opts.get("h0") and cell == "lstm" else None
    lengths = torch.tensor([T, 3, 1, 4][:B], dtype=torch.int64) if opts.get("lengths") else None

    if manual:
        xt = x.transpose(0, 1) if bf else x
        out, h_n, c_n = manual_forward(cell, params, xt, h0, c0, lengths, L, D, H, Ho)
        if bf:
            out = out.transpose(0, 1)
        if cell != "lstm":
            c_n = None
    else:
        with torch.no_grad():
            for k, v in module.named_parameters():
                v.copy_(state[k])
        module_params = dict(module.named_parameters())
        inp = x
        if lengths is not None:
            inp = torch.nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=bf, enforce_sorted=False)
        init = None
        if h0 is not None:
            init = (h0, c0) if cell == "lstm" else h0
        out, states = module(inp, init)
        if lengths is not None:
            out, _ = torch.nn.utils.rnn.pad_packed_sequence(out, batch_first=bf, total_length=T)
        h_n, c_n = states if cell == "lstm" else (states, None)
        params = module_params

    R = torch.randn(out.shape)
    R_h = torch.randn(h_n.shape)
    loss = (out * R).sum() + (h_n * R_h).sum()
    data = {"input": x.detach(), "R": R, "R_h": R_h, "output": out.detach(), "h_n": h_n.detach()}
    if c_n is not None:
        R_c = torch.randn(c_n.shape)
        loss = loss + (c_n * R_c).sum()
        data.update({"R_c": R_c, "c_n": c_n.detach()})
    wrt = {"input": x, **({"h0": h0} if h0 is not None else {}), **({"c0": c0} if c0 is not None else {}),
           **params}
    grads = torch.autograd.grad(loss, list(wrt.values()))
    for k, g in zip(wrt, grads):
        data["grad." + k] = g
    if h0 is not None:
        data["h0"] = h0.detach()
    if c0 is not None:
        data["c0"] = c0.detach()
    if lengths is not None:
        data["lengths"] = lengths

    meta = {"cell": cell}
    if cell.startswith("rnn_"):
        meta = {"nonlinearity": cell[4:]}  # what PyTorch users know; recur infers rnn_<it>
    model = {k: v.to(file_dtype).contiguous() for k, v in state.items()}
    save_file(model, os.path.join(HERE, name + ".model.safetensors"), metadata=meta)
    save_file({k: v.contiguous() for k, v in data.items()}, os.path.join(HERE, name + ".data.safetensors"),
              metadata={"batch_first": "1" if bf else "0"})


def check_manual_against_torch():
    """The manual implementation must reproduce nn.LSTM and nn.GRU before it is trusted."""
    torch.manual_seed(0)
    for cell in ("lstm", "gru"):
        module = build_module(cell, 2, True, 4, {})
        params = dict(module.named_parameters())
        x = torch.randn(T, 3, I)
        lengths = torch.tensor([T, 2, 4])
        packed = torch.nn.utils.rnn.pack_padded_sequence(x, lengths, enforce_sorted=False)
        out, _ = module(packed)
        out, _ = torch.nn.utils.rnn.pad_packed_sequence(out, total_length=T)
        mine, _, _ = manual_forward(cell, params, x, None, None, lengths, 2, 2, 4, 4)
        assert torch.allclose(out, mine, atol=1e-6), cell


def main(only):
    check_manual_against_torch()
    names, written = [], 0
    for seed, (name, cell, L, bi, B, opts) in enumerate(CASES):
        if not only or name in only:
            make_case(name, cell, L, bi, B, opts, seed)
            written += 1
        names.append(name)
    for seed, (name, L, B, window, gate) in enumerate(QRNN_CASES, start=100):
        if not only or name in only:
            make_qrnn_case(name, L, B, window, gate, seed)
            written += 1
        names.append(name)
    unknown = set(only) - set(names)
    if unknown:
        sys.exit(f"make_refs.py: no case {', '.join(sorted(unknown))}")
    with open(os.path.join(HERE, "index.txt"), "w") as f:
        f.write("\n".join(names) + "\n")
    print(f"wrote {written} cases to {HERE}")


if __name__ == "__main__":
    main(sys.argv[1:])
