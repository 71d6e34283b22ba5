#!/usr/bin/env python3
"""The QRNN against the fused LSTM on the QRNN paper's shape (Bradbury et al. 2017,
Figure 4: hidden 320), in one run.

    python3 bench/qrnn_vs_lstm.py [--build build] [--reps 10] [--cell qrnn_fo] [--window 2] [--torch]

For each T (100, 500), B (8, 32), thread count (1, 2) and mode (infer: a forward pass;
train: forward and backward of sum(output)), `recur bench --json` times the LSTM and then
the QRNN (each checked against its composed path first), I = H = 320, one layer; the table
gives the median milliseconds, the QRNN's speed-up over the LSTM (LSTM time / QRNN time)
and the GFLOP/s of each (the QRNN's FLOPs are its convolution's: 2 T B window I G).
With --torch (run by a python with torch), PyTorch's own LSTM (torch.nn.LSTM, its best thread
setting on the same cores, as bench/rnn_vs_torch.py times it) joins the table, and the QRNN's
speed-up over it.  Otherwise Python's standard library only.
"""
import argparse
import json
import os
import subprocess
import sys


def bench(build, cell, opts, mode, T, B, threads, reps):
    cmd = [f"{build}/recur", "bench", "--cell", cell, "--mode", mode, "--seq", str(T), "--batch", str(B),
           "--input", "320", "--hidden", "320", "--threads", str(threads), "--reps", str(reps), "--json"]
    for o in opts:
        cmd += ["--cell-opt", o]
    return json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--reps", type=int, default=10)
    ap.add_argument("--cell", default="qrnn_fo", choices=["qrnn_f", "qrnn_fo", "qrnn_ifo"])
    ap.add_argument("--window", type=int, default=2, choices=[1, 2])
    ap.add_argument("--torch", action="store_true", help="also PyTorch's LSTM (needs torch)")
    a = ap.parse_args()
    opts = [f"window={a.window}"]
    torch_ms = None
    if a.torch:
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        import rnn_vs_torch  # noqa: E402 (imports torch)
        torch_ms = rnn_vs_torch.torch_ms
        import torch  # noqa: E402
        print(f"torch {torch.__version__}")
    extra = " torch lstm ms | torch lstm / qrnn |" if a.torch else ""
    print(f"| mode | T | B | threads | lstm ms | {a.cell} (window {a.window}) ms | speed-up | "
          f"lstm GFLOP/s | qrnn GFLOP/s |{extra}")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |" + (" --- | --- |" if a.torch else ""))
    for mode in ("infer", "train"):
        for T in (100, 500):
            for B in (8, 32):
                for threads in (1, 2):
                    lstm = bench(a.build, "lstm", [], mode, T, B, threads, a.reps)
                    qrnn = bench(a.build, a.cell, opts, mode, T, B, threads, a.reps)
                    cols = ""
                    if torch_ms:
                        t, _ = torch_ms("lstm", T, B, 320, 320, 1, False, mode, a.reps, threads)
                        cols = f" {t:.2f} | {t / qrnn['median_ms']:.2f} |"
                    print(f"| {mode} | {T} | {B} | {threads} | {lstm['median_ms']:.2f} | {qrnn['median_ms']:.2f} | "
                          f"{lstm['median_ms'] / qrnn['median_ms']:.2f} | {lstm['gflops']:.1f} | "
                          f"{qrnn['gflops']:.1f} |{cols}", flush=True)


if __name__ == "__main__":
    main()
