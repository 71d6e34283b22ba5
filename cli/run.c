/* run.c — `recur run MODEL INPUT -o OUT`: a recurrent network, or a whole
 * model (embedding or features, network, output layer), over the tensors of
 * a safetensors file, with PyTorch's semantics. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: recur run MODEL.safetensors INPUT.safetensors -o OUT.safetensors [--cell CELL]\n"
    "                 [--batch-first]\n"
    "\n"
    "Runs MODEL over the tensors of INPUT and writes OUT, as PyTorch would.  MODEL is either\n"
    "a network (an nn.RNN/nn.LSTM/nn.GRU state_dict, or recur's) or a whole model: one\n"
    "exported by tools/export_pytorch.py from a module holding an nn.Embedding or none, the\n"
    "network and an nn.Linear head, or one written by recur train (a run folder will do).\n"
    "INPUT holds\n"
    "  input    a network, or a model without an embedding: features [T, B, I]\n"
    "           a model with an embedding (task lm): token ids [T, B], integers in 0..V-1\n"
    "           ([B, T, ...] with --batch-first)                       required\n"
    "  h0       [L*D, B, H_out]                             optional, zeros otherwise\n"
    "  c0       [L*D, B, H]   (LSTM)                        optional, zeros otherwise\n"
    "  NAME0    [L*D, B, n]   any further state (recur info MODEL lists them)\n"
    "  lengths  [B] integers in 1..T                        optional: packed sequences; padded\n"
    "           outputs are zero and h_n holds each sequence's state at its own last step\n"
    "OUT holds output: a network's [T, B, D*H_out]; a model's output layer, its logits, at every\n"
    "step [T, B, n_out] (classify, regress: from the final states, [B, n_out]); ([B, T, ...]\n"
    "with --batch-first); then h_n [L*D, B, H_out] and every further state as NAME_n: an\n"
    "LSTM's c_n [L*D, B, H].  Feeding a run's NAME_n back as the next run's NAME0 continues\n"
    "the sequences where they stopped.\n"
    "\n"
    "  -o FILE        where to write (through a temporary file, renamed when complete)\n"
    "  --cell CELL    the cell, when MODEL cannot tell (its metadata has no 'cell' or\n"
    "                 'nonlinearity'); recur cells lists them\n"
    "  --batch-first  input and output are [B, T, ...]; a MODEL exported from a batch_first\n"
    "                 module (its metadata batch_first = 1) is run so without it, and one\n"
    "                 exported with batch_first = 0 refuses it\n";

/* The named tensor of the input file, or NULL when absent (*failed = 1 when unreadable). */
static rc_tensor *take(const rc_safetensors *st, const char *name, int *failed)
{
    if (rc_safetensors_find(st, name) < 0)
        return NULL;
    rc_tensor *t = rc_safetensors_tensor(st, name);
    if (!t)
        *failed = 1;
    return t;
}

/* t's values as int32 in [lo, hi], each an integer; what names them in messages. */
static int to_ints(const char *path, const char *what, const rc_tensor *t, long lo, long hi, int32_t *out)
{
    for (size_t i = 0; i < t->size; i++) {
        float v = t->data[i];
        if (!(v >= (float)lo && v <= (float)hi))
            return cli_fail("run", "%s: %s[%zu] = %g is not in %ld..%ld", path, what, i, (double)v, lo, hi);
        if (v != (float)(int32_t)v)
            return cli_fail("run", "%s: %s[%zu] = %g is not an integer", path, what, i, (double)v);
        out[i] = (int32_t)v;
    }
    return 0;
}

/* [A, B, K] -> [B, A, K] (the batch-first layout and back). */
static rc_tensor *swap_leading(const rc_tensor *t)
{
    size_t A = t->shape[0], B = t->shape[1], K = t->size / (A * B);
    size_t shape[RC_MAX_DIMS];
    memcpy(shape, t->shape, sizeof shape);
    shape[0] = B, shape[1] = A;
    rc_tensor *s = rc_tensor_new(t->ndim, shape);
    for (size_t a = 0; s && a < A; a++)
        for (size_t b = 0; b < B; b++)
            memcpy(s->data + (b * A + a) * K, t->data + (a * B + b) * K, K * sizeof(float));
    return s;
}

/* What a run reads, whichever MODEL is. */
typedef struct {
    const char *model_path, *input_path, *out_path;
    int batch_first;
    rc_safetensors *in;
    rc_tensor *x;        /* input, time-major */
    int32_t *lengths;    /* [B] or NULL */
    size_t T, B;
} run_args;

/* Reads input (with ndim dimensions) and lengths from the input file. */
static int read_input(run_args *r, int ndim, const char *what)
{
    int failed = 0;
    char s[64];
    rc_tensor *x = take(r->in, "input", &failed), *lengths = take(r->in, "lengths", &failed);
    int status = EXIT_BAD_INPUT;
    if (failed) {
        cli_fail("run", "%s", rc_last_error());
        goto done;
    }
    if (!x) {
        cli_fail("run", "%s: no tensor named 'input' (%s)", r->input_path, what);
        goto done;
    }
    if (x->ndim != ndim || x->size == 0) {
        cli_fail("run", "%s: input has shape %s; %s needs %s", r->input_path, rc_shape_str(x, s, sizeof s),
                 r->model_path, what);
        goto done;
    }
    if (r->batch_first) {
        rc_tensor *t = swap_leading(x);
        rc_tensor_free(x);
        if (!(x = t)) {
            cli_fail("run", "out of memory");
            goto done;
        }
    }
    r->T = x->shape[0], r->B = x->shape[1];
    if (lengths) {
        if (lengths->ndim != 1 || lengths->size != r->B) {
            cli_fail("run", "%s: lengths must be [%zu] (one per sequence), got %s", r->input_path, r->B,
                     rc_shape_str(lengths, s, sizeof s));
            goto done;
        }
        if (!(r->lengths = malloc(r->B * sizeof *r->lengths))) {
            cli_fail("run", "out of memory");
            goto done;
        }
        if (to_ints(r->input_path, "lengths", lengths, 1, (long)r->T, r->lengths))
            goto done;
    }
    r->x = x, x = NULL;
    status = 0;
done:
    rc_tensor_free(x), rc_tensor_free(lengths);
    return status;
}

/* The initial states NAME0 of the input file, one per name. */
static int read_states(run_args *r, size_t n, const char *const *names, rc_tensor **states0)
{
    int failed = 0;
    for (size_t i = 0; i < n; i++) {
        char name[64];
        snprintf(name, sizeof name, "%s0", names[i]);
        states0[i] = take(r->in, name, &failed);
    }
    if (failed)
        return cli_fail("run", "%s", rc_last_error());
    int has_c = 0;
    for (size_t i = 0; i < n; i++)
        has_c |= !strcmp(names[i], "c");
    if (!has_c && rc_safetensors_find(r->in, "c0") >= 0)
        return cli_fail("run", "%s: c0 given, but %s has no cell state", r->input_path, r->model_path);
    return 0;
}

/* Writes output (time-major; swapped back when batch-first and per step) and
 * each state as NAME_n. */
static int write_out(run_args *r, rc_tensor *y, int per_step, size_t n, const char *const *state_names,
                     rc_tensor *const *states_n)
{
    rc_tensor *swapped = r->batch_first && per_step ? swap_leading(y) : NULL;
    if (r->batch_first && per_step && !swapped)
        return cli_fail("run", "out of memory");
    char names_n[RC_MODEL_MAX_STATES][64];
    const char *names[1 + RC_MODEL_MAX_STATES] = {"output"};
    const rc_tensor *outs[1 + RC_MODEL_MAX_STATES] = {swapped ? swapped : y};
    for (size_t i = 0; i < n; i++) {
        snprintf(names_n[i], sizeof names_n[i], "%s_n", state_names[i]);
        names[1 + i] = names_n[i], outs[1 + i] = states_n[i];
    }
    int status = rc_safetensors_save(r->out_path, 1 + n, names, outs, 0, NULL, NULL);
    rc_tensor_free(swapped);
    return status ? cli_fail("run", "%s", rc_last_error()) : 0;
}

static int run_network(run_args *r, int cell)
{
    rc_tensor *states0[RC_MAX_STATES] = {0};
    rc_tape *tp = NULL;
    int status = EXIT_BAD_INPUT;
    rc_rnn *rnn = rc_rnn_load(r->model_path, cell);
    if (!rnn) {
        cli_fail("run", "%s", rc_last_error());
        goto done;
    }
    size_t n = rc_rnn_state_count(rnn);
    const char *names[RC_MAX_STATES];
    for (size_t i = 0; i < n; i++)
        names[i] = rc_rnn_state_name(rnn, i);
    if (read_states(r, n, names, states0) || read_input(r, 3, "the sequence, [T, B, I]"))
        goto done;
    tp = rc_tape_new();
    rc_tape_set_grad_enabled(tp, 0);
    rc_rnn_options o = {0};
    o.states0 = states0, o.lengths = r->lengths;
    rc_tensor *states_n[RC_MAX_STATES] = {0};
    rc_tensor *y = rc_rnn_forward_states(tp, rnn, r->x, &o, states_n);
    if (!y) {
        cli_fail("run", "%s: %s", r->input_path, rc_last_error());
        goto done;
    }
    status = write_out(r, y, 1, n, names, states_n);
done:
    rc_tape_free(tp);
    for (size_t i = 0; i < RC_MAX_STATES; i++)
        rc_tensor_free(states0[i]);
    rc_rnn_free(rnn);
    return status;
}

static int run_model(run_args *r)
{
    rc_tensor *states0[RC_MODEL_MAX_STATES] = {0};
    rc_tape *tp = NULL;
    int32_t *tokens = NULL;
    int status = EXIT_BAD_INPUT;
    rc_model *m = rc_model_load(r->model_path, NULL);
    if (!m) {
        cli_fail("run", "%s", rc_last_error());
        goto done;
    }
    const rc_model_config *c = rc_model_config_of(m);
    size_t n = rc_model_state_count(m);
    const char *names[RC_MODEL_MAX_STATES];
    for (size_t i = 0; i < n; i++)
        names[i] = rc_model_state_name(m, i);
    char what[96];
    if (c->task == RC_TASK_LM)
        snprintf(what, sizeof what, "token ids [T, B]");
    else
        snprintf(what, sizeof what, "features [T, B, %zu]", c->rnn.input_size);
    if (read_states(r, n, names, states0) || read_input(r, c->task == RC_TASK_LM ? 2 : 3, what))
        goto done;
    rc_batch b = {0};
    b.T = r->T, b.B = r->B, b.lengths = r->lengths, b.states0 = states0;
    if (c->task == RC_TASK_LM) {
        size_t V = c->vocab_size ? c->vocab_size : c->n_out;
        if (!(tokens = malloc(r->x->size * sizeof *tokens))) {
            cli_fail("run", "out of memory");
            goto done;
        }
        if (to_ints(r->input_path, "input", r->x, 0, (long)V - 1, tokens))
            goto done;
        b.tokens = tokens;
    } else if (c->task == RC_TASK_MUSIC) {
        b.frames = r->x->data;
    } else {
        b.features = r->x->data;
    }
    tp = rc_tape_new();
    rc_tape_set_grad_enabled(tp, 0);
    rc_tensor *states_n[RC_MODEL_MAX_STATES] = {0};
    rc_tensor *y = tp ? rc_model_forward(tp, m, &b, states_n) : NULL;
    if (!y) {
        cli_fail("run", "%s: %s", r->input_path, rc_last_error());
        goto done;
    }
    status = write_out(r, y, c->task != RC_TASK_CLASSIFY && c->task != RC_TASK_REGRESS, n, names, states_n);
done:
    rc_tape_free(tp);
    free(tokens);
    for (size_t i = 0; i < RC_MODEL_MAX_STATES; i++)
        rc_tensor_free(states0[i]);
    rc_model_free(m);
    return status;
}

int cmd_run(int argc, char **argv)
{
    const char *files[2] = {NULL, NULL}, *out_path = NULL;
    int n_files = 0, cell = -1, batch_first = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(usage, stdout);
            return 0;
        } else if (!strcmp(a, "-o") || !strcmp(a, "--output")) {
            if (i + 1 >= argc)
                return cli_fail("run", "%s needs a file name", a);
            out_path = argv[++i];
        } else if (!strcmp(a, "--cell")) {
            if (i + 1 >= argc)
                return cli_fail("run", "--cell needs a value");
            if ((cell = cli_cell("run", argv[++i])) < 0)
                return EXIT_BAD_INPUT;
        } else if (!strcmp(a, "--batch-first")) {
            batch_first = 1;
        } else if (a[0] == '-') {
            return cli_fail("run", "unknown option '%s' (see recur run --help)", a);
        } else if (n_files == 2) {
            return cli_fail("run", "too many files: '%s' (expected MODEL INPUT -o OUT)", a);
        } else {
            files[n_files++] = a;
        }
    }
    if (n_files < 2 || !out_path)
        return cli_fail("run", "expected MODEL INPUT -o OUT (see recur run --help)");

    char in_dir[1100];
    run_args r = {.model_path = cli_model_file(files[0], in_dir, sizeof in_dir), .input_path = files[1],
                  .out_path = out_path, .batch_first = batch_first};
    rc_safetensors *model = rc_safetensors_load(r.model_path);
    if (!model)
        return cli_fail("run", "%s", rc_last_error());
    /* the layout the exporter recorded (tools/export_pytorch.py: the module's batch_first) */
    const char *recorded = rc_safetensors_metadata(model, "batch_first");
    int file_bf = !recorded ? -1 : !strcmp(recorded, "1") || !strcmp(recorded, "true") ? 1 : 0;
    int whole = rc_safetensors_metadata(model, "task") != NULL;
    rc_safetensors_free(model);
    if (whole && cell >= 0)
        return cli_fail("run", "%s is a whole model, which names its cell; --cell is for bare networks", r.model_path);
    if (file_bf == 0 && batch_first)
        return cli_fail("run", "%s was exported from a module with batch_first=False: its input is [T, B, ...]; "
                               "--batch-first contradicts it",
                        r.model_path);
    if (file_bf == 1)
        r.batch_first = 1;
    if (!(r.in = rc_safetensors_load(r.input_path)))
        return cli_fail("run", "%s", rc_last_error());
    int status = whole ? run_model(&r) : run_network(&r, cell);
    rc_safetensors_free(r.in);
    rc_tensor_free(r.x);
    free(r.lengths);
    return status;
}
