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
    wrong = [f"{k} {list(got[k].shape) if k in got else 'missing'} (want {list(v.shape)})" for k, v in want.items()
             if k not in got or got[k].shape != v.shape]
    if wrong:
        print(f"FAIL pytorch-cli: {name}: recur run wrote {', '.join(wrong)}")
        return 0
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
        export(QRNNTagger(qrnn, I) if wrapped else qrnn, model_path, attr="encoder" if wrapped else None)
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


class Whole(torch.nn.Module):
    """A whole model as users write them: forward(x) = head(rnn(embed(x))[0])."""

    def __init__(self, embed, rnn, head):
        super().__init__()
        self.embed, self.drop, self.rnn, self.head = embed, torch.nn.Dropout(0.2), rnn, head

    def forward(self, x, state=None):
        y, state = self.rnn(self.drop(self.embed(x) if self.embed is not None else x), state)
        return self.head(y), state


# embedding (V, E) or None, cell, rnn kwargs, features I when no embedding, head outputs,
# head bias, T, B, exported as a module (else as its state_dict)
WHOLE_CASES = [
    ((13, 5), "lstm", dict(hidden_size=6, num_layers=2, batch_first=True), 0, 13, True, 9, 3, True),
    ((10, 4), "lstm", dict(hidden_size=7, num_layers=1, proj_size=3), 0, 5, True, 6, 2, True),
    (None, "gru", dict(hidden_size=5, num_layers=2, bidirectional=True), 3, 4, True, 8, 3, True),
    ((7, 6), "rnn", dict(hidden_size=4, num_layers=2, nonlinearity="relu"), 0, 7, False, 5, 2, False),
    (None, "lstm", dict(hidden_size=4, num_layers=1, batch_first=True), 2, 3, True, 6, 4, False),
]


def whole_model_cases(recur, tmp):
    """Whole models (embedding or none, network, head) exported as modules or state_dicts, run by
    `recur run`, against PyTorch: the logits at every step and the final states; then the first
    one streamed in two runs, the second fed the first's final states."""
    passed = failed = 0
    for k, (emb, cell, kw, I, n_out, bias, T, B, as_module) in enumerate(WHOLE_CASES):
        ctor = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}[cell]
        embed = torch.nn.Embedding(*emb) if emb else None
        rnn = ctor(emb[1] if emb else I, **kw)
        D = 2 if kw.get("bidirectional") else 1
        head = torch.nn.Linear(D * (kw.get("proj_size", 0) or kw["hidden_size"]), n_out, bias=bias)
        model = Whole(embed, rnn, head).eval()
        path = os.path.join(tmp, f"whole{k}.safetensors")
        bf = kw.get("batch_first", False)
        if as_module:
            export(model, path)
        else:
            export(model.state_dict(), path, cell="rnn_relu" if kw.get("nonlinearity") == "relu" else None,
                   batch_first=bf or None)
        lead = (B, T) if bf else (T, B)
        x = torch.randint(0, emb[0], lead) if emb else torch.randn(*lead, I)
        in_path, out_path = os.path.join(tmp, f"win{k}.safetensors"), os.path.join(tmp, f"wout{k}.safetensors")
        save_file({"input": x}, in_path)
        run = subprocess.run([recur, "run", path, in_path, "-o", out_path], capture_output=True, text=True)
        with torch.no_grad():
            logits, state = model(x)
        h_n, c_n = state if cell == "lstm" else (state, None)
        want = {"output": logits, "h_n": h_n, **({"c_n": c_n} if c_n is not None else {})}
        what = f"whole model: {'embedding, ' if emb else ''}{cell} {kw}, head {n_out}" + \
            ("" if as_module else ", from its state_dict")
        ok = judge(what, run, out_path, want, "PyTorch")
        passed, failed = passed + ok, failed + 1 - ok
        if k == 0:  # streamed: two runs, the second from the first's final states
            cut = T // 2
            first, second = (x[:, :cut], x[:, cut:]) if bf else (x[:cut], x[cut:])
            save_file({"input": first.contiguous()}, in_path)
            run = subprocess.run([recur, "run", path, in_path, "-o", out_path], capture_output=True, text=True)
            got = load_file(out_path) if run.returncode == 0 else {}
            save_file({"input": second.contiguous(), "h0": got.get("h_n", torch.zeros(1)),
                       "c0": got.get("c_n", torch.zeros(1))}, in_path)
            run = subprocess.run([recur, "run", path, in_path, "-o", out_path], capture_output=True, text=True)
            tail = logits[:, cut:] if bf else logits[cut:]
            ok = judge("whole model streamed: the second half from the first half's h_n and c_n", run, out_path,
                       {"output": tail, "h_n": h_n, "c_n": c_n}, "PyTorch over the whole sequence")
            passed, failed = passed + ok, failed + 1 - ok
    return passed, failed


def refusal_cases(recur, tmp):
    """Layers a whole model cannot hold are refused, named, and nothing is written."""
    lstm = lambda: torch.nn.LSTM(4, 5)  # noqa: E731
    cases = [
        ("an nn.Sequential(LSTM, Linear) keeps its Linear", torch.nn.Sequential(lstm(), torch.nn.Linear(5, 3)), None),
        ("a LayerNorm after the network", torch.nn.Sequential(lstm(), torch.nn.LayerNorm(5), torch.nn.Linear(5, 3)),
         "cannot export 1 (LayerNorm)"),
        ("a Linear before the network", Tagger(torch.nn.LSTM(4, 8)), "cannot export embed (Linear)"),
        ("a second head", torch.nn.Sequential(lstm(), torch.nn.Linear(5, 5), torch.nn.Linear(5, 3)),
         "cannot export 2 (Linear): a second one"),
        ("an Embedding with max_norm", Whole(torch.nn.Embedding(5, 4, max_norm=1.0), lstm(), torch.nn.Linear(5, 2)),
         "max_norm"),
        ("two networks", torch.nn.Sequential(lstm(), torch.nn.GRU(5, 5)), "several recurrent modules"),
        ("a head of the wrong width", torch.nn.Sequential(lstm(), torch.nn.Linear(6, 3)), "the head reads 6 features"),
        ("a state_dict with a stray tensor", {**Whole(None, lstm(), torch.nn.Linear(5, 2)).state_dict(),
                                              "norm.running_mean": torch.zeros(5)}, "cannot export norm"),
    ]
    passed = failed = 0
    for name, model, error in cases:
        path = os.path.join(tmp, "refused.safetensors")
        if os.path.exists(path):
            os.remove(path)
        try:
            export(model, path)
            got = None
        except ValueError as e:
            got = str(e)
        if error is None:
            meta = load_file(path) if os.path.exists(path) else {}
            ok = got is None and "head.weight" in meta and list(meta["head.weight"].shape) == [3, 5]
        else:
            ok = got is not None and error in got and not os.path.exists(path)
        if not ok:
            print(f"FAIL pytorch-cli: export: {name}: expected {error or 'a whole model'}, got {got or 'no error'}")
        passed, failed = passed + ok, failed + 1 - ok
    return passed, failed


def trained_lm_case(recur, tmp):
    """A language model trained by `recur train` runs in `recur run`, and its logits equal those
    of the same weights in PyTorch's nn.Embedding, nn.LSTM and nn.Linear."""
    text = os.path.join(tmp, "text.txt")
    with open(text, "w") as f:
        f.write("the cat sat on the mat. " * 60)
    out = os.path.join(tmp, "lm_run")
    train = subprocess.run([recur, "train", "--task", "lm", "--data", text, "--cell", "lstm", "--hidden", "8",
                            "--embed", "6", "--layers", "2", "--bptt", "10", "--batch", "4", "--epochs", "1",
                            "--out", out], capture_output=True, text=True)
    if train.returncode != 0:
        print(f"FAIL pytorch-cli: recur train exited {train.returncode}: {train.stderr.strip()}")
        return 0, 1
    w = load_file(os.path.join(out, "model.safetensors"))
    V, E = w["embed.weight"].shape
    model = Whole(torch.nn.Embedding(V, E), torch.nn.LSTM(E, 8, num_layers=2), torch.nn.Linear(8, V)).eval()
    model.load_state_dict(w)
    x = torch.randint(0, V, (12, 3))
    in_path, out_path = os.path.join(tmp, "lmin.safetensors"), os.path.join(tmp, "lmout.safetensors")
    save_file({"input": x}, in_path)
    run = subprocess.run([recur, "run", out, in_path, "-o", out_path], capture_output=True, text=True)
    with torch.no_grad():
        logits, (h_n, c_n) = model(x)
    ok = judge("a recur-trained lm (its run folder) in recur run", run, out_path,
               {"output": logits, "h_n": h_n, "c_n": c_n}, "PyTorch with its weights")
    return ok, 1 - ok


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
            export(model, model_path, attr="encoder" if wrapped else None)
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
        for cases in (qrnn_cases, whole_model_cases, refusal_cases, trained_lm_case):
            p, f = cases(recur, tmp)
            passed, failed = passed + p, failed + f
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "build"))
