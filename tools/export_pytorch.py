#!/usr/bin/env python3
"""Save a PyTorch recurrent network, or a whole model around one, as a recur-ready safetensors file.

From Python:

    import torch
    from export_pytorch import export          # this file, tools/export_pytorch.py
    export(model, "model.safetensors")         # a module, or a plain state_dict

From the shell, for a module saved whole with torch.save(model, "model.pt"), or a state_dict
saved with torch.save(model.state_dict(), "weights.pt"):

    python3 tools/export_pytorch.py model.pt model.safetensors [--attr encoder]

What is written:

- An nn.LSTM / nn.GRU / nn.RNN (or pytorch-qrnn QRNN), alone or chosen inside a model with
  attr="encoder": the network, under PyTorch's own names (weight_ih_l0, ...), with what the
  shapes cannot tell recur in the metadata: the cell ("lstm", "gru", "rnn_tanh" or "rnn_relu")
  and whether the module was batch_first.  recur run gives its output and final states.
- A whole model: a module holding an optional nn.Embedding, one recurrent module and an
  nn.Linear head, in that order (a custom module with named submodules, or an nn.Sequential;
  nn.Dropout and nn.Identity are allowed anywhere, being the identity in evaluation).  It runs
  as forward(x) = head(rnn(embed(x))[0]): the head at every step.  recur run reads token ids
  [T, B] (features [T, B, I] without an embedding) and writes the head's logits; the file is a
  recur model file (task lm with an embedding, tag without), so the C model API streams it.
  Any other layer (a LayerNorm, a ReLU, a second Linear, a Linear before the network, an
  Embedding with max_norm) is refused, named: nothing is dropped silently.  Export the
  network alone with attr when that is what you want.
- A state_dict: the same, told apart by names and shapes: the recurrent module's tensors
  (weight_ih_l0, ...), an embedding (a single 2-D weight before them, as wide as the network's
  input) and a head (weight [n, D*H_out] and bias after them).  LSTM, GRU and RNN are told
  apart by their gate count; pass cell="rnn_relu" (--cell rnn_relu) for nn.RNN with relu, and
  batch_first=True (--batch-first) when the module was.  Anything else is refused, named.

Then:

    build/recur info model.safetensors
    build/recur run model.safetensors input.safetensors -o out.safetensors

pytorch-qrnn's QRNN (torchqrnn.QRNN, or any module with its layout: .layers, each with
.linear, .window, .output_gate, .zoneout, .hidden_size) becomes recur's qrnn_fo (qrnn_f
without the output gate): layers.{k}.linear.weight/bias are written as weight_ih_l{k} and
bias_ih_l{k}, with the rows of its F negated (pytorch-qrnn's F weighs the candidate, F z +
(1 - F) c, so it is 1 - f of the paper's forget gate f, which recur keeps; sigmoid(-a) =
1 - sigmoid(a)), and the sizes and the window in the metadata.  Its hidden state is recur's
state c (c0, c_n in `recur run`).  Every layer must have the same window and zoneout
(recur's option zoneout: in evaluation pytorch-qrnn's F (1 - zoneout), the same).
Needs torch and safetensors (pip install safetensors).
"""
import argparse
import sys

import torch
from safetensors.torch import save_file


def is_qrnn(module):
    """pytorch-qrnn's QRNN, by its layout."""
    layers = getattr(module, "layers", None)
    return isinstance(layers, torch.nn.ModuleList) and len(layers) > 0 and all(
        all(hasattr(layer, a) for a in ("linear", "window", "output_gate", "zoneout", "hidden_size"))
        for layer in layers)


def is_recurrent(module):
    return isinstance(module, torch.nn.RNNBase) or is_qrnn(module)


def find_rnn(model, attr=None):
    """The nn.RNN / nn.LSTM / nn.GRU (or pytorch-qrnn QRNN) to export: model itself, the
    submodule named attr, or the only recurrent submodule."""
    if attr:
        module = model
        for part in attr.split("."):
            module = getattr(module, part)
        if not is_recurrent(module):
            raise ValueError(f"{attr} is a {type(module).__name__}, not an nn.RNN/LSTM/GRU or a QRNN")
        return module
    if is_recurrent(model):
        return model
    found = [(n, m) for n, m in model.named_modules() if is_recurrent(m)]
    if not found:
        raise ValueError("the model holds no nn.RNN, nn.LSTM, nn.GRU or QRNN")
    if len(found) > 1:
        names = ", ".join(n for n, _ in found)
        raise ValueError(f"the model holds several recurrent modules ({names}); choose one with attr")
    return found[0][1]


def qrnn_tensors(qrnn):
    """recur's metadata and tensors for a pytorch-qrnn QRNN."""
    layers = list(qrnn.layers)
    first = layers[0]
    windows = {layer.window for layer in layers}
    gates = {layer.output_gate for layer in layers}
    zoneouts = {float(layer.zoneout or 0) for layer in layers}
    if len(windows) > 1 or len(gates) > 1 or len(zoneouts) > 1:
        raise ValueError(f"the QRNN's layers differ in window ({sorted(windows)}), zoneout ({sorted(zoneouts)}) "
                         "or output gate; recur's layers share one cell and its options")
    H, k = first.linear.weight.shape[0] // (3 if first.output_gate else 2), first.window
    if any(layer.linear.weight.shape[0] != first.linear.weight.shape[0] for layer in layers):
        raise ValueError("the QRNN's layers have different hidden sizes; recur's layers share one")
    metadata = {"cell": "qrnn_fo" if first.output_gate else "qrnn_f", "cell.window": str(k),
                "cell.zoneout": repr(zoneouts.pop()),
                "input_size": str(first.linear.weight.shape[1] // k), "hidden_size": str(H),
                "num_layers": str(len(layers)), "bias": "1", "bidirectional": "0"}
    tensors = {}
    for i, layer in enumerate(layers):
        w = layer.linear.weight.detach().to(torch.float32).clone()
        b = layer.linear.bias.detach().to(torch.float32).clone()
        w[H:2 * H] *= -1  # F = 1 - f: the forget gate's pre-activation is F's negated
        b[H:2 * H] *= -1
        tensors[f"weight_ih_l{i}"], tensors[f"bias_ih_l{i}"] = w.contiguous(), b.contiguous()
    return metadata, tensors


def rnn_tensors(rnn):
    """recur's metadata and tensors for an nn.RNN / nn.LSTM / nn.GRU or a QRNN."""
    if is_qrnn(rnn):
        metadata, tensors = qrnn_tensors(rnn)
        metadata["batch_first"] = "0"
        return metadata, tensors
    if isinstance(rnn, torch.nn.LSTM):
        cell = "lstm"
    elif isinstance(rnn, torch.nn.GRU):
        cell = "gru"
    else:
        cell = "rnn_relu" if rnn.nonlinearity == "relu" else "rnn_tanh"
    metadata = {"cell": cell, "batch_first": "1" if rnn.batch_first else "0"}
    return metadata, {k: tensor(v) for k, v in rnn.state_dict().items()}


def tensor(v):
    return v.detach().to(torch.float32).contiguous().cpu()


PASSIVE = (torch.nn.Dropout, torch.nn.Identity)  # the identity in evaluation


def parts(model, prefix=""):
    """The model's units in registration order: (name, module) for each recurrent module
    (taken whole) and each leaf."""
    children = list(model.named_children())
    if is_recurrent(model) or not children:
        return [(prefix or type(model).__name__, model)]
    found = []
    for name, child in children:
        found += parts(child, f"{prefix}.{name}" if prefix else name)
    return found


def refuse(name, what, why):
    raise ValueError(f"cannot export {name} ({what}): {why}; recur's whole models hold an optional "
                     "nn.Embedding, one recurrent module and an nn.Linear head, in that order (export the "
                     "network alone with attr=NAME / --attr NAME)")


def whole_model(model):
    """(embedding or None, rnn, head or None) of a module, or ValueError naming what cannot be exported."""
    embed = rnn = head = None
    for name, m in parts(model):
        if is_recurrent(m):
            if rnn is not None:
                raise ValueError(f"the model holds several recurrent modules ({rnn[0]}, {name}); choose one "
                                 "with attr=NAME / --attr NAME (it is exported alone)")
            rnn = (name, m)
        elif isinstance(m, PASSIVE):
            continue
        elif isinstance(m, torch.nn.Embedding) and rnn is None and embed is None:
            if m.max_norm is not None:
                refuse(name, "nn.Embedding with max_norm", "it renormalises rows as it reads them")
            embed = (name, m)
        elif isinstance(m, torch.nn.Linear) and rnn is not None and head is None:
            head = (name, m)
        elif isinstance(m, (torch.nn.Embedding, torch.nn.Linear)):
            where = "before" if rnn is None else "after"
            refuse(name, type(m).__name__, f"a second one, or one {where} the recurrent module")
        else:
            refuse(name, type(m).__name__, "not a layer recur's models have")
    if rnn is None:
        raise ValueError("the model holds no nn.RNN, nn.LSTM, nn.GRU or QRNN")
    if embed is not None and head is None:
        raise ValueError(f"the model has an embedding ({embed[0]}) but no nn.Linear head after {rnn[0]}; "
                         "recur's models end in an output layer (export the network alone with attr)")
    return embed, rnn, head


def model_file(rnn_meta, rnn_t, embed_w, head_w, head_b, rnn_name):
    """The metadata and tensors of a recur model file: embed.weight, rnn.*, head.*."""
    first = rnn_t["weight_ih_l0"]
    input_size = int(rnn_meta.get("input_size", 0)) or first.shape[1]
    layers = 1 + max(int(k[len("weight_ih_l"):].removesuffix("_reverse")) for k in rnn_t if k.startswith("weight_ih_l"))
    directions = 2 if "weight_ih_l0_reverse" in rnn_t else 1
    hh = rnn_t.get(f"weight_hh_l{layers - 1}")  # [gates * H, H_out]; a QRNN has none
    out = hh.shape[1] if hh is not None else int(rnn_meta["hidden_size"])
    if embed_w is not None and embed_w.shape[1] != input_size:
        raise ValueError(f"the embedding is {embed_w.shape[1]} wide but {rnn_name} reads {input_size} features")
    if head_w.shape[1] != directions * out:
        raise ValueError(f"the head reads {head_w.shape[1]} features but {rnn_name} gives {directions * out} "
                         "per step")
    metadata = dict(rnn_meta)
    metadata.update({"task": "lm" if embed_w is not None else "tag", "n_out": str(head_w.shape[0])})
    tensors = {f"rnn.{k}": v for k, v in rnn_t.items()}
    if embed_w is not None:
        tensors["embed.weight"] = embed_w
        if embed_w.shape[0] != head_w.shape[0]:
            metadata["model_vocab_size"] = str(embed_w.shape[0])
    tensors["head.weight"] = head_w
    tensors["head.bias"] = head_b if head_b is not None else torch.zeros(head_w.shape[0])
    return metadata, tensors


def from_state_dict(sd, cell=None, batch_first=None):
    """(metadata, tensors) for a state_dict: a bare network or a whole model."""
    sd = {k: v for k, v in sd.items() if torch.is_tensor(v)}
    keys = list(sd)
    roots = sorted({k[:-len("weight_ih_l0")] for k in keys if k.endswith("weight_ih_l0")})
    if not roots:
        raise ValueError("the state_dict holds no recurrent weights (no key ends in weight_ih_l0)")
    if len(roots) > 1:
        raise ValueError(f"the state_dict holds several recurrent modules ({', '.join(r or '(top)' for r in roots)})")
    root = roots[0]
    rnn_keys = [k for k in keys if k.startswith(root) and is_layer_tensor(k[len(root):])]
    rnn_t = {k[len(root):]: tensor(sd[k]) for k in rnn_keys}
    H = rnn_t["weight_hh_l0"].shape[1] if "weight_hr_l0" not in rnn_t else rnn_t["weight_hr_l0"].shape[1]
    gates = rnn_t["weight_ih_l0"].shape[0] // H
    inferred = {4: "lstm", 3: "gru", 1: "rnn_tanh"}.get(gates)
    if cell is None:
        if inferred is None:
            raise ValueError(f"weight_ih_l0 has {rnn_t['weight_ih_l0'].shape[0]} rows for hidden size {H}: "
                             "not an LSTM, GRU or RNN")
        cell = inferred
    metadata = {"cell": cell}
    if batch_first is not None:
        metadata["batch_first"] = "1" if batch_first else "0"
    first, last = keys.index(rnn_keys[0]), keys.index(rnn_keys[-1])
    groups = {}
    for i, k in enumerate(keys):
        if k in rnn_keys:
            continue
        module, _, leaf = k.rpartition(".")
        groups.setdefault(module, {})[leaf] = (i, sd[k])
    embed_w = head_w = head_b = None
    for module, ts in groups.items():
        at = min(i for i, _ in ts.values())
        name = module or "(top level)"
        shapes = ", ".join(f"{leaf} {list(v.shape)}" for leaf, (_, v) in ts.items())
        if set(ts) == {"weight"} and ts["weight"][1].dim() == 2 and at < first and embed_w is None:
            embed_w = tensor(ts["weight"][1])
        elif set(ts) <= {"weight", "bias"} and "weight" in ts and ts["weight"][1].dim() == 2 and at > last \
                and head_w is None:
            head_w = tensor(ts["weight"][1])
            head_b = tensor(ts["bias"][1]) if "bias" in ts else None
        else:
            refuse(name, shapes, "neither an embedding before the recurrent weights nor a linear head after them")
    if head_w is None:
        if embed_w is not None:
            raise ValueError("the state_dict has an embedding but no linear head after the recurrent weights")
        return metadata, rnn_t
    return model_file(metadata, rnn_t, embed_w, head_w, head_b, root.rstrip(".") or "the network")


def is_layer_tensor(name):
    """PyTorch's names for an RNN's per-layer tensors: weight_ih_l0, bias_hh_l1_reverse, ..."""
    base, _, rest = name.partition("_l")
    return base in ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hr") and \
        rest.removesuffix("_reverse").isdigit()


def export(model, path, attr=None, cell=None, batch_first=None):
    """Writes model (a module or a state_dict) to path; returns the metadata written.
    attr: export only that recurrent submodule.  cell, batch_first: for a state_dict, what
    its tensors cannot tell."""
    if isinstance(model, dict):
        metadata, tensors = from_state_dict(model, cell, batch_first)
    elif attr or is_recurrent(model):
        metadata, tensors = rnn_tensors(find_rnn(model, attr))
    else:
        embed, (rnn_name, rnn), head = whole_model(model)
        metadata, tensors = rnn_tensors(rnn)
        if head is not None:
            bf = metadata["batch_first"]
            metadata, tensors = model_file(metadata, tensors, tensor(embed[1].weight) if embed else None,
                                           tensor(head[1].weight),
                                           tensor(head[1].bias) if head[1].bias is not None else None, rnn_name)
            metadata["batch_first"] = bf
    metadata["format"] = f"torch {torch.__version__} via tools/export_pytorch.py"
    save_file(tensors, path, metadata=metadata)
    return metadata


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("module", help="a file written by torch.save(model, ...) or torch.save(state_dict, ...)")
    parser.add_argument("output", help="the safetensors file to write")
    parser.add_argument("--attr", help="dotted name of the recurrent submodule to export alone")
    parser.add_argument("--cell", choices=["lstm", "gru", "rnn_tanh", "rnn_relu"],
                        help="a state_dict's cell, when its shapes cannot tell (rnn_relu)")
    parser.add_argument("--batch-first", action="store_true", help="a state_dict's module was batch_first")
    args = parser.parse_args(argv)
    try:
        try:
            model = torch.load(args.module, map_location="cpu", weights_only=False)
        except TypeError:  # torch before 1.13 has no weights_only
            model = torch.load(args.module, map_location="cpu")
    except (AttributeError, ModuleNotFoundError) as e:
        sys.exit(f"export_pytorch: {args.module}: torch.load cannot rebuild the module without its class ({e}); "
                 "call export() from Python where the class is defined, or save the state_dict instead")
    if isinstance(model, dict) and args.attr:
        sys.exit("export_pytorch: --attr picks a submodule of a module; a state_dict has none")
    try:
        meta = export(model, args.output, args.attr, args.cell, True if args.batch_first else None)
    except (ValueError, AttributeError) as e:
        sys.exit(f"export_pytorch: {e}")
    what = f"a whole model (task {meta['task']}, {meta['n_out']} outputs)" if "task" in meta else "a network"
    print(f"wrote {args.output}: {what}, {meta['cell']}{', batch_first' if meta.get('batch_first') == '1' else ''}")


if __name__ == "__main__":
    main()
