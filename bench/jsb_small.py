#!/usr/bin/env python3
"""Small models, one sequence per update: recur against PyTorch on the Chung et al. 2014
JSB Chorales models, in one run, on one thread each.

    python3 bench/jsb_small.py [--epochs 3] [--build build] [--data ../shared/data/music/jsb_chorales]

For each model (GRU 46 with the reset before the recurrent matrix as in the paper, and in
PyTorch's form; LSTM 36 with peepholes as in the paper, and without; tanh RNN 100; 88
inputs, 88 sigmoid outputs, Bernoulli NLL summed over keys) both sides
train with the same settings: one sequence per update in a shuffled order, RMSProp in
Graves's centred form (momentum 0.9, decay 0.95, a floor of 1e-2 on the RMS), Gaussian
weight noise of std 0.075, the update's norm clipped to 1, rate 1e-3; after every epoch
both evaluate the validation set.  Printed: seconds per epoch (training plus validation,
the median over epochs), the ratio, and the validation NLL per frame after the last epoch.

PyTorch has neither the reset-before GRU nor peepholes, so those cells run as loops of
tensor operations (the way a PyTorch user writes them); the others use nn.GRU, nn.LSTM and
nn.RNN, PyTorch's fastest path.  The
two sides start from different random weights and draw different noise, so their NLLs
agree only roughly.  Needs torch (Debian's python3-torch is what PERFORMANCE.md measured).
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

# Both sides compute on one thread; without this OpenBLAS starts a pool of
# worker threads that poll for work beside the run (in recur and in torch).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
import torch  # noqa: E402  (after the thread setting)

KEYS = 88


def load_rolls(path):
    seqs = []
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if not line:
                continue
            steps = line.split(";")
            roll = torch.zeros(len(steps), KEYS)
            for t, step in enumerate(steps):
                for p in step.split():
                    roll[t, int(p) - 21] = 1.0
            seqs.append(roll)
    return seqs


class Cell(torch.nn.Module):
    """One recurrent layer written as a loop of tensor operations (PyTorch names)."""

    def __init__(self, kind, hidden):
        super().__init__()
        g = {"gru_reset_before": 3, "lstm": 4}[kind]
        self.kind, self.H = kind, hidden
        k = hidden ** -0.5
        u = lambda *s: torch.nn.Parameter(torch.empty(*s).uniform_(-k, k))
        self.weight_ih, self.weight_hh = u(g * hidden, KEYS), u(g * hidden, hidden)
        self.bias_ih, self.bias_hh = u(g * hidden), u(g * hidden)
        if kind == "lstm":
            self.weight_ph = u(3, hidden)

    def forward(self, x):  # x [T, 88] -> [T, H]
        H, out = self.H, []
        h = x.new_zeros(H)
        c = x.new_zeros(H)
        gx = x @ self.weight_ih.t() + self.bias_ih
        for t in range(x.shape[0]):
            if self.kind == "lstm":
                a = gx[t] + h @ self.weight_hh.t() + self.bias_hh
                i = torch.sigmoid(a[:H] + self.weight_ph[0] * c)
                f = torch.sigmoid(a[H:2 * H] + self.weight_ph[1] * c)
                c = f * c + i * torch.tanh(a[2 * H:3 * H])
                h = torch.sigmoid(a[3 * H:] + self.weight_ph[2] * c) * torch.tanh(c)
            else:
                w_rz, w_n = self.weight_hh[:2 * H], self.weight_hh[2 * H:]
                rz = torch.sigmoid(gx[t][:2 * H] + h @ w_rz.t() + self.bias_hh[:2 * H])
                r, z = rz[:H], rz[H:]
                n = torch.tanh(gx[t][2 * H:] + (r * h) @ w_n.t() + self.bias_hh[2 * H:])
                h = (1 - z) * n + z * h
            out.append(h)
        return torch.stack(out)


BUILT_IN = {"rnn_tanh": torch.nn.RNN, "gru": torch.nn.GRU, "lstm_plain": torch.nn.LSTM}


class Model(torch.nn.Module):
    def __init__(self, kind, hidden):
        super().__init__()
        self.rnn = BUILT_IN[kind](KEYS, hidden) if kind in BUILT_IN else Cell(kind, hidden)
        self.head = torch.nn.Linear(hidden, KEYS)

    def nll(self, roll):  # summed over keys, summed over frames
        x = torch.cat([roll.new_zeros(1, KEYS), roll[:-1]])
        if isinstance(self.rnn, torch.nn.RNNBase):
            y, _ = self.rnn(x.unsqueeze(1))
            y = y.squeeze(1)
        else:
            y = self.rnn(x)
        return torch.nn.functional.binary_cross_entropy_with_logits(self.head(y), roll, reduction="sum")


def rmsprop_graves_step(params, state, lr, alpha=0.95, momentum=0.9, floor=1e-2, eps=1e-8, clip=1.0):
    """The update recur's rmsprop --centered --rms-floor --clip-update computes."""
    updates = []
    with torch.no_grad():
        for p in params:
            s = state.setdefault(p, [torch.zeros_like(p), torch.zeros_like(p), torch.zeros_like(p)])
            v, a, b = s
            g = p.grad
            v.mul_(alpha).addcmul_(g, g, value=1 - alpha)
            a.mul_(alpha).add_(g, alpha=1 - alpha)
            r = (v - a * a).clamp_(min=0).sqrt_().clamp_(min=floor).add_(eps)
            b.mul_(momentum).add_(g / r)
            updates.append(lr * b)
        norm = torch.sqrt(sum((u * u).sum() for u in updates))
        scale = min(1.0, clip / float(norm)) if norm > 0 else 1.0
        for p, u in zip(params, updates):
            p.sub_(u * scale)


def torch_epochs(kind, hidden, train, valid, epochs):
    torch.manual_seed(1)
    model = Model(kind, hidden)
    params = list(model.parameters())
    state, times, g = {}, [], torch.Generator().manual_seed(1)
    valid_nll = float("nan")
    for _ in range(epochs):
        start = time.perf_counter()
        for i in torch.randperm(len(train), generator=g).tolist():
            noise = [torch.randn_like(p) * 0.075 for p in params]
            with torch.no_grad():
                for p, e in zip(params, noise):
                    p.add_(e)
            for p in params:
                p.grad = None
            (model.nll(train[i]) / len(train[i])).backward()
            with torch.no_grad():
                for p, e in zip(params, noise):
                    p.sub_(e)
            rmsprop_graves_step(params, state, 1e-3)
        with torch.no_grad():
            total = sum(float(model.nll(s)) for s in valid)
            valid_nll = total / sum(len(s) for s in valid)
        times.append(time.perf_counter() - start)
    return statistics.median(times), valid_nll


def recur_epochs(recur, data, kind, hidden, extra, epochs):
    with tempfile.TemporaryDirectory() as out:
        cmd = [recur, "train", "--task", "music", "--data", data, "--cell", kind, "--hidden", str(hidden),
               *extra, "--batch", "1", "--optimizer", "rmsprop", "--centered", "--momentum", "0.9",
               "--alpha", "0.95", "--rms-floor", "0.01", "--lr", "1e-3", "--weight-noise", "0.075",
               "--clip-update", "1", "--clip", "0", "--epochs", str(epochs), "--threads", "1",
               "--seed", "1", "--out", out]
        subprocess.run(cmd, check=True, capture_output=True)
        rows = [l.split(",") for l in open(os.path.join(out, "log.csv")).read().split("\n")[1:] if l]
        seconds = [float(r[6]) for r in rows]
        per_epoch = [b - a for a, b in zip([0.0] + seconds[:-1], seconds)]
        return statistics.median(per_epoch), float(rows[-1][3])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--build", default="build")
    ap.add_argument("--data", default=os.path.join("..", "shared", "data", "music", "jsb_chorales"))
    args = ap.parse_args()
    torch.set_num_threads(1)
    recur = os.path.join(args.build, "recur")
    train = load_rolls(os.path.join(args.data, "train.txt"))
    valid = load_rolls(os.path.join(args.data, "valid.txt"))
    print(f"JSB Chorales, one sequence per update, {args.epochs} epochs, 1 thread; torch {torch.__version__}; "
          f"{subprocess.run([recur, '--version'], capture_output=True, text=True).stdout.strip()}")
    print(f"{'model':<22} {'recur s/epoch':>14} {'torch s/epoch':>14} {'speed-up':>9} {'recur NLL':>10} {'torch NLL':>10}")
    # (name, recur cell, torch model, hidden, recur flags)
    for name, cell, kind, hidden, extra in (
            ("GRU 46, reset before", "gru_reset_before", "gru_reset_before", 46, []),
            ("GRU 46, nn.GRU form", "gru", "gru", 46, []),
            ("LSTM 36 + peepholes", "lstm", "lstm", 36, ["--peephole"]),
            ("LSTM 36, nn.LSTM", "lstm", "lstm_plain", 36, []),
            ("tanh RNN 100, nn.RNN", "rnn_tanh", "rnn_tanh", 100, [])):
        rs, rn = recur_epochs(recur, args.data, cell, hidden, extra, args.epochs)
        ts, tn = torch_epochs(kind, hidden, train, valid, args.epochs)
        print(f"{name:<22} {rs:>14.3f} {ts:>14.3f} {ts / rs:>8.1f}x {rn:>10.3f} {tn:>10.3f}")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
