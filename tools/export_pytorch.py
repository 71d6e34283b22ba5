#!/usr/bin/env python3
"""Save a PyTorch recurrent network as a recur-ready safetensors file.

From Python:

    import torch
    from export_pytorch import export          # this file, tools/export_pytorch.py
    model = MyModel()                          # an nn.LSTM / nn.GRU / nn.RNN, or a model holding one
    export(model, "model.safetensors")         # the first RNN inside, or pick one: attr="encoder"

From the shell, for a module saved whole with torch.save(model, "model.pt"):

    python3 tools/export_pytorch.py model.pt model.safetensors [--attr encoder]

The file holds the RNN's state_dict under PyTorch's own names (weight_ih_l0, ...) and, in
its metadata, what the tensor shapes cannot tell recur: the cell ("lstm", "gru",
"rnn_tanh" or "rnn_relu") and whether the module was batch_first. Then:

    build/recur info model.safetensors
    build/recur run model.safetensors input.safetensors -o out.safetensors [--batch-first]

A plain safetensors.torch.save_file(rnn.state_dict(), path) also loads in recur: LSTM and
GRU are told apart by their gate count, and for nn.RNN with relu pass --cell rnn_relu.

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


def export(model, path, attr=None):
    """Writes the recurrent module of model to path; returns the metadata written."""
    rnn = find_rnn(model, attr)
    if is_qrnn(rnn):
        metadata, tensors = qrnn_tensors(rnn)
        metadata.update({"batch_first": "0", "format": f"torch {torch.__version__} via tools/export_pytorch.py"})
        save_file(tensors, path, metadata=metadata)
        return metadata
    if isinstance(rnn, torch.nn.LSTM):
        cell = "lstm"
    elif isinstance(rnn, torch.nn.GRU):
        cell = "gru"
    else:
        cell = "rnn_relu" if rnn.nonlinearity == "relu" else "rnn_tanh"
    metadata = {"cell": cell, "batch_first": "1" if rnn.batch_first else "0",
                "format": f"torch {torch.__version__} via tools/export_pytorch.py"}
    tensors = {k: v.detach().to(torch.float32).contiguous().cpu() for k, v in rnn.state_dict().items()}
    save_file(tensors, path, metadata=metadata)
    return metadata


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("module", help="a file written by torch.save(model, ...)")
    parser.add_argument("output", help="the safetensors file to write")
    parser.add_argument("--attr", help="dotted name of the recurrent submodule to export")
    args = parser.parse_args(argv)
    try:
        model = torch.load(args.module, map_location="cpu", weights_only=False)
    except TypeError:  # torch before 1.13 has no weights_only
        model = torch.load(args.module, map_location="cpu")
    if isinstance(model, dict):
        sys.exit(f"{args.module} holds a state_dict, not a module: save it directly with "
                 "safetensors.torch.save_file(state_dict, path) and pass --cell to recur if needed")
    try:
        meta = export(model, args.output, args.attr)
    except (ValueError, AttributeError) as e:
        sys.exit(f"export_pytorch: {e}")
    print(f"wrote {args.output} ({meta['cell']}{', batch_first' if meta['batch_first'] == '1' else ''})")


if __name__ == "__main__":
    main()
