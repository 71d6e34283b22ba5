"""heads.py MODEL OUT.png [--length L] [--seed S] — what a trained NTM's heads do on one copy.

Runs the model (a `recur train --task copy --cell ntm` run folder or model file)
step by step on one sequence of L random 8-bit vectors (seed S), reading its
`weightings` state after every step, and draws them as the paper's Figure 6
does: time left to right, memory locations top to bottom, black where a head's
weight is 1 — the write head above, the read head below, the locations either
used (weight above 0.01 at some step) framed by a few more (all of them when
no weight reaches 0.01).  Prints the copy's bit errors and at how many
steps each head's focus (its largest weight, above 0.5) moved on one row:
the write head's over the input, the read head's over the output.  Needs
python/recur.py (numpy) and the library it loads."""
import argparse
import os
import struct
import sys
import zlib

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))
import recur  # noqa: E402


def png(path, pixels):
    """Writes an 8-bit greyscale PNG of pixels [H, W] (0 black, 255 white)."""
    h, w = pixels.shape
    raw = b"".join(b"\x00" + bytes(row) for row in pixels.astype(np.uint8))

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)) +
                chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model")
    ap.add_argument("out")
    ap.add_argument("--length", type=int, default=30)
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args()
    m = recur.Model(a.model)
    if "weightings" not in m.state_names or m.input_size != m.n_out + 1:
        sys.exit(f"heads.py: {a.model} is not an NTM trained on copy (states {m.state_names})")
    bits, L = m.n_out, a.length
    rng = np.random.default_rng(a.seed)
    seq = rng.integers(0, 2, (L, bits)).astype(np.float32)
    x = np.zeros((2 * L + 1, 1, bits + 1), np.float32)
    x[:L, 0, :bits] = seq
    x[L, 0, bits] = 1.0
    stream, ws, outs = m.stream(), [], []
    for t in range(2 * L + 1):
        outs.append(stream.step(x[t:t + 1])[0, 0])
        ws.append(stream.states["weightings"].reshape(-1))
    ws = np.array(ws)  # [T, (R + V) N]: the read heads', then the write heads'
    N = ws.shape[1] // 2
    if ws.shape[1] != 2 * N:
        sys.exit("heads.py: draws one read and one write head")
    read, write = ws[:, :N].T, ws[:, N:].T  # [N, T]
    used = np.nonzero(np.maximum(read, write).max(axis=1) > 0.01)[0]
    lo, hi = (max(int(used.min()) - 3, 0), min(int(used.max()) + 4, N)) if used.size else (0, N)
    errors = int(((np.array(outs[L + 1:]) > 0) != (seq > 0.5)).sum())
    # how far each head's focus (its largest weight, where that is above 0.5) moves on a row a step:
    # the write head over the L input steps, the read head over the L output steps
    def walked(w, steps):
        top = [int(np.argmax(w[:, t])) if w[:, t].max() > 0.5 else -1 for t in steps]
        return sum(1 for a, b in zip(top, top[1:]) if a >= 0 and b == (a + 1) % N)
    wrote, read_on = walked(write, range(L)), walked(read, range(L, 2 * L + 1))
    cell, gap = 6, 12
    rows = hi - lo
    img = np.full((2 * rows * cell + gap, (2 * L + 1) * cell), 255, np.uint8)
    for k, w in enumerate((write, read)):
        block = np.kron(255 * (1 - np.clip(w[lo:hi], 0, 1)), np.ones((cell, cell)))
        img[k * (rows * cell + gap):k * (rows * cell + gap) + rows * cell] = block
    img[rows * cell:rows * cell + gap] = 200
    png(a.out, img)
    print(f"{a.out}: length {L}, seed {a.seed}: {errors} bit errors; the write focus moved on a row at "
          f"{wrote} of {L - 1} input steps, the read focus at {read_on} of {L} output steps; locations "
          f"{lo}..{hi - 1} of {N} shown, write head above, read head below")


if __name__ == "__main__":
    main()
