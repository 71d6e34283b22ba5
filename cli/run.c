/* run.c — `recur run MODEL INPUT -o OUT`: a recurrent network over the
 * tensors of a safetensors file, with PyTorch's semantics. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: recur run MODEL.safetensors INPUT.safetensors -o OUT.safetensors [--cell CELL]\n"
    "                 [--batch-first]\n"
    "\n"
    "Runs the network in MODEL (a PyTorch nn.RNN/nn.LSTM/nn.GRU state_dict, or a recur model)\n"
    "over the tensors of INPUT and writes OUT, as PyTorch would:\n"
    "  input    [T, B, I] ([B, T, I] with --batch-first)   required\n"
    "  h0       [L*D, B, H_out]                             optional, zeros otherwise\n"
    "  c0       [L*D, B, H]   (LSTM)                        optional, zeros otherwise\n"
    "  NAME0    [L*D, B, n]   any further state of the cell (recur info MODEL lists them)\n"
    "  lengths  [B] integers in 1..T                        optional: packed sequences; padded\n"
    "           outputs are zero and h_n holds each sequence's state at its own last step\n"
    "OUT holds output [T, B, D*H_out] ([B, T, ...] with --batch-first), h_n [L*D, B, H_out]\n"
    "and every further state as NAME_n: an LSTM's c_n [L*D, B, H].\n"
    "\n"
    "  -o FILE        where to write (through a temporary file, renamed when complete)\n"
    "  --cell CELL    the cell, when MODEL cannot tell (its metadata has no 'cell' or\n"
    "                 'nonlinearity'); recur cells lists them\n"
    "  --batch-first  input and output are [B, T, ...]; a MODEL exported from a batch_first\n"
    "                 module (its metadata batch_first = 1) is run so without it, and one\n"
    "                 exported with batch_first = 0 refuses it\n";

/* The named tensor of the input file, or NULL (and *missing = 1). */
static rc_tensor *take(const rc_safetensors *st, const char *name, int *failed)
{
    if (rc_safetensors_find(st, name) < 0)
        return NULL;
    rc_tensor *t = rc_safetensors_tensor(st, name);
    if (!t)
        *failed = 1;
    return t;
}

/* lengths as int32, each an integer. */
static int to_lengths(const char *path, const rc_tensor *t, size_t B, int32_t *out)
{
    char s[64];
    if (t->ndim != 1 || t->size != B)
        return cli_fail("run", "%s: lengths must be [%zu] (one per sequence), got %s", path, B,
                        rc_shape_str(t, s, sizeof s));
    for (size_t b = 0; b < B; b++) {
        float v = t->data[b];
        if (v != (float)(int32_t)v)
            return cli_fail("run", "%s: lengths[%zu] = %g is not an integer", path, b, (double)v);
        out[b] = (int32_t)v;
    }
    return 0;
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

    int status = EXIT_BAD_INPUT, failed = 0;
    rc_tensor *x = NULL, *states0[RC_MAX_STATES] = {0}, *lengths_f = NULL;
    rc_safetensors *in = NULL;
    rc_tape *tp = NULL;
    int32_t *lengths = NULL;
    rc_rnn *rnn = rc_rnn_load(files[0], cell);
    if (!rnn) {
        cli_fail("run", "%s", rc_last_error());
        goto done;
    }
    /* the layout the exporter recorded (tools/export_pytorch.py: the module's batch_first) */
    rc_safetensors *model = rc_safetensors_load(files[0]);
    const char *recorded = model ? rc_safetensors_metadata(model, "batch_first") : NULL;
    int file_bf = !recorded ? -1 : !strcmp(recorded, "1") || !strcmp(recorded, "true") ? 1 : 0;
    rc_safetensors_free(model);
    if (file_bf == 0 && batch_first) {
        cli_fail("run", "%s was exported from a module with batch_first=False: its input is [T, B, I]; "
                        "--batch-first contradicts it",
                 files[0]);
        goto done;
    }
    if (file_bf == 1)
        batch_first = 1;
    if (!(in = rc_safetensors_load(files[1]))) {
        cli_fail("run", "%s", rc_last_error());
        goto done;
    }
    x = take(in, "input", &failed);
    for (size_t i = 0; i < rc_rnn_state_count(rnn); i++) {
        char name[64];
        snprintf(name, sizeof name, "%s0", rc_rnn_state_name(rnn, i));
        states0[i] = take(in, name, &failed);
    }
    if (!failed && rc_rnn_state_index(rnn, "c") < 0 && rc_safetensors_find(in, "c0") >= 0) {
        cli_fail("run", "%s: c0 given, but a %s has no cell state", files[1],
                 rc_cell_name(rc_rnn_config_of(rnn)->cell));
        goto done;
    }
    lengths_f = take(in, "lengths", &failed);
    if (failed) {
        cli_fail("run", "%s", rc_last_error());
        goto done;
    }
    if (!x) {
        cli_fail("run", "%s: no tensor named 'input' (the sequence, [T, B, I])", files[1]);
        goto done;
    }
    size_t B = x->shape[batch_first ? 0 : 1];
    if (lengths_f) {
        lengths = malloc(B * sizeof *lengths);
        if (!lengths || to_lengths(files[1], lengths_f, B, lengths))
            goto done;
    }
    tp = rc_tape_new();
    rc_tape_set_grad_enabled(tp, 0);
    rc_rnn_options o = {0};
    o.states0 = states0, o.lengths = lengths, o.batch_first = batch_first;
    rc_tensor *states_n[RC_MAX_STATES] = {0};
    rc_tensor *y = rc_rnn_forward_states(tp, rnn, x, &o, states_n);
    if (!y) {
        cli_fail("run", "%s: %s", files[1], rc_last_error());
        goto done;
    }
    size_t n = rc_rnn_state_count(rnn);
    char names_n[RC_MAX_STATES][64];
    const char *names[1 + RC_MAX_STATES] = {"output"};
    const rc_tensor *outs[1 + RC_MAX_STATES] = {y};
    for (size_t i = 0; i < n; i++) {
        snprintf(names_n[i], sizeof names_n[i], "%s_n", rc_rnn_state_name(rnn, i));
        names[1 + i] = names_n[i], outs[1 + i] = states_n[i];
    }
    if (rc_safetensors_save(out_path, 1 + n, names, outs, 0, NULL, NULL)) {
        cli_fail("run", "%s", rc_last_error());
        goto done;
    }
    status = 0;
done:
    rc_tape_free(tp);
    free(lengths);
    rc_tensor_free(x), rc_tensor_free(lengths_f);
    for (size_t i = 0; i < RC_MAX_STATES; i++)
        rc_tensor_free(states0[i]);
    rc_safetensors_free(in);
    rc_rnn_free(rnn);
    return status;
}
