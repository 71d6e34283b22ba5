#!/usr/bin/env python3
"""recur against PyTorch and oneDNN on the shapes of the speed issue, in one run.

    make bench-onednn        # once, needs libdnnl-dev; without it the oneDNN columns say "-"
    python3 bench/rnn_vs_torch.py [--build build] [--reps 10] [--threads 1 2] [--quick]
    python3 bench/rnn_vs_torch.py --memory     # peak memory of training instead of times

For each shape and mode, `recur bench --json` (which checks its fused kernels against the
composed path before timing), the same network in PyTorch (torch.nn.LSTM/GRU/RNN,
float32, in its own process, with the fastest of its thread settings on n cores: its own
pool's threads + OpenBLAS's, column "torch thr") and oneDNN's RNN primitive (bench/onednn_rnn.c,
OMP_NUM_THREADS=n; its GRU is lbr_gru) are timed; the table gives the median milliseconds
of each (per step for streaming) and the others' times divided by recur's (> 1: recur is
faster).  `infer` is a forward pass; `train` a forward and backward of sum(output) with
gradients for the input and every weight.  PyTorch's GRU is its reset-after form, so recur
runs `gru` (the same equations).
"""
import argparse
import json
import os
import subprocess
import sys

import torch

# name, cell, T, B, I, H, layers, bidirectional, modes
SHAPES = [
    ("a", "lstm", 100, 64, 256, 256, 1, False, ("infer", "train")),
    ("b", "lstm", 100, 64, 512, 512, 1, False, ("infer", "train")),
    ("c", "lstm", 100, 32, 1024, 1024, 1, False, ("infer", "train")),
    ("d", "lstm", 100, 32, 256, 256, 2, True, ("infer", "train")),
    ("e", "lstm", 1000, 1, 256, 256, 1, False, ("stream",)),
    ("e", "lstm", 1000, 1, 512, 512, 1, False, ("stream",)),
    ("e", "gru", 1000, 1, 256, 256, 1, False, ("stream",)),
    ("e", "rnn_tanh", 1000, 1, 256, 256, 1, False, ("stream",)),
    ("f", "lstm", 2000, 8, 256, 256, 2, False, ("infer", "train")),
]
TORCH = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn_tanh": torch.nn.RNN}


TORCH_TIME = """
import statistics, sys, time, torch
cell, mode = sys.argv[1], sys.argv[2]
T, B, I, H, L, bi, reps, intra = map(int, sys.argv[3:11])
torch.set_num_threads(intra)
net = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn_tanh": torch.nn.RNN}[cell](I, H, num_layers=L,
                                                                                  bidirectional=bool(bi))
x = torch.randn(T, B, I, requires_grad=mode == "train")
times = []
for r in range(reps + 1):
    start = time.perf_counter()
    if mode == "train":
        y, _ = net(x)
        y.sum().backward()
    elif mode == "infer":
        with torch.no_grad():
            net(x)
    else:  # one step at a time, state carried
        with torch.no_grad():
            state = None
            for t in range(T):
                _, state = net(x[t:t + 1], state)
    times.append((time.perf_counter() - start) * 1e3 / (T if mode == "stream" else 1))
print(statistics.median(times[1:]))
"""


def torch_run(cell, T, B, I, H, L, bi, mode, reps, intra, blas):
    """Median ms of PyTorch in its own process: `intra` threads of its own pool, `blas` of OpenBLAS's."""
    env = dict(os.environ, OPENBLAS_NUM_THREADS=str(blas), OMP_NUM_THREADS=str(intra))
    out = subprocess.run([sys.executable, "-c", TORCH_TIME, cell, mode, *map(str, (T, B, I, H, L, int(bi), reps, intra))],
                         check=True, capture_output=True, text=True, env=env).stdout
    return float(out)


def torch_ms(cell, T, B, I, H, L, bi, mode, reps, threads):
    """PyTorch's best setting on `threads` cores: its own pool (set_num_threads) and OpenBLAS's
    pthreads pool are separate, and OpenBLAS starts one thread per core unless told, so
    set_num_threads(1) alone still runs its GEMMs on every core.  Each setting using at most
    `threads` cores is tried once; the fastest is timed `reps` times.  Returns (ms, setting)."""
    settings = [(intra, blas) for intra in range(1, threads + 1) for blas in range(1, threads + 1)]
    if len(settings) > 1:
        settings.sort(key=lambda s: torch_run(cell, T, B, I, H, L, bi, mode, 1, *s))
    intra, blas = settings[0]
    return torch_run(cell, T, B, I, H, L, bi, mode, reps, intra, blas), f"{intra}+{blas}"


def recur_ms(recur, cell, T, B, I, H, L, bi, mode, reps, threads):
    cmd = [recur, "bench", "--cell", cell, "--mode", mode, "--seq", str(T), "--batch", str(B), "--input", str(I),
           "--hidden", str(H), "--layers", str(L), "--threads", str(threads), "--reps", str(reps), "--json"]
    if bi:
        cmd.append("--bidirectional")
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def onednn_ms(tool, cell, T, B, I, H, L, bi, mode, reps, threads):
    if not os.path.exists(tool):
        return None
    cmd = [tool, "--cell", cell, "--mode", mode, "--seq", str(T), "--batch", str(B), "--input", str(I),
           "--hidden", str(H), "--layers", str(L), "--reps", str(reps)]
    if bi:
        cmd.append("--bidirectional")
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env).stdout
    return json.loads(out)["median_ms"]


TORCH_PEAK = """
import os
os.environ["OPENBLAS_NUM_THREADS"] = "1"
import resource, sys, torch
cell, T, B, I, H, L, bi = sys.argv[1], *map(int, sys.argv[2:8])
torch.set_num_threads(1)
net = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn_tanh": torch.nn.RNN}[cell](I, H, num_layers=L, bidirectional=bool(bi))
x = torch.randn(T, B, I, requires_grad=True)
y, _ = net(x)
y.sum().backward()
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


def peak_memory(recur, shapes):
    """Peak resident memory (MB) of one training pass, each side in its own process."""
    print(f"{'shape':<6}{'cell':<9}{'T,B,I=H,L':<18}{'recur MB':>10}{'torch MB':>10}{'torch (import only) MB':>24}")
    base = float(subprocess.run([sys.executable, "-c", "import resource, torch; "
                                 "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)"],
                                check=True, capture_output=True, text=True).stdout)
    for name, cell, T, B, I, H, L, bi, modes in shapes:
        if "train" not in modes:
            continue
        r = recur_ms(recur, cell, T, B, I, H, L, bi, "train", 1, 1)["peak_mb"]
        t = float(subprocess.run([sys.executable, "-c", TORCH_PEAK, cell, *map(str, (T, B, I, H, L, int(bi)))],
                                 check=True, capture_output=True, text=True).stdout)
        shape = f"{T},{B},{H},{L}{'bi' if bi else ''}"
        print(f"{name:<6}{cell:<9}{shape:<18}{r:>10.0f}{t:>10.0f}{base:>24.0f}", flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--reps", type=int, default=10)
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--quick", action="store_true", help="shapes a and e only")
    ap.add_argument("--shapes", default="abcdef", help="the shapes to run, e.g. f or af (default all)")
    ap.add_argument("--memory", action="store_true", help="peak memory of one training pass instead of times")
    args = ap.parse_args()
    recur = os.path.join(args.build, "recur")
    if args.memory:
        peak_memory(recur, SHAPES)
        return
    onednn = os.path.join(args.build, "bench", "onednn_rnn")
    build = subprocess.run([recur, "--version"], capture_output=True, text=True).stdout.strip()
    print(f"{build}; torch {torch.__version__}; "
          f"{'oneDNN ' + onednn if os.path.exists(onednn) else 'no oneDNN (make bench-onednn)'}; "
          f"median of {args.reps} (per step for streaming)")
    print(f"{'shape':<6}{'cell':<9}{'T,B,I=H,L':<18}{'mode':<8}{'thr':>4}{'recur ms':>11}{'GFLOP/s':>9}"
          f"{'torch ms':>11}{'torch thr':>10}{'torch/recur':>12}{'oneDNN ms':>11}{'oneDNN/recur':>13}")
    for name, cell, T, B, I, H, L, bi, modes in SHAPES:
        if (args.quick and name not in ("a", "e")) or name not in args.shapes:
            continue
        for mode in modes:
            for threads in args.threads:
                r = recur_ms(recur, cell, T, B, I, H, L, bi, mode, args.reps, threads)
                t, setting = torch_ms(cell, T, B, I, H, L, bi, mode, args.reps, threads)
                d = onednn_ms(onednn, cell, T, B, I, H, L, bi, mode, args.reps, threads)
                shape = f"{T},{B},{H},{L}{'bi' if bi else ''}"
                dnn = f"{d:>11.3f}{d / r['median_ms']:>12.2f}x" if d is not None else f"{'-':>11}{'-':>13}"
                print(f"{name:<6}{cell:<9}{shape:<18}{mode:<8}{threads:>4}{r['median_ms']:>11.3f}{r['gflops']:>9.1f}"
                      f"{t:>11.3f}{setting:>10}{t / r['median_ms']:>11.2f}x{dnn}", flush=True)


if __name__ == "__main__":
    main()
