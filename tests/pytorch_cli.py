#!/usr/bin/env python3
"""End to end against PyTorch: random modules with shapes and options the committed
fixtures do not have are exported with tools/export_pytorch.py (some inside a larger
model), run by `recur run`, and compared with PyTorch's own outputs; pytorch-qrnn QRNNs
(tests/ref/make_refs.py's copy of its layout and equations) likewise.

    python3 tests/pytorch_cli.py BUILD_DIR        # needs torch and safetensors

Ends with "N passed, N failed"."""
import os
import subprocess
import sys
import tempfile

import torch
from safetensors.torch import load_file, save_file

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "ref"))
from export_pytorch import export  # noqa: E402
from make_refs import QRNNRef, qrnn_forward  # noqa: E402


class Tagger(torch.nn.Module):
    """A model holding an RNN, as users have them."""

    def __init__(self, rnn):
        super().__init__()
        self.embed = torch.nn.Linear(4, 4)
        self.encoder = rnn
        self.head = torch.nn.Linear(8, 3)


CASES = [
    # cell, kwargs, I, T, B, lengths, states, wrapped
    ("lstm", dict(hidden_size=7, num_layers=3, bidirectional=True), 5, 11, 4, True, True, False),
    ("lstm", dict(hidden_size=6, num_layers=2, proj_size=3, batch_first=True), 4, 9, 3, True, True, True),
    ("gru", dict(hidden_size=8, num_layers=1, bidirectional=True, batch_first=True), 6, 13, 5, True, True, False),
    ("gru", dict(hidden_size=5, num_layers=3, bias=False), 2, 7, 2, False, True, True),
    ("rnn", dict(hidden_size=9, num_layers=2, nonlinearity="relu", bidirectional=True), 3, 10, 3, True, True, False),
    ("rnn", dict(hidden_size=3, num_layers=1), 8, 20, 1, False, False, False),
]


# pytorch-qrnn's QRNN (its layout, written again in tests/ref/make_refs.py): I, H, layers, window,
# output gate, zoneout (evaluation), T, B, wrapped in a model
QRNN_CASES = [
    (5, 7, 2, 2, True, 0.0, 11, 4, True),
    (3, 6, 1, 1, False, 0.0, 9, 2, False),
    (4, 5, 3, 2, False, 0.0, 6, 3, False),
    (4, 6, 2, 2, True, 0.25, 8, 2, False),
]


def judge(name, run, out_path, want, against):
    """1 when `recur run` (its CompletedProcess, its output file) gave want = {name: tensor}
    within 2e-5, else 0 with a FAIL line."""
    if run.returncode != 0:
        print(f"FAIL pytorch-cli: {name}: recur run exited {run.returncode}: {run.stderr.strip()}")
        return 0
    got = load_file(out_path)
    worst = max((got[k] - v).abs().max().item() for k, v in want.items())
    if worst > 2e-5:
        print(f"FAIL pytorch-cli: {name}: recur run differs from {against} by {worst:.3g}")
        return 0
    return 1


class QRNNTagger(torch.nn.Module):
    def __init__(self, qrnn, I):
        super().__init__()
        self.embed = torch.nn.Linear(I, I)
        self.encoder = qrnn


def qrnn_cases(recur, tmp):
    """Each QRNN exported, run by `recur run` with its hidden state as c0, against the
    reference; returns (passed, failed)."""
    passed = failed = 0
    for k, (I, H, L, window, gate, zoneout, T, B, wrapped) in enumerate(QRNN_CASES):
        qrnn = QRNNRef(I, H, L, window, gate)
        for layer in qrnn.layers:
            layer.zoneout = zoneout
        model_path = os.path.join(tmp, f"q{k}.safetensors")
        export(QRNNTagger(qrnn, I) if wrapped else qrnn, model_path)
        x, c0 = torch.randn(T, B, I), torch.randn(L, B, H)
        in_path, out_path = os.path.join(tmp, f"qin{k}.safetensors"), os.path.join(tmp, f"qout{k}.safetensors")
        save_file({"input": x, "c0": c0}, in_path)
        run = subprocess.run([recur, "run", model_path, in_path, "-o", out_path], capture_output=True, text=True)
        with torch.no_grad():
            weights = [(layer.linear.weight, layer.linear.bias) for layer in qrnn.layers]
            out, c_n, _ = qrnn_forward(weights, x, c0, window, gate, zoneout)
        ok = judge(f"qrnn I={I} H={H} layers={L} window={window} output_gate={gate} zoneout={zoneout}", run, out_path,
                   {"output": out, "c_n": c_n}, "the reference")
        passed, failed = passed + ok, failed + 1 - ok
    return passed, failed


def main(build):
    recur = os.path.join(build, "recur")
    passed = failed = 0
    torch.manual_seed(1234)
    with tempfile.TemporaryDirectory() as tmp:
        for k, (cell, kw, I, T, B, use_lengths, use_states, wrapped) in enumerate(CASES):
            ctor = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}[cell]
            rnn = ctor(I, **kw)
            model = Tagger(rnn) if wrapped else rnn
            model_path = os.path.join(tmp, f"m{k}.safetensors")
            export(model, model_path)
            bf = kw.get("batch_first", False)
            D = 2 if kw.get("bidirectional") else 1
            L, H = kw["num_layers"], kw["hidden_size"]
            Ho = kw.get("proj_size", 0) or H
            x = torch.randn(B, T, I) if bf else torch.randn(T, B, I)
            inputs = {"input": x}
            h0 = torch.randn(L * D, B, Ho) if use_states else None
            c0 = torch.randn(L * D, B, H) if use_states and cell == "lstm" else None
            lengths = torch.randint(1, T + 1, (B,)) if use_lengths else None
            if lengths is not None:
                lengths[0] = T
                inputs["lengths"] = lengths
            if h0 is not None:
                inputs["h0"] = h0
            if c0 is not None:
                inputs["c0"] = c0
            in_path, out_path = os.path.join(tmp, f"in{k}.safetensors"), os.path.join(tmp, f"out{k}.safetensors")
            save_file(inputs, in_path)
            cmd = [recur, "run", model_path, in_path, "-o", out_path] + (["--batch-first"] if bf else [])
            run = subprocess.run(cmd, capture_output=True, text=True)
            with torch.no_grad():
                inp = x if lengths is None else torch.nn.utils.rnn.pack_padded_sequence(
                    x, lengths, batch_first=bf, enforce_sorted=False)
                init = None if h0 is None else ((h0, c0) if cell == "lstm" else h0)
                out, states = rnn(inp, init)
                if lengths is not None:
                    out, _ = torch.nn.utils.rnn.pad_packed_sequence(out, batch_first=bf, total_length=T)
            h_n, c_n = states if cell == "lstm" else (states, None)
            want = {"output": out, "h_n": h_n, **({"c_n": c_n} if c_n is not None else {})}
            ok = judge(f"{cell} {kw}", run, out_path, want, "PyTorch")
            passed, failed = passed + ok, failed + 1 - ok
        q_passed, q_failed = qrnn_cases(recur, tmp)
        passed, failed = passed + q_passed, failed + q_failed
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "build"))
