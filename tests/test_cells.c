/* test_cells.c — the recurrent core.
 *
 * For a table of cell x options x directions x layers x lengths x batch:
 *   - the fused kernels equal the composed steps (the specification), in
 *     the outputs, the final states and every gradient (input, initial
 *     states, each weight), to 2e-5 of the largest magnitude;
 *   - finite-difference gradient checks of the fused path, and of the
 *     composed path for each cell;
 *   - lengths behave as PyTorch's packed sequences: each sequence run alone
 *     over its own length gives the same outputs and final state, and the
 *     outputs past its end are exactly zero.
 * Plus configuration and call errors. */
#include "gradcheck.h"
#include "test.h"
#include "../src/kernels/kernels.h"

#include <malloc.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *const cells_gradcheck_ops[] = {"rnn_layer", NULL};

typedef struct {
    int cell;
    size_t layers;
    int bidirectional, with_lengths, with_states, batch_first, bias_off, residual;
    size_t batch, proj;
    int peephole;
    float dropout;
    int sparse_x; /* x all zeros but two entries: the kernels' sparse input path */
    size_t steps, input, hidden; /* 0: the small defaults below */
    size_t widths[3];             /* hidden_sizes (0: hidden) */
} cell_case;

/* Everything one forward needs; the builder reads it. */
typedef struct {
    rc_rnn *rnn;
    rc_params *params;
    rc_tensor *x, *h0, *c0; /* caller-owned, with gradients */
    int32_t lengths[8];
    const cell_case *c;
    int composed;
    size_t T, I, H;
} net;

enum { STEPS = 5, INPUT = 3, HIDDEN = 4 };

static void net_init(net *n, const cell_case *c)
{
    memset(n, 0, sizeof *n);
    n->c = c;
    size_t T = n->T = c->steps ? c->steps : STEPS, I = n->I = c->input ? c->input : INPUT;
    size_t H = n->H = c->hidden ? c->hidden : HIDDEN;
    rc_rnn_config cfg = rc_rnn_config_default(c->cell, I, H);
    cfg.num_layers = c->layers;
    cfg.bidirectional = c->bidirectional;
    cfg.bias = !c->bias_off;
    cfg.proj_size = c->proj;
    cfg.peephole = c->peephole;
    cfg.dropout = c->dropout;
    cfg.residual = c->residual;
    memcpy(cfg.hidden_sizes, c->widths, sizeof c->widths);
    rc_rng rng;
    rc_rng_seed(&rng, 77, (uint64_t)c->cell);
    n->params = rc_params_new();
    n->rnn = rc_rnn_new(&cfg, n->params, "rnn.", NULL);
    T_CHECK(n->rnn, "rc_rnn_new: %s", rc_last_error());
    if (!n->rnn)
        return;
    /* Larger than PyTorch's +-1/sqrt(H), so every path carries signal. */
    for (size_t i = 0; i < rc_params_count(n->params); i++)
        rc_tensor_fill_uniform(rc_params_tensor(n->params, i), &rng, -0.6f, 0.6f);
    size_t B = c->batch, D = c->bidirectional ? 2 : 1, rows = c->layers * D;
    n->x = c->batch_first ? rc_tensor_new(3, (size_t[]){B, T, I}) : rc_tensor_new(3, (size_t[]){T, B, I});
    rc_tensor_fill_normal(n->x, &rng, 0.0f, 1.0f);
    for (size_t i = 0; c->sparse_x && i < n->x->size; i++)
        if (i != 4 && i != n->x->size - 2)
            n->x->data[i] = 0.0f;
    rc_tensor_require_grad(n->x);
    if (c->with_states) {
        n->h0 = rc_tensor_new(3, (size_t[]){rows, B, rc_rnn_state_size(n->rnn)});
        rc_tensor_fill_normal(n->h0, &rng, 0.0f, 0.5f);
        rc_tensor_require_grad(n->h0);
        if (c->cell == RC_CELL_LSTM) {
            n->c0 = rc_tensor_new(3, (size_t[]){rows, B, rc_rnn_state_width(n->rnn, 1)});
            rc_tensor_fill_normal(n->c0, &rng, 0.0f, 0.5f);
            rc_tensor_require_grad(n->c0);
        }
    }
    const int32_t lengths[8] = {(int32_t)T, 3, 1, 4, 2, (int32_t)T, 1, 2}; /* full, shorter, and 1 */
    memcpy(n->lengths, lengths, sizeof lengths);
}

static void net_free(net *n)
{
    rc_rnn_free(n->rnn);
    rc_params_free(n->params);
    rc_tensor_free(n->x);
    rc_tensor_free(n->h0);
    rc_tensor_free(n->c0);
}

/* output, h_n and c_n flattened and joined: one tensor carries all three
 * gradients. */
static rc_tensor *build_net(rc_tape *tp, void *ctx)
{
    net *n = ctx;
    rc_rng dropout_rng;
    rc_rng_seed(&dropout_rng, 5, 5); /* the same masks on every evaluation and path */
    rc_rnn_options o = {0};
    o.h0 = n->h0;
    o.c0 = n->c0;
    o.lengths = n->c->with_lengths ? n->lengths : NULL;
    o.batch_first = n->c->batch_first;
    o.dropout_rng = n->c->dropout > 0.0f ? &dropout_rng : NULL;
    o.composed = n->composed;
    rc_tensor *h_n = NULL, *c_n = NULL;
    rc_tensor *y = rc_rnn_forward(tp, n->rnn, n->x, &o, &h_n, &c_n);
    if (!y)
        return NULL;
    rc_tensor *parts[3];
    size_t k = 0;
    parts[k++] = rc_reshape(tp, y, 1, (size_t[]){y->size});
    parts[k++] = rc_reshape(tp, h_n, 1, (size_t[]){h_n->size});
    if (c_n)
        parts[k++] = rc_reshape(tp, c_n, 1, (size_t[]){c_n->size});
    return rc_concat(tp, parts, k, 0);
}

/* Every tensor with a gradient: x, h0, c0, then the parameters. */
static size_t wrt_of(net *n, rc_tensor **wrt, const char **names)
{
    size_t k = 0;
    wrt[k] = n->x, names[k++] = "x";
    if (n->h0)
        wrt[k] = n->h0, names[k++] = "h0";
    if (n->c0)
        wrt[k] = n->c0, names[k++] = "c0";
    for (size_t i = 0; i < rc_params_count(n->params); i++)
        wrt[k] = rc_params_tensor(n->params, i), names[k++] = rc_params_name(n->params, i);
    return k;
}

static void describe(char *buf, size_t cap, const cell_case *c)
{
    snprintf(buf, cap, "%s L=%zu %s B=%zu%s%s%s%s%s%s%s%s%s", rc_cell_name(c->cell), c->layers,
             c->bidirectional ? "bi" : "uni", c->batch, c->with_lengths ? " lengths" : "",
             c->with_states ? " h0/c0" : "", c->batch_first ? " batch-first" : "",
             c->bias_off ? " no-bias" : "", c->residual ? " residual" : "",
             c->proj ? " proj" : "", c->peephole ? " peephole" : "",
             c->dropout > 0.0f ? " dropout" : "", c->sparse_x ? " sparse-x" : "");
    if (c->hidden)
        snprintf(buf + strlen(buf), cap - strlen(buf), " T=%zu I=%zu H=%zu", c->steps, c->input, c->hidden);
    for (size_t l = 0; c->widths[0] && l < c->layers; l++)
        snprintf(buf + strlen(buf), cap - strlen(buf), "%s%zu", l ? "," : " widths ", c->widths[l]);
}

/* One path's outputs and every gradient of sum(out * R), joined. */
static float *run_path(net *n, int composed, size_t *n_out, float **grads, size_t *n_grads)
{
    rc_tensor *wrt[64];
    const char *names[64];
    size_t k = wrt_of(n, wrt, names);
    n->composed = composed;
    return t_values_and_grads(build_net, n, wrt, k, n_out, grads, n_grads);
}

static void check_fused_equals_composed(net *n)
{
    size_t nf = 0, nc = 0, gf_n = 0, gc_n = 0;
    float *gf, *gc;
    float *yf = run_path(n, 0, &nf, &gf, &gf_n);
    float *yc = run_path(n, 1, &nc, &gc, &gc_n);
    T_CHECK(yf && yc && gf && gc, "a path failed: %s", rc_last_error());
    if (yf && yc && gf && gc && nf == nc && gf_n == gc_n) {
        double scale = fmax(1.0, t_max_abs(yc, nc)), worst = 0.0;
        for (size_t i = 0; i < nf; i++)
            worst = fmax(worst, fabs(yf[i] - yc[i]));
        T_CHECK(worst <= 2e-5 * scale, "outputs differ by %g", worst);
        double gscale = fmax(1.0, t_max_abs(gc, gc_n)), gworst = 0.0;
        size_t at = 0;
        for (size_t i = 0; i < gf_n; i++)
            if (fabs(gf[i] - gc[i]) > gworst)
                gworst = fabs(gf[i] - gc[i]), at = i;
        T_CHECK(gworst <= 2e-5 * gscale, "gradients differ by %g at %zu (fused %g, composed %g)",
                gworst, at, (double)gf[at], (double)gc[at]);
        if (t_verbose())
            printf("       fused vs composed: outputs %.1e, gradients %.1e\n", worst / scale,
                   gworst / gscale);
    }
    free(yf), free(yc), free(gf), free(gc);
}

/* The fused LSTM hands an input narrower than a column group to the BLAS
 * (the input product before the time loop, dW_ih and dx after it). */
static int narrow_lstm_input(const cell_case *c, size_t I)
{
    return c->cell == RC_CELL_LSTM && I < PACK_GROUP_COLS;
}

/* The fused kernels split their work among threads so that every element
 * is computed the same way: 1 and 2 threads give the same bits.  Where the
 * BLAS takes part, its own threading decides: OpenBLAS 0.3.21's kernels for
 * some cores (Haswell; the Prescott fallback it picks on Sapphire Rapids)
 * sum dW_ih = dG^T x in another order on two threads, so a narrow input is
 * held to float rounding there. */
static void check_threads(net *n)
{
    size_t n1 = 0, n2 = 0, g1_n = 0, g2_n = 0;
    float *g1, *g2;
    rc_set_num_threads(1);
    float *y1 = run_path(n, 0, &n1, &g1, &g1_n);
    rc_set_num_threads(2);
    float *y2 = run_path(n, 0, &n2, &g2, &g2_n);
    rc_set_num_threads(1);
    T_CHECK(y1 && y2 && g1 && g2 && n1 == n2 && g1_n == g2_n, "a pass failed: %s", rc_last_error());
    if (y1 && y2 && g1 && g2 && n1 == n2 && g1_n == g2_n) {
        if (narrow_lstm_input(n->c, n->I)) {
            T_CHECK(t_max_diff(y1, y2, n1) <= 1e-6 * fmax(1.0, t_max_abs(y1, n1)),
                    "outputs differ between 1 and 2 threads by %g", t_max_diff(y1, y2, n1));
            T_CHECK(t_max_diff(g1, g2, g1_n) <= 1e-6 * fmax(1.0, t_max_abs(g1, g1_n)),
                    "gradients differ between 1 and 2 threads by %g", t_max_diff(g1, g2, g1_n));
        } else {
            T_CHECK(memcmp(y1, y2, n1 * sizeof *y1) == 0, "outputs differ between 1 and 2 threads");
            T_CHECK(memcmp(g1, g2, g1_n * sizeof *g1) == 0, "gradients differ between 1 and 2 threads");
        }
    }
    free(y1), free(y2), free(g1), free(g2);
}

static void check_fd(net *n, int composed)
{
    rc_tensor *wrt[64];
    const char *names[64];
    size_t k = wrt_of(n, wrt, names);
    n->composed = composed;
    t_gradcheck(build_net, n, wrt, k, names, n->c->cell == RC_CELL_RNN_RELU);
}

/* Each sequence alone over its own length must give the same outputs and
 * final state; outputs past the end are 0. */
static void check_lengths(net *n)
{
    const cell_case *c = n->c;
    size_t B = c->batch, D = c->bidirectional ? 2 : 1, rows = c->layers * D, T = n->T, I = n->I;
    size_t H = n->c0 ? rc_rnn_state_width(n->rnn, 1) : 0;
    size_t Ho = rc_rnn_state_size(n->rnn), W = rc_rnn_output_size(n->rnn);
    rc_tape *tp = rc_tape_new();
    rc_rnn_options o = {0};
    o.h0 = n->h0;
    o.c0 = n->c0;
    o.lengths = n->lengths;
    rc_tensor *h_all = NULL;
    rc_tensor *y_all = rc_rnn_forward(tp, n->rnn, n->x, &o, &h_all, NULL);
    T_CHECK(y_all, "%s", rc_last_error());
    for (size_t b = 0; y_all && b < B; b++) {
        size_t Tb = (size_t)n->lengths[b];
        rc_tensor *xb = rc_tensor_new(3, (size_t[]){Tb, 1, I});
        for (size_t t = 0; t < Tb; t++)
            memcpy(xb->data + t * I, n->x->data + (t * B + b) * I, I * sizeof(float));
        rc_tensor *h0 = n->h0 ? rc_tensor_new(3, (size_t[]){rows, 1, Ho}) : NULL;
        rc_tensor *c0 = n->c0 ? rc_tensor_new(3, (size_t[]){rows, 1, H}) : NULL;
        for (size_t r = 0; r < rows; r++) {
            if (h0)
                memcpy(h0->data + r * Ho, n->h0->data + (r * B + b) * Ho, Ho * sizeof(float));
            if (c0)
                memcpy(c0->data + r * H, n->c0->data + (r * B + b) * H, H * sizeof(float));
        }
        rc_rnn_options ob = {0};
        ob.h0 = h0;
        ob.c0 = c0;
        rc_tensor *hb = NULL;
        rc_tensor *yb = rc_rnn_forward(tp, n->rnn, xb, &ob, &hb, NULL);
        T_CHECK(yb, "%s", rc_last_error());
        double worst = 0.0;
        int zero_tail = 1;
        for (size_t t = 0; yb && t < T; t++)
            for (size_t j = 0; j < W; j++) {
                float v = y_all->data[(t * B + b) * W + j];
                if (t < Tb)
                    worst = fmax(worst, fabs(v - yb->data[t * W + j]));
                else
                    zero_tail &= v == 0.0f;
            }
        for (size_t r = 0; yb && r < rows; r++)
            for (size_t j = 0; j < Ho; j++)
                worst = fmax(worst, fabs(h_all->data[(r * B + b) * Ho + j] - hb->data[r * Ho + j]));
        T_CHECK(worst < 1e-5, "sequence %zu (length %zu) differs from its own run by %g", b, Tb, worst);
        T_CHECK(zero_tail, "sequence %zu: outputs past its length are not zero", b);
        rc_tensor_free(xb), rc_tensor_free(h0), rc_tensor_free(c0);
    }
    rc_tape_free(tp);
}

#define LSTM_ RC_CELL_LSTM
static const cell_case cases[] = {
    /* cell, layers, bi, lengths, states, batch_first, no-bias, residual, batch, proj, peephole, dropout,
     * sparse x, steps, input, hidden (0: small defaults), widths per layer (0: hidden) */
    {RC_CELL_RNN_TANH, 1, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, {0}},
    {RC_CELL_RNN_TANH, 2, 1, 1, 1, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, {0}},
    {RC_CELL_RNN_RELU, 1, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, {0}},
    {RC_CELL_RNN_RELU, 3, 0, 1, 0, 0, 0, 1, 4, 0, 0, 0, 0, 0, 0, 0, {0}},
    {LSTM_, 1, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, {0}},
    {LSTM_, 2, 1, 1, 1, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, {0}},
    {LSTM_, 1, 0, 1, 1, 0, 0, 0, 3, 2, 0, 0, 0, 0, 0, 0, {0}},
    {LSTM_, 2, 1, 0, 1, 1, 0, 0, 2, 3, 1, 0, 0, 0, 0, 0, {0}},
    {LSTM_, 1, 1, 1, 1, 0, 0, 0, 3, 0, 1, 0, 0, 0, 0, 0, {0}},
    {LSTM_, 3, 0, 0, 0, 0, 1, 1, 1, 0, 1, 0, 0, 0, 0, 0, {0}},
    {LSTM_, 2, 0, 1, 0, 0, 0, 0, 4, 2, 1, 0.3f, 0, 0, 0, 0, {0}},
    {RC_CELL_GRU, 1, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, {0}},
    {RC_CELL_GRU, 2, 1, 1, 1, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, {0}},
    {RC_CELL_GRU, 1, 0, 0, 1, 1, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, {0}},
    {RC_CELL_GRU, 3, 1, 1, 0, 0, 0, 1, 2, 0, 0, 0.25f, 0, 0, 0, 0, {0}},
    {RC_CELL_GRU_RESET_BEFORE, 1, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, {0}},
    {RC_CELL_GRU_RESET_BEFORE, 2, 1, 1, 1, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, {0}},
    {RC_CELL_GRU_RESET_BEFORE, 1, 1, 0, 1, 1, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, {0}},
    {RC_CELL_GRU_RESET_BEFORE, 3, 0, 1, 0, 0, 0, 1, 4, 0, 0, 0, 0, 0, 0, 0, {0}},
    /* sparse inputs (T B = 20, I = 3, two nonzeros) */
    {RC_CELL_RNN_TANH, 1, 0, 0, 1, 0, 0, 0, 4, 0, 0, 0, 1, 0, 0, 0, {0}},
    {LSTM_, 2, 0, 0, 1, 0, 0, 0, 4, 0, 1, 0, 1, 0, 0, 0, {0}},
    {RC_CELL_GRU, 1, 0, 1, 0, 0, 0, 0, 4, 0, 0, 0, 1, 0, 0, 0, {0}},
    {RC_CELL_GRU_RESET_BEFORE, 1, 1, 0, 1, 0, 0, 0, 4, 0, 0, 0, 1, 0, 0, 0, {0}},
    /* the fused LSTM kernel's blocks of units (16 forward, 64 backward) and
     * of rows, partial ones included, with two threads' share of them */
    {LSTM_, 1, 1, 1, 1, 0, 0, 0, 5, 0, 1, 0, 0, 6, 30, 70, {0}},
    {LSTM_, 2, 0, 0, 1, 0, 0, 0, 8, 0, 0, 0, 0, 5, 30, 80, {0}},
    {LSTM_, 1, 0, 1, 0, 0, 0, 0, 8, 0, 1, 0, 1, 7, 24, 130, {0}},
    /* an input as wide as a column group: every product in recur's own kernels */
    {LSTM_, 2, 0, 0, 1, 0, 0, 0, 8, 0, 0, 0, 0, 5, 70, 80, {0}},
    /* independent widths per layer (hidden_sizes), the initial states given in every column */
    {LSTM_, 3, 0, 1, 1, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, {5, 3, 4}},
    {LSTM_, 2, 1, 1, 1, 0, 0, 0, 3, 0, 1, 0, 0, 0, 0, 0, {3, 5}},
    {RC_CELL_GRU, 3, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, {4, 2, 3}},
};

static void test_errors(void)
{
    rc_params *p = rc_params_new();
    t_case("cells: configurations are checked, the message names the field");
    rc_rnn_config cfg = rc_rnn_config_default(RC_CELL_GRU, 3, 4);
    cfg.proj_size = 2;
    T_CHECK(!rc_rnn_new(&cfg, p, NULL, NULL), "GRU with a projection accepted");
    T_CHECK_ERROR(rc_last_status(), RC_EINVAL, "proj_size 2 needs an LSTM");
    cfg = rc_rnn_config_default(RC_CELL_LSTM, 3, 4);
    cfg.proj_size = 4;
    T_CHECK(!rc_rnn_new(&cfg, p, NULL, NULL), "proj_size == hidden accepted");
    cfg = rc_rnn_config_default(RC_CELL_RNN_TANH, 3, 4);
    cfg.peephole = 1;
    T_CHECK(!rc_rnn_new(&cfg, p, NULL, NULL), "peepholes on an RNN accepted");
    T_CHECK_ERROR(rc_last_status(), RC_EINVAL, "peepholes need an LSTM");
    cfg = rc_rnn_config_default(99, 3, 4);
    T_CHECK(!rc_rnn_new(&cfg, p, NULL, NULL), "cell 99 accepted");
    cfg = rc_rnn_config_default(RC_CELL_GRU, 0, 4);
    T_CHECK(!rc_rnn_new(&cfg, p, NULL, NULL), "input_size 0 accepted");
    T_CHECK_ERROR(rc_last_status(), RC_EINVAL, "input_size (0)");
    cfg = rc_rnn_config_default(RC_CELL_GRU, 3, 4);
    cfg.dropout = 1.0f;
    T_CHECK(!rc_rnn_new(&cfg, p, NULL, NULL), "dropout 1 accepted");

    t_case("cells: names, gates and the PyTorch weight names");
    T_CHECK(rc_cell_from_name("gru_reset_before") == RC_CELL_GRU_RESET_BEFORE &&
                rc_cell_from_name("nope") == -1 && strcmp(rc_cell_name(RC_CELL_LSTM), "lstm") == 0 &&
                rc_cell_gates(RC_CELL_GRU) == 3,
            "cell names");
    cfg = rc_rnn_config_default(RC_CELL_LSTM, 3, 4);
    cfg.num_layers = 2, cfg.bidirectional = 1, cfg.proj_size = 2, cfg.peephole = 1;
    rc_rnn *rnn = rc_rnn_new(&cfg, p, NULL, NULL);
    rc_tensor *w = rc_params_find(p, "weight_hh_l1_reverse"), *hr = rc_params_find(p, "weight_hr_l0");
    rc_tensor *ih1 = rc_params_find(p, "weight_ih_l1"), *ph = rc_params_find(p, "weight_ph_l1_reverse");
    T_CHECK(rnn && w && w->shape[0] == 16 && w->shape[1] == 2 && hr && hr->shape[0] == 2 &&
                hr->shape[1] == 4 && ih1 && ih1->shape[1] == 4 && ph && ph->shape[0] == 3,
            "PyTorch names and shapes");
    T_CHECK(rnn && rc_rnn_output_size(rnn) == 4 && rc_rnn_state_size(rnn) == 2, "sizes");

    t_case("cells: call errors name the tensor and the expected shape");
    rc_tape *tp = rc_tape_new();
    rc_tensor *x = rc_tape_tensor(tp, 3, (size_t[]){5, 2, 4});
    T_CHECK(!rc_rnn_forward(tp, rnn, x, NULL, NULL, NULL), "wrong input width accepted");
    T_CHECK_ERROR(rc_last_status(), RC_ESHAPE, "input must be [T, B, 3], got [5, 2, 4]");
    x = rc_tape_tensor(tp, 3, (size_t[]){5, 2, 3});
    rc_rnn_options o = {0};
    o.h0 = rc_tape_tensor(tp, 3, (size_t[]){4, 2, 4});
    T_CHECK(!rc_rnn_forward(tp, rnn, x, &o, NULL, NULL), "wrong h0 accepted");
    T_CHECK_ERROR(rc_last_status(), RC_ESHAPE, "h0 must be [4, 2, 2], got [4, 2, 4]");
    o.h0 = NULL;
    o.lengths = (int32_t[]){5, 6};
    T_CHECK(!rc_rnn_forward(tp, rnn, x, &o, NULL, NULL), "length 6 > T accepted");
    T_CHECK_ERROR(rc_last_status(), RC_EINVAL, "lengths[1] = 6 is not in 1..5");
    o.lengths = (int32_t[]){0, 5};
    T_CHECK(!rc_rnn_forward(tp, rnn, x, &o, NULL, NULL), "length 0 accepted");
    rc_rnn_free(rnn);
    cfg = rc_rnn_config_default(RC_CELL_GRU, 3, 4);
    rc_params *p2 = rc_params_new();
    rnn = rc_rnn_new(&cfg, p2, NULL, NULL);
    o = (rc_rnn_options){0};
    o.c0 = rc_tape_tensor(tp, 3, (size_t[]){1, 2, 4});
    T_CHECK(!rc_rnn_forward(tp, rnn, x, &o, NULL, NULL), "c0 for a GRU accepted");
    T_CHECK_ERROR(rc_last_status(), RC_EINVAL, "c0 given, but a gru has no state c");
    rc_rnn_free(rnn);
    rc_rnn_free(NULL);
    rc_tape_free(tp);
    rc_params_free(p);
    rc_params_free(p2);
}

/* Independent widths mean a chain of one-layer networks: layer l of a
 * network with hidden_sizes equals a one-layer network of width H_l fed
 * the layer below's output (the same weights, renamed _l0), from the
 * leading columns of its rows of h0 / c0; its final states are those
 * columns, zeros after them. */
static void check_widths_chain(int cell, int bidirectional)
{
    enum { T = 4, B = 2, I = 3, L = 3 };
    const size_t widths[L] = {5, 2, 4};
    size_t D = bidirectional ? 2 : 1;
    rc_rng rng;
    rc_rng_seed(&rng, 31, 7);
    rc_rnn_config cfg = rc_rnn_config_default(cell, I, 4);
    cfg.num_layers = L, cfg.bidirectional = bidirectional;
    memcpy(cfg.hidden_sizes, widths, sizeof widths);
    rc_params *p = rc_params_new();
    rc_rnn *rnn = rc_rnn_new(&cfg, p, NULL, &rng);
    T_CHECK(rnn, "%s", rc_last_error());
    if (!rnn) {
        rc_params_free(p);
        return;
    }
    size_t n_states = rc_rnn_state_count(rnn);
    rc_tape *tp = rc_tape_new();
    rc_tensor *x = rc_tape_tensor(tp, 3, (size_t[]){T, B, I}), *s0[RC_MAX_STATES] = {0}, *s_n[RC_MAX_STATES];
    rc_tensor_fill_normal(x, &rng, 0.0f, 1.0f);
    for (size_t i = 0; i < n_states; i++) { /* every column drawn: those past a layer's width must not count */
        s0[i] = rc_tape_tensor(tp, 3, (size_t[]){L * D, B, rc_rnn_state_width(rnn, i)});
        rc_tensor_fill_normal(s0[i], &rng, 0.0f, 1.0f);
    }
    T_CHECK(rc_rnn_state_width(rnn, 0) == 5 && rc_rnn_layer_state_width(rnn, 1, 0) == 2 &&
                rc_rnn_output_size(rnn) == D * 4 && rc_rnn_layer_state_width(rnn, 3, 0) == 0,
            "widths: state 0 %zu, layer 1's %zu, output %zu", rc_rnn_state_width(rnn, 0),
            rc_rnn_layer_state_width(rnn, 1, 0), rc_rnn_output_size(rnn));
    rc_rnn_options o = {0};
    o.states0 = s0;
    rc_tensor *y = rc_rnn_forward_states(tp, rnn, x, &o, s_n);
    T_CHECK(y, "%s", rc_last_error());
    rc_tensor *in = x;
    double worst = 0.0;
    int zeros = 1;
    for (size_t l = 0; y && l < L; l++) {
        rc_rnn_config one = rc_rnn_config_default(cell, in->shape[2], widths[l]);
        one.bidirectional = bidirectional;
        rc_params *q = rc_params_new();
        rc_rnn *layer_net = rc_rnn_new(&one, q, NULL, NULL);
        for (size_t k = 0; layer_net && k < rc_params_count(q); k++) { /* weight_ih_l0 <- weight_ih_l{l} */
            char name[96];
            const char *own = rc_params_name(q, k), *at = strstr(own, "_l0");
            snprintf(name, sizeof name, "%.*s_l%zu%s", (int)(at - own), own, l, at + 3);
            rc_tensor *from = rc_params_find(p, name), *to = rc_params_tensor(q, k);
            T_CHECK(from && from->size == to->size, "%s: no %s of %zu values", own, name, to->size);
            if (from && from->size == to->size)
                memcpy(to->data, from->data, to->size * sizeof(float));
        }
        rc_tensor *t0[RC_MAX_STATES] = {0}, *t_n[RC_MAX_STATES] = {0};
        for (size_t i = 0; layer_net && i < n_states; i++) {
            size_t n = rc_rnn_state_width(rnn, i), w = rc_rnn_layer_state_width(rnn, l, i);
            t0[i] = rc_tape_tensor(tp, 3, (size_t[]){D, B, w});
            for (size_t r = 0; r < D * B; r++)
                memcpy(t0[i]->data + r * w, s0[i]->data + (l * D * B + r) * n, w * sizeof(float));
        }
        o.states0 = t0;
        rc_tensor *out = layer_net ? rc_rnn_forward_states(tp, layer_net, in, &o, t_n) : NULL;
        T_CHECK(out, "layer %zu alone: %s", l, rc_last_error());
        for (size_t i = 0; out && i < n_states; i++) {
            size_t n = rc_rnn_state_width(rnn, i), w = rc_rnn_layer_state_width(rnn, l, i);
            for (size_t r = 0; r < D * B; r++)
                for (size_t j = 0; j < n; j++) {
                    float v = s_n[i]->data[(l * D * B + r) * n + j];
                    if (j < w)
                        worst = fmax(worst, fabs(v - t_n[i]->data[r * w + j]));
                    else
                        zeros &= v == 0.0f;
                }
        }
        in = out;
        rc_rnn_free(layer_net);
        rc_params_free(q);
    }
    T_CHECK(!y || (in && t_max_diff(in->data, y->data, y->size) <= 1e-6),
            "the last layer's output differs from the chain's by %g", in ? t_max_diff(in->data, y->data, y->size) : -1.0);
    T_CHECK(worst <= 1e-6, "final states differ from the chain's by %g", worst);
    T_CHECK(zeros, "final states are not zero past a layer's width");
    rc_tape_free(tp);
    rc_rnn_free(rnn);
    rc_params_free(p);
}

static void test_widths(void)
{
    const int cells[] = {RC_CELL_LSTM, RC_CELL_GRU, RC_CELL_QRNN_FO, RC_CELL_MOGRIFIER};
    for (size_t i = 0; i < sizeof cells / sizeof cells[0]; i++)
        for (int bi = 0; bi <= 1; bi++) {
            t_case("cells: independent widths equal a chain of one-layer networks: %s %s", rc_cell_name(cells[i]),
                   bi ? "bi" : "uni");
            if (t_selected())
                check_widths_chain(cells[i], bi);
        }

    t_case("cells: independent widths are checked, the message names the field");
    rc_params *p = rc_params_new();
    rc_rnn_config cfg = rc_rnn_config_default(RC_CELL_LSTM, 3, 4);
    cfg.num_layers = 2, cfg.hidden_sizes[2] = 5;
    T_CHECK(!rc_rnn_new(&cfg, p, NULL, NULL), "a width for a third layer of two accepted");
    T_CHECK_ERROR(rc_last_status(), RC_EINVAL, "hidden_sizes[2] = 5 is set, but the network has 2 layers");
    cfg.hidden_sizes[2] = 0, cfg.hidden_sizes[1] = 6, cfg.residual = 1;
    T_CHECK(!rc_rnn_new(&cfg, p, NULL, NULL), "residual links between widths 4 and 6 accepted");
    T_CHECK_ERROR(rc_last_status(), RC_EINVAL, "need equal widths");
    cfg = rc_rnn_config_default(RC_CELL_LSTM, 3, 4);
    cfg.num_layers = 2, cfg.hidden_sizes[1] = 2, cfg.proj_size = 3;
    T_CHECK(!rc_rnn_new(&cfg, p, NULL, NULL), "projection 3 of a layer of width 2 accepted");
    T_CHECK_ERROR(rc_last_status(), RC_EINVAL, "proj_size 3 must be smaller than hidden_size 2");
    rc_params_free(p);

    t_case("cells: independent widths survive rc_rnn_save and rc_rnn_load");
    p = rc_params_new();
    cfg = rc_rnn_config_default(RC_CELL_GRU, 3, 4);
    cfg.num_layers = 3, cfg.hidden_sizes[0] = 6, cfg.hidden_sizes[2] = 2;
    rc_rng seed;
    rc_rng_seed(&seed, 5, 5);
    rc_rnn *saved = rc_rnn_new(&cfg, p, NULL, &seed);
    T_CHECK(saved && rc_rnn_save(saved, t_path("widths.safetensors")) == RC_OK, "%s", rc_last_error());
    rc_rnn *back = rc_rnn_load(t_path("widths.safetensors"), -1);
    T_CHECK(back, "%s", rc_last_error());
    if (saved && back) {
        const rc_rnn_config *b = rc_rnn_config_of(back);
        T_CHECK(b->num_layers == 3 && rc_rnn_config_layer_size(b, 0) == 6 && rc_rnn_config_layer_size(b, 1) == 4 &&
                    rc_rnn_config_layer_size(b, 2) == 2 && rc_rnn_output_size(back) == 2,
                "widths back: %zu, %zu, %zu", rc_rnn_config_layer_size(b, 0), rc_rnn_config_layer_size(b, 1),
                rc_rnn_config_layer_size(b, 2));
        rc_tape *tp = rc_tape_new();
        rc_tensor *x = rc_tape_tensor(tp, 3, (size_t[]){4, 2, 3});
        rc_tensor_fill_normal(x, &seed, 0.0f, 1.0f);
        rc_tensor *y0 = rc_rnn_forward(tp, saved, x, NULL, NULL, NULL), *y1 = rc_rnn_forward(tp, back, x, NULL, NULL, NULL);
        T_CHECK(y0 && y1 && y0->size == y1->size && !memcmp(y0->data, y1->data, y0->size * sizeof(float)),
                "outputs differ after loading");
        rc_tape_free(tp);
    }
    rc_rnn_free(saved);
    rc_rnn_free(back);
    rc_params_free(p);

    t_case("cells: each layer starts from its own width's draw (+-1/sqrt(H_l))");
    p = rc_params_new();
    rc_rng rng;
    rc_rng_seed(&rng, 3, 3);
    cfg = rc_rnn_config_default(RC_CELL_LSTM, 3, 100);
    cfg.num_layers = 2, cfg.hidden_sizes[1] = 4;
    rc_rnn *rnn = rc_rnn_new(&cfg, p, NULL, &rng);
    rc_tensor *w0 = rc_params_find(p, "weight_hh_l0"), *w1 = rc_params_find(p, "weight_hh_l1");
    double m0 = w0 ? t_max_abs(w0->data, w0->size) : 0.0, m1 = w1 ? t_max_abs(w1->data, w1->size) : 0.0;
    T_CHECK(rnn && m0 <= 0.1 && m0 > 0.09 && m1 <= 0.5 && m1 > 0.4, "largest |w|: layer 0 %g (bound 0.1), layer 1 %g "
            "(bound 0.5)", m0, m1);
    rc_rnn_free(rnn);
    rc_params_free(p);
}

static void check_fd_fused(net *n) { check_fd(n, 0); }

static void check_fd_composed(net *n) { check_fd(n, 1); }

/* The case named name, when selected: a fresh network through one check. */
static void run_check(const cell_case *c, const char *what, const char *name, void (*check)(net *))
{
    t_case("%s%s", what, name);
    if (!t_selected())
        return;
    net n;
    net_init(&n, c);
    if (n.rnn)
        check(&n);
    net_free(&n);
}

void suite_cells(void)
{
    char name[160];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const cell_case *c = &cases[i];
        describe(name, sizeof name, c);
        run_check(c, "cells: fused == composed: ", name, check_fused_equals_composed);
        if (c->hidden) /* too many weights for finite differences: the threads instead */
            run_check(c, "cells: the same bits on 1 and 2 threads: ", name, check_threads);
        else
            run_check(c, "gradcheck: rnn_layer (fused) ", name, check_fd_fused);
        if (c->layers == 1 && !c->bidirectional && !c->hidden)
            run_check(c, "gradcheck: composed cell ", name, check_fd_composed);
        if (c->with_lengths && !c->batch_first && c->dropout == 0.0f)
            run_check(c, "cells: lengths act as packed sequences: ", name, check_lengths);
    }
    test_errors();
    test_widths();
}

/* ------------------------------------------------------------ streaming */


static void check_stream(const cell_case *c, size_t chunk)
{
    net n;
    net_init(&n, c);
    if (!n.rnn)
        return;
    size_t B = c->batch, L = c->layers, Ho = rc_rnn_state_size(n.rnn), W = rc_rnn_output_size(n.rnn);
    size_t T = n.T, I = n.I;
    rc_tape *tp = rc_tape_new();
    rc_rnn_options o = {0};
    o.h0 = n.h0;
    o.c0 = n.c0;
    rc_tensor *h_n = NULL, *c_n = NULL;
    rc_tensor *y = rc_rnn_forward(tp, n.rnn, n.x, &o, &h_n, &c_n);
    rc_rnn_stream *s = rc_rnn_stream_new(n.rnn, B, chunk);
    T_CHECK(y && s, "%s", rc_last_error());
    if (y && s) {
        if (n.h0)
            memcpy(rc_rnn_stream_h(s), n.h0->data, n.h0->size * sizeof(float));
        if (n.c0)
            memcpy(rc_rnn_stream_c(s), n.c0->data, n.c0->size * sizeof(float));
        float *ys = malloc(T * B * W * sizeof *ys);
        rc_rnn_stream_run(s, n.x->data, 1, ys); /* warm-up: BLAS may set up buffers once */
        struct mallinfo2 before = mallinfo2();
        for (size_t t = 1; t < T; t += chunk) { /* calls of `chunk` steps; the last may be shorter */
            size_t steps = T - t < chunk ? T - t : chunk;
            rc_rnn_stream_run(s, n.x->data + t * B * I, steps, ys + t * B * W);
        }
        struct mallinfo2 after = mallinfo2();
        T_CHECK(after.uordblks == before.uordblks && after.hblkhd == before.hblkhd,
                "running allocated: %zu -> %zu bytes in use", before.uordblks, after.uordblks);
        double worst = 0.0;
        for (size_t i = 0; i < T * B * W; i++)
            worst = fmax(worst, fabs(ys[i] - y->data[i]));
        for (size_t i = 0; i < L * B * Ho; i++)
            worst = fmax(worst, fabs(rc_rnn_stream_h(s)[i] - h_n->data[i]));
        for (size_t i = 0; c_n && i < c_n->size; i++)
            worst = fmax(worst, fabs(rc_rnn_stream_c(s)[i] - c_n->data[i]));
        /* a stream runs an LSTM's and a GRU's packed kernels on a dense x; the whole pass takes them only
         * for an LSTM of 4 or more rows, sums a sparse x over its nonzeros and multiplies a narrow x
         * on the BLAS */
        int same_kernels = (c->cell != RC_CELL_LSTM && c->cell != RC_CELL_GRU) || c->proj ||
                           (c->cell == RC_CELL_LSTM && c->batch >= 4 && !c->sparse_x &&
                            !narrow_lstm_input(c, I));
        if (!same_kernels)
            T_CHECK(worst <= 1e-6, "stream differs from the whole sequence by %g", worst);
        else
            T_CHECK(worst == 0.0, "stream differs from the whole sequence by %g (must be bitwise equal)", worst);
        free(ys);
    }
    rc_rnn_stream_free(s);
    rc_tape_free(tp);
    net_free(&n);
}

void suite_stream(void)
{
    char name[160];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const cell_case *c = &cases[i];
        if (c->bidirectional || c->with_lengths || c->batch_first || c->dropout > 0.0f)
            continue;
        describe(name, sizeof name, c);
        for (size_t chunk = 1; chunk <= 3; chunk += 2) {
            t_case("stream: %zu step(s) at a time == whole sequence, no allocation: %s", chunk, name);
            if (t_selected())
                check_stream(c, chunk);
        }
    }
    t_case("stream: a bidirectional network cannot stream");
    rc_params *p = rc_params_new();
    rc_rnn_config cfg = rc_rnn_config_default(RC_CELL_GRU, 3, 4);
    cfg.bidirectional = 1;
    rc_rnn *rnn = rc_rnn_new(&cfg, p, NULL, NULL);
    T_CHECK(!rc_rnn_stream_new(rnn, 1, 1), "accepted");
    T_CHECK_ERROR(rc_last_status(), RC_EINVAL, "bidirectional");
    T_CHECK(!rc_rnn_stream_new(rnn, 0, 1), "batch 0 accepted");
    rc_rnn_free(rnn);
    rc_params_free(p);
    rc_rnn_stream_free(NULL);
}
