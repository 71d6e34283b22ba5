/* test_pru.c — the Pyramidal Recurrent Unit (src/cells/pru.c) against its
 * reference code, sacmehta/PRU at 5f42732 (PRU.py, PRUTransforms.py), run in
 * float64 by PyTorch on the inputs below (docs/notes/pru-eru.md, section 4):
 * every parameter, in the reference module's order s = 0, 1, ... (which is
 * pru.c's declaration order), holds 0.1 sin(0.37 n + 1 + s) at its flat index
 * n; x[t, b, i] = sin(0.1 (t B I + b I + i) + 0.5), h0[b, m] = 0.3 cos(0.2 (b H
 * + m)), c0[b, m] = 0.2 sin(0.3 (b H + m) + 0.1).  The sums of the outputs
 * and final states and the last step's first output row are the reference's.
 * The generated suite (test_registry.c) checks the gradients, lengths,
 * streams and files at the default options.  Plus: the reference's PTB model
 * has the README's parameter count, the options are checked, and the
 * reference's orthogonal draws are orthogonal. */
#include "test.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    size_t I, H, K, g, B, T;
    double sum_y, sum_h, sum_c, last_row[8];
} golden;

static const golden cases[] = {
    /* K = 3 (pooling kernels 5 and 3, uneven level widths 5, 2, 1), four groups, no residual (I != H) */
    {16, 8, 3, 4, 2, 5, -1.955550162379, -0.519756273752, -0.942166313477,
     {0.0284212226, 0.0066153107, -0.0478032916, -0.0425321899, 0.0199503005, -0.0558447416, -0.0270580844,
      0.0198843085}},
    /* K = 2, two groups, the residual (I = H) */
    {8, 8, 2, 2, 2, 4, 7.870883575568, -0.462965349832, -1.461829556610,
     {-0.0965099580, -0.0254076486, -0.1063629014, -0.0207764126, -0.1132125023, -0.0310974845, -0.0700654310,
      -0.0944208966}},
};

static void check_golden(const golden *c)
{
    rc_rnn_config cfg = rc_rnn_config_default(RC_CELL_PRU, c->I, c->H);
    T_CHECK(rc_rnn_config_set(&cfg, "levels", (double)c->K) == RC_OK && rc_rnn_config_set(&cfg, "groups", (double)c->g) == RC_OK,
            "%s", rc_last_error());
    rc_params *p = rc_params_new();
    rc_rnn *rnn = rc_rnn_new(&cfg, p, NULL, NULL);
    T_CHECK(rnn, "%s", rc_last_error());
    if (!rnn) {
        rc_params_free(p);
        return;
    }
    T_CHECK(rc_params_count(p) == 2 * c->K + 2, "%zu tensors, the reference has %zu", rc_params_count(p), 2 * c->K + 2);
    for (size_t s = 0; s < rc_params_count(p); s++) {
        rc_tensor *t = rc_params_tensor(p, s);
        for (size_t n = 0; n < t->size; n++)
            t->data[n] = (float)(0.1 * sin(0.37 * (double)n + 1.0 + (double)s));
    }
    size_t T = c->T, B = c->B, I = c->I, H = c->H;
    rc_tape *tp = rc_tape_new();
    rc_tensor *x = rc_tape_tensor(tp, 3, (size_t[]){T, B, I});
    rc_tensor *h0 = rc_tape_tensor(tp, 3, (size_t[]){1, B, H}), *c0 = rc_tape_tensor(tp, 3, (size_t[]){1, B, H});
    for (size_t i = 0; i < x->size; i++)
        x->data[i] = (float)sin(0.1 * (double)i + 0.5);
    for (size_t i = 0; i < B * H; i++) {
        h0->data[i] = (float)(0.3 * cos(0.2 * (double)i));
        c0->data[i] = (float)(0.2 * sin(0.3 * (double)i + 0.1));
    }
    rc_rnn_options o = {0};
    o.h0 = h0, o.c0 = c0;
    rc_tensor *h_n = NULL, *c_n = NULL;
    rc_tensor *y = rc_rnn_forward(tp, rnn, x, &o, &h_n, &c_n);
    T_CHECK(y && h_n && c_n, "%s", rc_last_error());
    if (y && h_n && c_n) {
        double sy = 0, sh = 0, sc = 0, worst = 0;
        for (size_t i = 0; i < y->size; i++)
            sy += y->data[i];
        for (size_t i = 0; i < B * H; i++)
            sh += h_n->data[i], sc += c_n->data[i];
        for (size_t j = 0; j < H; j++)
            worst = fmax(worst, fabs(y->data[(T - 1) * B * H + j] - c->last_row[j]));
        T_CHECK(fabs(sy - c->sum_y) < 2e-5 && fabs(sh - c->sum_h) < 2e-6 && fabs(sc - c->sum_c) < 2e-6,
                "sums y %.9f h %.9f c %.9f, the reference's %.9f %.9f %.9f", sy, sh, sc, c->sum_y, c->sum_h, c->sum_c);
        T_CHECK(worst < 1e-6, "the last step's first row differs from the reference's by %g", worst);
    }
    rc_tape_free(tp);
    rc_rnn_free(rnn);
    rc_params_free(p);
}

/* The reference's PTB model (README): embedding 400 tied to the output,
 * PRU layers 400 -> 1400 -> 1400 -> 400 with K = 2, g = 4, 10,000 words:
 * 18,895,600 parameters. */
static void ptb_count(void)
{
    rc_model_config mc = {0};
    mc.task = RC_TASK_LM;
    mc.n_out = 10000;
    mc.tie_weights = 1;
    mc.rnn = rc_rnn_config_default(RC_CELL_PRU, 400, 1400);
    mc.rnn.num_layers = 3;
    mc.rnn.hidden_sizes[2] = 400;
    rc_model *m = rc_model_new(&mc, NULL);
    T_CHECK(m && rc_params_numel(rc_model_params(m)) == 18895600, "%zu parameters (%s)",
            m ? rc_params_numel(rc_model_params(m)) : 0, m ? "" : rc_last_error());
    rc_model_free(m);
}

static void options_checked(void)
{
    rc_params *p = rc_params_new();
    rc_rnn_config cfg = rc_rnn_config_default(RC_CELL_PRU, 6, 8);
    T_CHECK(!rc_rnn_new(&cfg, p, NULL, NULL), "an input of 6 with levels 2 accepted");
    T_CHECK_ERROR(rc_last_status(), RC_EINVAL, "levels 2 needs the input (6) and hidden size (8) to divide by 4");
    cfg = rc_rnn_config_default(RC_CELL_PRU, 8, 12);
    rc_rnn_config_set(&cfg, "groups", 8);
    T_CHECK(!rc_rnn_new(&cfg, p, NULL, NULL), "8 groups of 12 units accepted");
    T_CHECK_ERROR(rc_last_status(), RC_EINVAL, "groups 8 does not divide the hidden size 12");
    T_CHECK(rc_rnn_config_set(&cfg, "levels", 7) != RC_OK, "7 levels accepted");
    rc_params_free(p);
}

/* The reference draws every weight orthogonal (glt_weight flattened to
 * [g, 4 d^2]: orthonormal rows) and its biases zero. */
static void drawn_as_reference(void)
{
    rc_rng rng;
    rc_rng_seed(&rng, 9, 9);
    rc_rnn_config cfg = rc_rnn_config_default(RC_CELL_PRU, 16, 8);
    rc_params *p = rc_params_new();
    rc_rnn *rnn = rc_rnn_new(&cfg, p, NULL, &rng);
    T_CHECK(rnn, "%s", rc_last_error());
    for (size_t k = 0; rnn && k < rc_params_count(p); k++) {
        const rc_tensor *t = rc_params_tensor(p, k);
        const char *name = rc_params_name(p, k);
        if (strstr(name, "bias")) {
            T_CHECK(t->data[0] == 0.0f && t->data[t->size - 1] == 0.0f, "%s is not zero", name);
            continue;
        }
        size_t rows = t->shape[0], cols = t->size / rows, n = rows < cols ? rows : cols;
        double worst = 0.0; /* |V^T V - I| over the shorter side's vectors */
        for (size_t a = 0; a < n; a++)
            for (size_t b = 0; b < n; b++) {
                double dot = 0.0;
                for (size_t i = 0; i < (rows < cols ? cols : rows); i++)
                    dot += rows < cols ? (double)t->data[a * cols + i] * t->data[b * cols + i]
                                       : (double)t->data[i * cols + a] * t->data[i * cols + b];
                worst = fmax(worst, fabs(dot - (a == b)));
            }
        T_CHECK(worst < 1e-5, "%s [%zu, %zu]: orthonormal to %g", name, rows, cols, worst);
    }
    rc_rnn_free(rnn);
    rc_params_free(p);
}

void suite_pru(void)
{
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        t_case("pru: == the reference code (I %zu, H %zu, levels %zu, groups %zu)", cases[i].I, cases[i].H,
               cases[i].K, cases[i].g);
        if (t_selected())
            check_golden(&cases[i]);
    }
    t_case("pru: the reference's PTB model has its 18,895,600 parameters");
    if (t_selected())
        ptb_count();
    t_case("pru: options are checked against the sizes, the message names them");
    if (t_selected())
        options_checked();
    t_case("pru: drawn as the reference draws it (orthogonal weights, zero biases)");
    if (t_selected())
        drawn_as_reference();
}
