/* info.c — `recur info MODEL`: the architecture, sizes, parameter count and
 * tensors of a model file. */
#include "cli.h"

#include <stdio.h>
#include <string.h>

static const char usage[] = "usage: recur info MODEL.safetensors [--cell CELL]\n"
                            "  --cell CELL   the cell, when the file cannot tell (see recur run)\n";

static int has_option(int cell, const char *name)
{
    for (size_t i = 0; rc_cell_option_name(cell, i); i++)
        if (!strcmp(rc_cell_option_name(cell, i), name))
            return 1;
    return 0;
}

int cmd_info(int argc, char **argv)
{
    const char *path = NULL;
    int cell = -1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            fputs(usage, stdout);
            return 0;
        }
        if (!strcmp(argv[i], "--cell")) {
            if (i + 1 >= argc)
                return cli_fail("info", "--cell needs a value");
            if ((cell = cli_cell("info", argv[++i])) < 0)
                return EXIT_BAD_INPUT;
        } else if (argv[i][0] == '-')
            return cli_fail("info", "unknown option '%s' (see recur info --help)", argv[i]);
        else if (path)
            return cli_fail("info", "one model file at a time ('%s' and '%s')", path, argv[i]);
        else
            path = argv[i];
    }
    if (!path)
        return cli_fail("info", "no model file given (see recur info --help)");
    char in_dir[1100];
    path = cli_model_file(path, in_dir, sizeof in_dir);
    rc_safetensors *st = rc_safetensors_load(path);
    if (!st)
        return cli_fail("info", "%s", rc_last_error());
    /* A task model (recur train's output) or a bare network (PyTorch's or recur's). */
    rc_model *model = rc_safetensors_metadata(st, "task") ? rc_model_load(path, NULL) : NULL;
    rc_rnn *rnn = model ? NULL : rc_rnn_load(path, cell);
    if (!model && !rnn) {
        rc_safetensors_free(st);
        return cli_fail("info", "%s", rc_last_error());
    }
    const rc_rnn *net = model ? rc_model_rnn(model) : rnn;
    const rc_rnn_config *c = rc_rnn_config_of(net);
    printf("%s\n", path);
    if (model) {
        const rc_model_config *mc = rc_model_config_of(model);
        if (mc->task == RC_TASK_AUDIO)
            printf("  task          audio (reads %zu samples, predicts %zu, each a mixture of %zu Gaussians)\n",
                   mc->rnn.input_size, mc->n_out, mc->mixtures);
        else
            printf("  task          %s (%zu outputs)\n", rc_task_name(mc->task), mc->n_out);
        if (mc->task == RC_TASK_LM)
            printf("  embedding     %zu tokens, %zu wide%s\n", mc->vocab_size ? mc->vocab_size : mc->n_out,
                   mc->rnn.input_size, mc->tie_weights ? " (tied to the output layer)" : "");
        if (mc->sha_rnn && !mc->sha_no_attention)
            printf("  sha-rnn       %zu blocks, attention in block %zu over %zu positions, boom %zu "
                   "(Merity 2019)\n",
                   mc->rnn.num_layers, mc->rnn.num_layers - 2, mc->sha_memory, mc->sha_ff);
        else if (mc->sha_rnn)
            printf("  sha-rnn       %zu blocks without attention, boom %zu (Merity 2019's ablation)\n",
                   mc->rnn.num_layers, mc->sha_ff);
    }
    printf("  cell          %s: %s\n", rc_cell_name(c->cell), rc_cell_summary(c->cell));
    for (size_t i = 0; rc_cell_option_name(c->cell, i); i++) { /* proj_size and peephole: below */
        const char *name = rc_cell_option_name(c->cell, i);
        if (strcmp(name, "proj_size") && strcmp(name, "peephole"))
            printf("  %-13s %g\n", name, rc_rnn_config_get(c, name));
    }
    int ragged = 0;
    for (size_t l = 0; l < c->num_layers; l++)
        ragged |= rc_rnn_config_layer_size(c, l) != c->hidden_size;
    printf("  states       ");
    for (size_t i = 0; i < rc_rnn_state_count(net); i++)
        printf("%s %s [%zu]", i ? "," : "", rc_rnn_state_name(net, i), rc_rnn_state_width(net, i));
    printf(" per layer and direction%s\n", ragged ? " (the widest layer's; narrower layers use the leading columns)" : "");
    printf("  input size    %zu\n", c->input_size);
    if (ragged) {
        printf("  hidden sizes ");
        for (size_t l = 0; l < c->num_layers; l++)
            printf("%s %zu", l ? "," : "", rc_rnn_config_layer_size(c, l));
        printf(" (layer by layer)\n");
    } else {
        printf("  hidden size   %zu\n", c->hidden_size);
    }
    if (c->proj_size)
        printf("  projection    %zu (outputs and h have this width)\n", c->proj_size);
    printf("  layers        %zu\n", c->num_layers);
    printf("  directions    %s\n", c->bidirectional ? "2 (bidirectional)" : "1");
    const char *bf = rc_safetensors_metadata(st, "batch_first");
    if (bf)
        printf("  batch first   %s\n", !strcmp(bf, "1") || !strcmp(bf, "true")
                                           ? "yes (exported from a batch_first module: recur run reads and writes "
                                             "[B, T, ...])"
                                           : "no (input [T, B, I])");
    printf("  bias          %s\n", c->bias ? "yes" : "no");
    if (has_option(c->cell, "peephole"))
        printf("  peepholes     %s\n", c->peephole ? "yes" : "no");
    if (c->residual)
        printf("  residual      yes\n");
    if (c->weight_drop > 0.0f)
        printf("  weight drop   %g (DropConnect on the recurrent weights, in training)\n", (double)c->weight_drop);
    printf("  output width  %zu per step\n", rc_rnn_output_size(net));
    printf("  parameters    %zu\n", rc_params_numel(model ? rc_model_params(model) : rc_rnn_params(rnn)));
    const char *format = rc_safetensors_metadata(st, "format");
    if (format)
        printf("  written by    %s\n", format);
    printf("  tensors       %zu\n", rc_safetensors_count(st));
    for (size_t i = 0; i < rc_safetensors_count(st); i++) {
        size_t shape[8];
        int nd = rc_safetensors_shape(st, i, shape, 8);
        char dims[128] = "";
        size_t used = 0;
        for (int d = 0; d < nd && d < 8 && used < sizeof dims; d++)
            used += (size_t)snprintf(dims + used, sizeof dims - used, "%s%zu", d ? ", " : "", shape[d]);
        printf("    %-28s %-5s [%s]\n", rc_safetensors_name(st, i), rc_safetensors_dtype(st, i), dims);
    }
    rc_safetensors_free(st);
    rc_model_free(model);
    rc_rnn_free(rnn);
    return 0;
}
