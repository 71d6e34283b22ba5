/* cells.c — `recur cells`: every cell of the library's registry, with its
 * paper, its states and its options (set with --cell-opt NAME=VALUE). */
#include "cli.h"

#include <string.h>

/* "h, c": the states a default network of the cell carries; "weight_hh":
 * its weights that --weight-drop masks. */
static void describe(int cell, char *states, char *recurrent, size_t cap)
{
    rc_rnn_config cfg = rc_rnn_config_default(cell, 8, 8);
    rc_params *p = rc_params_new();
    rc_rnn *rnn = p ? rc_rnn_new(&cfg, p, NULL, NULL) : NULL;
    snprintf(states, cap, "%s", rnn ? "" : "?");
    snprintf(recurrent, cap, "%s", rnn ? "" : "?");
    for (size_t i = 0; rnn && i < rc_rnn_state_count(rnn); i++)
        snprintf(states + strlen(states), cap - strlen(states), "%s%s", i ? ", " : "", rc_rnn_state_name(rnn, i));
    for (size_t i = 0; rnn && i < rc_params_count(p); i++)
        if (rc_rnn_weight_recurrent(rnn, rc_params_tensor(p, i))) {
            const char *name = rc_params_name(p, i);
            size_t len = strlen(name) - strlen("_l0"); /* a default network: one layer, one direction */
            snprintf(recurrent + strlen(recurrent), cap - strlen(recurrent), "%s%.*s", *recurrent ? ", " : "",
                     (int)len, name);
        }
    if (rnn && !*recurrent)
        snprintf(recurrent, cap, "none");
    rc_rnn_free(rnn);
    rc_params_free(p);
}

int cmd_cells(int argc, char **argv)
{
    int help = 0;
    cli_option opts[] = {
        {"--help", "-h", OPT_FLAG, &help, "this help", NULL},
        {0},
    };
    const char *name = NULL;
    int n = 0;
    if (cli_parse("cells", opts, argc - 1, argv + 1, &name, 1, &n))
        return EXIT_BAD_INPUT;
    if (help) {
        cli_usage(stdout, "recur cells [CELL]",
                  "Lists every recurrent cell (or one): its name for --cell, what it is and its paper,\n"
                  "the states it carries, and its options with their defaults (--cell-opt NAME=VALUE).",
                  opts);
        return 0;
    }
    int only = n ? cli_cell("cells", name) : -1;
    if (n && only < 0)
        return EXIT_BAD_INPUT;
    for (int c = 0; c < RC_CELL_COUNT; c++) {
        if (only >= 0 && c != only)
            continue;
        char states[128], recurrent[128];
        describe(c, states, recurrent, sizeof states);
        cli_print_cell(stdout, c);
        printf("  %-16s %s\n", "(states)", states);
        printf("  %-16s %s\n", "(weight drop)", recurrent);
        printf("  %-16s %s\n", "(path)", rc_cell_fused(c) ? "a fused kernel" : "its composed step (no fused kernel)");
    }
    return 0;
}
