#!/usr/bin/env python3
"""python/recur.py (ctypes over librecur.so) against PyTorch's numbers and recur's own
command line, with numpy alone:

  - networks: the committed PyTorch fixtures (tests/ref/*.data.safetensors hold PyTorch's
    outputs and final states for their inputs, initial states and lengths);
  - streams: step by step equals the whole sequence, and set_state continues a sequence;
  - whole models: a tag model written with save_file (a fixture's LSTM plus a head) equals
    the network's output through the head, computed in numpy; an lm trained by `recur train`
    gives what `recur run` writes, and streamed in pieces what one call gives;
  - errors: bad files, shapes, ids and states raise recur.Error naming the problem.

    python3 tests/python_api.py BUILD_DIR        # needs numpy

Ends with "N passed, N failed"."""
import os
import subprocess
import sys
import tempfile

import numpy as np

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "python"))
build = sys.argv[1] if len(sys.argv) > 1 else "build"
os.environ.setdefault("RECUR_LIB", os.path.join(build, "librecur.so"))
import recur  # noqa: E402

ref = os.path.join(here, "ref")
passed = failed = 0


def check(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print(f"FAIL python-api: {name}{': ' + detail if detail else ''}")


def close(a, b, tol=2e-5):
    return a.shape == b.shape and float(np.max(np.abs(a - b))) <= tol


def raises(fn, text):
    try:
        fn()
    except recur.Error as e:
        return text in str(e), str(e)
    return False, "no error"


def fixtures():
    for name, batch_first in [("lstm_proj_l2_bi_lengths_h0c0", False), ("gru_l2_bi_lengths_h0_batch_first", True),
                              ("lstm_peephole_l1_lengths_h0c0", False), ("gru_l1", False)]:
        t, _ = recur.load_file(os.path.join(ref, f"{name}.data.safetensors"))
        net = recur.Network(os.path.join(ref, f"{name}.model.safetensors"), batch_first=batch_first or None)
        states = {n: t[f"{n}0"] for n in net.state_names if f"{n}0" in t}
        y, fin = net.run(t["input"], states, t.get("lengths"))
        ok = close(y, t["output"]) and all(close(fin[n], t[f"{n}_n"]) for n in net.state_names)
        check(f"Network.run equals PyTorch: {name}", ok)


def streams():
    t, _ = recur.load_file(os.path.join(ref, "lstm_l1_h0c0.data.safetensors"))
    net = recur.Network(os.path.join(ref, "lstm_l1_h0c0.model.safetensors"))
    x = t["input"]
    T, B = x.shape[:2]
    whole, fin = net.run(x, {"h": t["h0"], "c": t["c0"]})
    s = net.stream(batch=B)
    s.set_state("h", t["h0"])
    s.set_state("c", t["c0"])
    steps = np.concatenate([np.stack([s.step(x[i]) for i in range(3)]), s.step(x[3:])])
    check("a stream from h0 and c0, 3 single steps then a chunk, equals one run", close(steps, whole, 1e-6))
    check("the stream's final states equal the run's", close(s.state("h"), fin["h"], 1e-6) and
          close(s.state("c"), fin["c"], 1e-6))
    s.reset()
    cold = s.step(x[0])
    check("reset starts from zeros (the first step differs from one started from h0)",
          float(np.max(np.abs(cold - steps[0]))) > 1e-4)
    ok, got = raises(lambda: s.step(x[0, :1]), "the stream takes [3, I]")
    check("a step with the wrong batch is refused", ok, got)
    ok, got = raises(lambda: s.set_state("h", np.zeros((2, 2, 2))), "set_state: h has shape")
    check("a state of the wrong shape is refused", ok, got)


def tag_model(tmp):
    """A model file written from Python: a fixture's LSTM plus a head, task tag."""
    t, _ = recur.load_file(os.path.join(ref, "lstm_proj_l2_bi_lengths_h0c0.data.safetensors"))
    w, meta = recur.load_file(os.path.join(ref, "lstm_proj_l2_bi_lengths_h0c0.model.safetensors"))
    net = recur.Network(os.path.join(ref, "lstm_proj_l2_bi_lengths_h0c0.model.safetensors"))
    rng = np.random.default_rng(5)
    head_w, head_b = rng.standard_normal((6, net.output_size)), rng.standard_normal(6)
    path = os.path.join(tmp, "tag.safetensors")
    tensors = {f"rnn.{k}": v for k, v in w.items()}
    tensors.update({"head.weight": head_w, "head.bias": head_b})
    recur.save_file(path, tensors, {"task": "tag", "n_out": 6, "cell": "lstm"})
    model = recur.Model(path)
    check("a tag model written with save_file loads", model.task == "tag" and model.n_out == 6 and
          model.state_names == ["h", "c"])
    y, _ = net.run(t["input"], {"h": t["h0"], "c": t["c0"]}, t["lengths"])
    logits, fin = model.run(t["input"], {"h": t["h0"], "c": t["c0"]}, t["lengths"])
    want = y @ head_w.T.astype(np.float32) + head_b.astype(np.float32)
    check("Model.run of a tag model = the network's output through its head (numpy)", close(logits, want),
          f"{np.max(np.abs(logits - want)) if logits.shape == want.shape else logits.shape}")
    check("... and its final states are PyTorch's", close(fin["h"], t["h_n"]) and close(fin["c"], t["c_n"]))
    ok, got = raises(lambda: model.run(t["input"][:, :, :2]), "this tag model takes features [T, B, 3]")
    check("features of the wrong width are refused", ok, got)
    ok, got = raises(lambda: model.run(t["input"], {"memory": t["h0"]}), "unknown state ['memory']")
    check("an unknown state is refused", ok, got)


def trained_lm(tmp):
    recur_bin = os.path.join(build, "recur")
    text = os.path.join(tmp, "text.txt")
    with open(text, "w") as f:
        f.write("a stitch in time saves nine. " * 50)
    out = os.path.join(tmp, "run")
    r = subprocess.run([recur_bin, "train", "--task", "lm", "--data", text, "--hidden", "8", "--embed", "5",
                        "--layers", "2", "--steps", "20", "--batch", "4", "--bptt", "8", "--out", out],
                       capture_output=True, text=True)
    check("recur train makes an lm", r.returncode == 0, r.stderr.strip())
    if r.returncode:
        return
    model = recur.Model(out)  # the run folder
    rng = np.random.default_rng(7)
    ids = rng.integers(0, model.vocab_size, size=(10, 3))
    logits, fin = model.run(ids)
    recur.save_file(os.path.join(tmp, "ids.safetensors"), {"input": ids})
    r = subprocess.run([recur_bin, "run", out, os.path.join(tmp, "ids.safetensors"), "-o",
                        os.path.join(tmp, "logits.safetensors")], capture_output=True, text=True)
    got, _ = recur.load_file(os.path.join(tmp, "logits.safetensors")) if r.returncode == 0 else ({}, {})
    check("Model.run of a trained lm equals recur run's output and states",
          r.returncode == 0 and close(logits, got["output"], 1e-6) and close(fin["c"], got["c_n"], 1e-6),
          r.stderr.strip())
    stream = model.stream()
    pieces = np.concatenate([stream.step(ids[:4]), stream.step(ids[4:5]), stream.step(ids[5:])])
    check("a model streamed in pieces of 4, 1 and 5 steps equals one call", close(pieces, logits, 1e-5))
    stream.reset()
    check("a reset stream starts again", close(stream.step(ids[:4]), logits[:4], 1e-6))
    ok, got = raises(lambda: model.run(ids + model.vocab_size), f"token ids must hold integers in 0..{model.vocab_size - 1}")
    check("token ids past the vocabulary are refused", ok, got)
    ok, got = raises(lambda: model.run(ids.astype(np.float32) + 0.5), "token ids must hold integers")
    check("token ids that are not integers are refused", ok, got)
    ok, got = raises(lambda: model.run(ids[:, :, None]), "this lm model takes token ids [T, B]")
    check("features given to an lm are refused", ok, got)


def adding_model(tmp):
    """A regress model (recur train --task adding): one value per sequence, from each
    sequence's own last step."""
    out = os.path.join(tmp, "adding")
    r = subprocess.run([os.path.join(build, "recur"), "train", "--task", "adding", "--length", "10", "--hidden", "6",
                        "--steps", "5", "--train-size", "40", "--valid-size", "8", "--out", out],
                       capture_output=True, text=True)
    check("recur train makes an adding model", r.returncode == 0, r.stderr.strip())
    if r.returncode:
        return
    model = recur.Model(out)
    x = np.random.default_rng(3).random((10, 3, 2)).astype(np.float32)
    y, _ = model.run(x, lengths=[10, 7, 4])
    alone = [model.run(x[:n, b:b + 1])[0][0] for b, n in enumerate([10, 7, 4])]
    check("a regress model gives [B, 1], each from its sequence's own last step",
          model.task == "regress" and y.shape == (3, 1) and close(y, np.array(alone), 1e-6), str(y.shape))
    tensors, meta = recur.load_file(os.path.join(out, "model.safetensors"))
    meta["batch_first"] = "1"
    recur.save_file(os.path.join(tmp, "adding_bf.safetensors"), tensors, meta)
    yb, _ = recur.Model(os.path.join(tmp, "adding_bf.safetensors")).run(np.swapaxes(x, 0, 1), lengths=[10, 7, 4])
    check("a batch-first regress model still gives [B, 1]", yb.shape == (3, 1) and close(yb, y, 1e-6), str(yb.shape))


def pointer_model(tmp):
    """A Pointer Network (recur train --task tsp): decode() gives tours, greedily and by beam search,
    each example by its own number of points."""
    out = os.path.join(tmp, "tsp")
    r = subprocess.run([os.path.join(build, "recur"), "train", "--task", "tsp", "--length", "4-6", "--hidden", "8",
                        "--steps", "5", "--train-size", "40", "--valid-size", "8", "--out", out],
                       capture_output=True, text=True)
    check("recur train makes a tsp model", r.returncode == 0, r.stderr.strip())
    if r.returncode:
        return
    model = recur.Model(out)
    x = np.random.default_rng(4).random((6, 3, 2)).astype(np.float32)
    for beam in (1, 3):
        tours = model.decode(x, lengths=[6, 4, 5], beam=beam, tours=True)
        alone = [model.decode(x[:n, b:b + 1], beam=beam, tours=True)[0] for b, n in enumerate([6, 4, 5])]
        check(f"decode(beam={beam}, tours=True): a tour of each example's own points, as it decodes alone",
              [sorted(t) for t in tours] == [list(range(n)) for n in (6, 4, 5)] and tours == alone, str(tours))
    answers = model.decode(x)
    check("decode without tours: answers of indices of the points", len(answers) == 3 and
          all(0 <= i < 6 for a in answers for i in a), str(answers))
    ok, got = raises(lambda: model.run(x), "use decode(points)")
    check("run() on a pointer model points to decode()", ok, got)
    ok, got = raises(lambda: model.decode(x[:, :, :1]), "this model takes [n, B, 2]")
    check("points of the wrong width are refused", ok, got)


def errors(tmp):
    ok, got = raises(lambda: recur.Network(os.path.join(tmp, "nope.safetensors")), "cannot open")
    check("a missing file is refused, named", ok, got)
    bogus = os.path.join(tmp, "bogus.safetensors")
    with open(bogus, "wb") as f:
        f.write(b"PK\x03\x04 this is a zip archive, as torch.save writes")
    ok, got = raises(lambda: recur.Model(bogus), "not a safetensors file")
    check("a torch.save archive is named as not safetensors", ok, got)
    ok, got = raises(lambda: recur.Model(os.path.join(ref, "gru_l1.model.safetensors")), "not a recur model file")
    check("a bare network loaded as a model is refused, named", ok, got)
    ok, got = raises(lambda: recur.Network(os.path.join(ref, "gru_l1.model.safetensors"), cell="tree"),
                     "unknown cell 'tree'")
    check("an unknown cell is refused", ok, got)


with tempfile.TemporaryDirectory() as tmp:
    fixtures()
    streams()
    tag_model(tmp)
    trained_lm(tmp)
    adding_model(tmp)
    pointer_model(tmp)
    errors(tmp)
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
