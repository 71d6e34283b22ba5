"""recur from Python, through ctypes: no compiled extension, only librecur.so and numpy.

For people who train in PyTorch and serve in C: export the model with
tools/export_pytorch.py (or train it with `recur train`), then load and run it from numpy
arrays, or stream it a step at a time, with the same library the C programs use:

    import numpy as np
    import recur                                   # python/recur.py; finds build/librecur.so

    net = recur.Network("lstm.safetensors")        # an nn.LSTM/GRU/RNN, or recur's network
    y, states = net.run(x)                         # x [T, B, I] float32 -> y [T, B, D*H_out],
                                                   # states {"h": [L*D, B, H_out], "c": ...}
    stream = net.stream(batch=1)                   # one step (or a chunk) at a time
    y_t = stream.step(x_t)                         # x_t [B, I] or [n, B, I]

    model = recur.Model("model.safetensors")       # a whole model, or a `recur train` run folder
    logits, states = model.run(ids)                # ids [T, B] integers (features [T, B, I]
                                                   # for a model without an embedding)
    stream = model.stream()                        # carries the states from call to call
    logits_t = stream.step(ids_t)                  # ids_t [n, B]

Layouts follow the file: a model exported from a batch_first module takes and gives
[B, T, ...].  Errors raise recur.Error with the library's message.  The library is found
at $RECUR_LIB, else beside this file in ../build/librecur.so, else on the loader's path.
"""
import ctypes
import ctypes.util
import os
import re

import numpy as np

__all__ = ["Error", "Network", "Model", "load_file", "save_file", "set_threads"]

MAX_DIMS = 4      # RC_MAX_DIMS
MAX_STATES = 8    # at least RC_MODEL_MAX_STATES
_f32p, _i32p = ctypes.POINTER(ctypes.c_float), ctypes.POINTER(ctypes.c_int32)


class Error(Exception):
    """A failure reported by the library (rc_last_error)."""


class _Tensor(ctypes.Structure):  # rc_tensor
    _fields_ = [("data", _f32p), ("grad", _f32p), ("shape", ctypes.c_size_t * MAX_DIMS), ("ndim", ctypes.c_int),
                ("size", ctypes.c_size_t), ("requires_grad", ctypes.c_int), ("owner", ctypes.c_int),
                ("node", ctypes.c_void_p)]


_TensorP = ctypes.POINTER(_Tensor)


class _RnnOptions(ctypes.Structure):  # rc_rnn_options
    _fields_ = [("h0", _TensorP), ("c0", _TensorP), ("lengths", _i32p), ("batch_first", ctypes.c_int),
                ("dropout_rng", ctypes.c_void_p), ("composed", ctypes.c_int),
                ("states0", ctypes.POINTER(_TensorP))]


class _Batch(ctypes.Structure):  # rc_batch
    _fields_ = [("T", ctypes.c_size_t), ("B", ctypes.c_size_t), ("tokens", _i32p), ("targets", _i32p),
                ("frames", _f32p), ("weights", _f32p), ("features", _f32p), ("samples", _f32p),
                ("classes", _i32p), ("lengths", _i32p), ("h0", _TensorP), ("c0", _TensorP),
                ("states0", ctypes.POINTER(_TensorP))]


def _find_library():
    here = os.path.dirname(os.path.abspath(__file__))
    for path in (os.environ.get("RECUR_LIB"), os.path.join(here, "..", "build", "librecur.so"),
                 ctypes.util.find_library("recur")):
        if path and (os.path.exists(path) or not os.path.dirname(path)):
            return path
    raise OSError("librecur.so not found: build it (make) or set RECUR_LIB to its path")


_lib = None


def _library():
    global _lib
    if _lib is not None:
        return _lib
    lib = ctypes.CDLL(_find_library())
    vp, sz, i32, s = ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_char_p
    for name, res, args in [
        ("rc_last_error", s, []), ("rc_set_num_threads", i32, [i32]), ("rc_cell_from_name", i32, [s]),
        ("rc_tensor_new", _TensorP, [i32, ctypes.POINTER(sz)]), ("rc_tensor_free", None, [_TensorP]),
        ("rc_tape_new", vp, []), ("rc_tape_free", None, [vp]), ("rc_tape_set_grad_enabled", i32, [vp, i32]),
        ("rc_safetensors_load", vp, [s]), ("rc_safetensors_free", None, [vp]),
        ("rc_safetensors_count", sz, [vp]), ("rc_safetensors_name", s, [vp, sz]),
        ("rc_safetensors_tensor", _TensorP, [vp, s]), ("rc_safetensors_metadata", s, [vp, s]),
        ("rc_safetensors_metadata_count", sz, [vp]), ("rc_safetensors_metadata_key", s, [vp, sz]),
        ("rc_safetensors_save", i32, [s, sz, ctypes.POINTER(s), ctypes.POINTER(_TensorP), sz,
                                      ctypes.POINTER(s), ctypes.POINTER(s)]),
        ("rc_rnn_load", vp, [s, i32]), ("rc_rnn_free", None, [vp]), ("rc_rnn_output_size", sz, [vp]),
        ("rc_rnn_input_size", sz, [vp]),
        ("rc_rnn_state_count", sz, [vp]), ("rc_rnn_state_name", s, [vp, sz]), ("rc_rnn_state_width", sz, [vp, sz]),
        ("rc_rnn_forward_states", _TensorP, [vp, vp, _TensorP, ctypes.POINTER(_RnnOptions),
                                             ctypes.POINTER(_TensorP)]),
        ("rc_rnn_stream_new", vp, [vp, sz, sz]), ("rc_rnn_stream_free", None, [vp]),
        ("rc_rnn_stream_reset", None, [vp]), ("rc_rnn_stream_run", i32, [vp, _f32p, sz, _f32p]),
        ("rc_rnn_stream_state", _f32p, [vp, sz]),
        ("rc_model_load", vp, [s, ctypes.POINTER(vp)]), ("rc_model_free", None, [vp]),
        ("rc_model_rnn", vp, [vp]), ("rc_model_state_count", sz, [vp]), ("rc_model_state_name", s, [vp, sz]),
        ("rc_model_state_shape", i32, [vp, sz, sz, ctypes.POINTER(sz)]),
        ("rc_model_forward", _TensorP, [vp, vp, ctypes.POINTER(_Batch), ctypes.POINTER(_TensorP)]),
        ("rc_pointer_decode", i32, [vp, ctypes.POINTER(_Batch), sz, i32, _i32p]),
    ]:
        fn = getattr(lib, name)
        fn.restype, fn.argtypes = res, args
    _lib = lib
    return lib


def _error(what=None):
    message = _library().rc_last_error().decode("utf-8", "replace")
    return Error(f"{what}: {message}" if what else message)


def _to_array(t):
    """A copy of an rc_tensor's values as a float32 array of its shape."""
    shape = tuple(t.contents.shape[d] for d in range(t.contents.ndim))
    return np.ctypeslib.as_array(t.contents.data, shape=(t.contents.size,)).reshape(shape).copy()


class _Owned:
    """Caller-owned rc_tensors made from numpy arrays, freed together."""

    def __init__(self):
        self.tensors = []

    def tensor(self, a, what):
        a = np.ascontiguousarray(a, dtype=np.float32)
        if a.ndim < 1 or a.ndim > MAX_DIMS or a.size == 0:
            raise Error(f"{what}: shape {list(a.shape)} is not a tensor recur takes (1 to {MAX_DIMS} "
                        "dimensions, none empty)")
        shape = (ctypes.c_size_t * a.ndim)(*a.shape)
        t = _library().rc_tensor_new(a.ndim, shape)
        if not t:
            raise _error(what)
        ctypes.memmove(t.contents.data, a.ctypes.data, a.nbytes)
        self.tensors.append(t)
        return t

    def free(self):
        for t in self.tensors:
            _library().rc_tensor_free(t)
        self.tensors = []


class _Tape:
    def __enter__(self):
        self.tp = _library().rc_tape_new()
        if not self.tp:
            raise _error("tape")
        _library().rc_tape_set_grad_enabled(self.tp, 0)
        return self.tp

    def __exit__(self, *exc):
        _library().rc_tape_free(self.tp)


def _ints(a, what, lo, hi):
    """a as int32, every value an integer in lo..hi."""
    a = np.asarray(a)
    if a.size and (not np.all(np.isfinite(a)) or np.any(a != np.round(a)) or a.min() < lo or a.max() > hi):
        raise Error(f"{what} must hold integers in {lo}..{hi}")
    return np.ascontiguousarray(a, dtype=np.int32)


def _metadata(st):
    """{key: value} of an open rc_safetensors."""
    lib = _library()
    keys = [lib.rc_safetensors_metadata_key(st, i) for i in range(lib.rc_safetensors_metadata_count(st))]
    return {k.decode(): lib.rc_safetensors_metadata(st, k).decode() for k in keys}


def _initial_states(owned, states, names, what):
    """The rc_tensor* array of initial states for names (NULL where not given), from {name: array}."""
    unknown = set(states or {}) - set(names)
    if unknown:
        raise Error(f"unknown state {sorted(unknown)}; this {what}'s are {names}")
    states = states or {}
    return (_TensorP * MAX_STATES)(*[owned.tensor(states[n], n) if n in states else None for n in names])


def set_threads(n):
    """The threads recur's kernels use (results are reproducible per thread count)."""
    if _library().rc_set_num_threads(int(n)):
        raise _error("set_threads")


def load_file(path):
    """(tensors {name: float32 array}, metadata {key: value}) of any safetensors file."""
    lib = _library()
    st = lib.rc_safetensors_load(os.fsencode(path))
    if not st:
        raise _error()
    try:
        tensors = {}
        for i in range(lib.rc_safetensors_count(st)):
            name = lib.rc_safetensors_name(st, i)
            t = lib.rc_safetensors_tensor(st, name)
            if not t:
                raise _error()
            tensors[name.decode()] = _to_array(t)
            lib.rc_tensor_free(t)
        return tensors, _metadata(st)
    finally:
        lib.rc_safetensors_free(st)


def save_file(path, tensors, metadata=None):
    """Writes {name: array} (as float32) and {key: value} metadata, whole or not at all."""
    owned = _Owned()
    try:
        names = list(tensors)
        ts = [owned.tensor(tensors[n], n) for n in names]
        keys, values = list((metadata or {}).keys()), [str(v) for v in (metadata or {}).values()]
        c_names = (ctypes.c_char_p * len(names))(*[n.encode() for n in names])
        c_ts = (_TensorP * len(ts))(*ts)
        c_keys = (ctypes.c_char_p * len(keys))(*[k.encode() for k in keys])
        c_values = (ctypes.c_char_p * len(values))(*[v.encode() for v in values])
        if _library().rc_safetensors_save(os.fsencode(path), len(names), c_names, c_ts, len(keys), c_keys, c_values):
            raise _error()
    finally:
        owned.free()


def load_file_metadata(path):
    """({name: shape}, metadata) of a safetensors file, without reading its tensors."""
    lib = _library()
    st = lib.rc_safetensors_load(os.fsencode(path))
    if not st:
        raise _error()
    try:
        names = [lib.rc_safetensors_name(st, i).decode() for i in range(lib.rc_safetensors_count(st))]
        return names, _metadata(st)
    finally:
        lib.rc_safetensors_free(st)


def _model_path(path):
    """A run folder's model.safetensors, or path itself."""
    inside = os.path.join(path, "model.safetensors")
    return inside if os.path.isdir(path) and os.path.exists(inside) else path


class Network:
    """A recurrent network: PyTorch's nn.LSTM/GRU/RNN exported (or a plain state_dict, with
    cell= when its shapes cannot tell), pytorch-qrnn's QRNN, or recur's own."""

    def __init__(self, path, cell=None, batch_first=None):
        """batch_first: for a file that does not record its layout (one that does is read
        its way; contradicting it is an error)."""
        lib = _library()
        c = -1
        if cell is not None:
            c = lib.rc_cell_from_name(cell.encode())
            if c < 0:
                raise Error(f"unknown cell '{cell}'")
        self._rnn = lib.rc_rnn_load(os.fsencode(path), c)
        if not self._rnn:
            raise _error()
        names, metadata = load_file_metadata(path)
        recorded = metadata.get("batch_first")
        self.batch_first = recorded in ("1", "true") if recorded is not None else bool(batch_first)
        if recorded is not None and batch_first is not None and bool(batch_first) != self.batch_first:
            self.close()
            raise Error(f"{path} records batch_first = {recorded}; batch_first={batch_first} contradicts it")
        self.layers = len({m.group(1) for m in map(re.compile(r"weight_ih_l(\d+)$").search, names) if m})
        self.input_size = lib.rc_rnn_input_size(self._rnn)
        self.output_size = lib.rc_rnn_output_size(self._rnn)
        self.state_names = [lib.rc_rnn_state_name(self._rnn, i).decode()
                            for i in range(lib.rc_rnn_state_count(self._rnn))]

    def close(self):
        if getattr(self, "_rnn", None):
            _library().rc_rnn_free(self._rnn)
            self._rnn = None

    def __del__(self):
        self.close()

    def run(self, x, states=None, lengths=None):
        """x [T, B, I] ([B, T, I] when the file says batch_first) -> (output, {name: final state}).
        states: {name: [L*D, B, n]} to start from (missing ones start where the cell starts
        them: zero but for the NTM); lengths [B]: packed sequences, as PyTorch's
        pack_padded_sequence."""
        owned = _Owned()
        try:
            s0 = _initial_states(owned, states, self.state_names, "network")
            xt = owned.tensor(x, "x")
            opts = _RnnOptions(states0=s0, batch_first=int(self.batch_first))
            if lengths is not None:
                steps = np.shape(x)[1 if self.batch_first else 0]
                lens = _ints(lengths, "lengths", 1, steps)
                opts.lengths = lens.ctypes.data_as(_i32p)
            fin = (_TensorP * MAX_STATES)()
            with _Tape() as tp:
                y = _library().rc_rnn_forward_states(tp, self._rnn, xt, ctypes.byref(opts), fin)
                if not y:
                    raise _error("run")
                return _to_array(y), {n: _to_array(fin[i]) for i, n in enumerate(self.state_names)}
        finally:
            owned.free()

    def stream(self, batch=1, max_steps=64):
        """A stream of `batch` sequences, run a step or a chunk at a time (unidirectional only)."""
        return NetworkStream(self, batch, max_steps)


class NetworkStream:
    """rc_rnn_stream: all memory allocated up front; results equal one whole-sequence run."""

    def __init__(self, net, batch, max_steps):
        self.net, self.batch = net, batch
        self._s = _library().rc_rnn_stream_new(net._rnn, batch, max_steps)
        if not self._s:
            raise _error("stream")

    def close(self):
        if getattr(self, "_s", None):
            _library().rc_rnn_stream_free(self._s)
            self._s = None

    def __del__(self):
        self.close()

    def reset(self):
        """Every state to zero: new sequences."""
        _library().rc_rnn_stream_reset(self._s)

    def step(self, x):
        """x [B, I] (one step) or [n, B, I] -> the output [B, H_out] or [n, B, H_out]."""
        x = np.ascontiguousarray(x, dtype=np.float32)
        one = x.ndim == 2
        xs = x[None] if one else x
        if xs.ndim != 3 or xs.shape[1] != self.batch:
            raise Error(f"step: x has shape {list(x.shape)}; the stream takes [{self.batch}, I] or "
                        f"[n, {self.batch}, I]")
        y = np.empty((xs.shape[0], self.batch, self.net.output_size), dtype=np.float32)
        if _library().rc_rnn_stream_run(self._s, xs.ctypes.data_as(_f32p), xs.shape[0], y.ctypes.data_as(_f32p)):
            raise _error("step")
        return y[0] if one else y

    def _state_view(self, name):
        if name not in self.net.state_names:
            raise Error(f"unknown state '{name}'; this network's are {self.net.state_names}")
        i = self.net.state_names.index(name)
        lib = _library()
        shape = (self.net.layers, self.batch, lib.rc_rnn_state_width(self.net._rnn, i))
        p = lib.rc_rnn_stream_state(self._s, i)
        return np.ctypeslib.as_array(p, shape=(shape[0] * shape[1] * shape[2],)).reshape(shape)

    def state(self, name):
        """The state named name, [L, B, n], as it stands (a copy)."""
        return self._state_view(name).copy()

    def set_state(self, name, value):
        """Continue from the given state [L, B, n] (e.g. a previous run's final one)."""
        view = self._state_view(name)
        value = np.asarray(value, dtype=np.float32)
        if value.shape != view.shape:
            raise Error(f"set_state: {name} has shape {list(view.shape)}, got {list(value.shape)}")
        view[...] = value


class Model:
    """A whole model: an exported PyTorch model (embedding or features, network, linear head)
    or one trained by `recur train` (a model file or its run folder)."""

    def __init__(self, path):
        lib = _library()
        path = _model_path(path)
        st = ctypes.c_void_p()
        self._m = lib.rc_model_load(os.fsencode(path), ctypes.byref(st))
        if not self._m:
            raise _error()
        try:
            self.metadata = _metadata(st)
        finally:
            lib.rc_safetensors_free(st)
        self.task = self.metadata["task"]
        self.n_out = int(self.metadata["n_out"])
        self.vocab_size = int(self.metadata.get("model_vocab_size", self.n_out))
        self.batch_first = self.metadata.get("batch_first") in ("1", "true")
        self.input_size = lib.rc_rnn_input_size(lib.rc_model_rnn(self._m))  # features per step (lm: the embedding's)
        self.state_names = [lib.rc_model_state_name(self._m, i).decode()
                            for i in range(lib.rc_model_state_count(self._m))]

    def close(self):
        if getattr(self, "_m", None):
            _library().rc_model_free(self._m)
            self._m = None

    def __del__(self):
        self.close()

    def run(self, x, states=None, lengths=None):
        """x: token ids [T, B] (task lm) or features [T, B, I] ([B, T, ...] when the file says
        batch_first) -> (the output layer's values at every step [T, B, n_out] (classify,
        regress: [B, n_out]), {name: final state}).  states: a previous call's, to continue."""
        lib = _library()
        if self.task == "pointer":
            raise Error("run: a pointer model's decoder reads its own answers: use decode(points)")
        x = np.asarray(x)
        want = 2 if self.task == "lm" else 3
        if x.ndim != want or x.size == 0 or (want == 3 and x.shape[2] != self.input_size):
            raise Error(f"run: x has shape {list(x.shape)}; this {self.task} model takes "
                        f"{'token ids [T, B]' if want == 2 else f'features [T, B, {self.input_size}]'}")
        if self.batch_first:
            x = np.swapaxes(x, 0, 1)
        T, B = x.shape[:2]
        owned = _Owned()
        try:
            b = _Batch(T=T, B=B)
            if self.task == "lm":
                ids = _ints(x, "token ids", 0, self.vocab_size - 1)
                b.tokens = ids.ctypes.data_as(_i32p)
            else:
                feats = np.ascontiguousarray(x, dtype=np.float32)
                ptr = feats.ctypes.data_as(_f32p)
                if self.task == "music":
                    b.frames = ptr
                else:
                    b.features = ptr
            if lengths is not None:
                lens = _ints(lengths, "lengths", 1, T)
                b.lengths = lens.ctypes.data_as(_i32p)
            s0 = _initial_states(owned, states, self.state_names, "model")
            b.states0 = s0
            fin = (_TensorP * MAX_STATES)()
            with _Tape() as tp:
                y = lib.rc_model_forward(tp, self._m, ctypes.byref(b), fin)
                if not y:
                    raise _error("run")
                out = _to_array(y)
                finals = {n: _to_array(fin[i]) for i, n in enumerate(self.state_names)}
        finally:
            owned.free()
        if self.batch_first and self.task not in ("classify", "regress"):
            out = np.swapaxes(out, 0, 1).copy()
        return out, finals

    def decode(self, points, lengths=None, beam=1, tours=False):
        """A pointer model's answers (recur train --task convex-hull or tsp): points [n, B, F]
        ([B, n, F] when the file says batch_first), lengths [B] each example's points (default
        n) -> B lists of 0-based point indices, each answer without its end.  beam 1: greedy;
        beam K: beam search; tours: valid tours only (every point once)."""
        lib = _library()
        x = np.asarray(points)
        if self.task != "pointer":
            raise Error(f"decode: a {self.task} model does not point at its input; use run()")
        if x.ndim != 3 or x.size == 0 or x.shape[2] != self.input_size - 1:
            raise Error(f"decode: points have shape {list(x.shape)}; this model takes [n, B, "
                        f"{self.input_size - 1}]")
        if self.batch_first:
            x = np.swapaxes(x, 0, 1)
        T, B = x.shape[:2]
        feats = np.ascontiguousarray(x, dtype=np.float32)
        b = _Batch(T=T, B=B)
        b.features = feats.ctypes.data_as(_f32p)
        if lengths is not None:
            lens = _ints(lengths, "lengths", 1, T)
            b.lengths = lens.ctypes.data_as(_i32p)
        out = np.empty((T + 1, B), dtype=np.int32)
        if lib.rc_pointer_decode(self._m, ctypes.byref(b), int(beam), 1 if tours else 0,
                                 out.ctypes.data_as(_i32p)):
            raise _error("decode")
        answers = []
        for s in range(B):
            col = out[:, s]
            end = next((i for i, v in enumerate(col) if v <= 0), len(col))
            answers.append([int(v) - 1 for v in col[:end]])
        return answers

    def stream(self):
        """Runs successive pieces of the same sequences, each from the last one's final states."""
        return ModelStream(self)


class ModelStream:
    def __init__(self, model):
        self.model, self.states = model, None

    def reset(self):
        """New sequences: start again from the states' start (zero but for the NTM)."""
        self.states = None

    def step(self, x, lengths=None):
        """The next piece of the sequences (the model's layout: token ids [n, B] or features
        [n, B, I]) -> its output layer's values."""
        out, self.states = self.model.run(x, self.states, lengths)
        return out
