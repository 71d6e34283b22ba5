/* seq.c — the one driver that runs any cell over a sequence: layers,
 * directions, dropout between layers, residual links, initial and final
 * states, per-sequence lengths, batch-first at the edge.
 *
 * Each layer and direction runs either as one fused kernel recorded as a
 * single tape node (src/kernels/recurrent.h), or step by step through the
 * cell's composed step (the specification the kernels are tested against).
 * Lengths: at steps t >= lengths[b] the state of sequence b is kept and its
 * output is zero, so the reverse direction starts at each sequence's own
 * last step, as with PyTorch's packed sequences. */
#include "cells.h"

#include "../kernels/recurrent.h"
#include "../ops/ops.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The registry: each cell's composed step, from RC_CELL_LIST. */
static const rc__step_fn cell_steps[RC_CELL_COUNT] = {
#define RC__CELL_STEP(id, name, gates, family) [id] = rc__##family##_step,
    RC_CELL_LIST(RC__CELL_STEP)
#undef RC__CELL_STEP
};

struct rc_rnn {
    rc_rnn_config cfg;
    size_t dirs;        /* D */
    rc__layer *layers;  /* [L * D], layer-major, forward before reverse */
    rc_params *params;  /* where the weights live */
    int owns_params;    /* rc_rnn_free frees them (networks loaded from files) */
    char prefix[64];    /* of the weights' names in params */
};

rc_rnn_config rc_rnn_config_default(int cell, size_t input_size, size_t hidden_size)
{
    rc_rnn_config cfg = {0};
    cfg.cell = cell;
    cfg.input_size = input_size;
    cfg.hidden_size = hidden_size;
    cfg.num_layers = 1;
    cfg.bias = 1;
    return cfg;
}

int rc_rnn_config_check(const rc_rnn_config *cfg)
{
    if (!cfg)
        return rc__fail(RC_EINVAL, "rnn config: NULL");
    if (!rc_cell_name(cfg->cell))
        return rc__fail(RC_EINVAL, "rnn config: cell %d is not one of the %d cells", cfg->cell,
                        RC_CELL_COUNT);
    if (cfg->input_size == 0 || cfg->hidden_size == 0 || cfg->num_layers == 0)
        return rc__fail(RC_EINVAL, "rnn config: input_size (%zu), hidden_size (%zu) and num_layers "
                                   "(%zu) must all be at least 1",
                        cfg->input_size, cfg->hidden_size, cfg->num_layers);
    int lstm = cfg->cell == RC_CELL_LSTM;
    if (cfg->proj_size && (!lstm || cfg->proj_size >= cfg->hidden_size))
        return rc__fail(RC_EINVAL, "rnn config: proj_size %zu needs an LSTM and must be smaller "
                                   "than hidden_size %zu",
                        cfg->proj_size, cfg->hidden_size);
    if (cfg->peephole && !lstm)
        return rc__fail(RC_EINVAL, "rnn config: peepholes need an LSTM, the cell is %s",
                        rc_cell_name(cfg->cell));
    if (!(cfg->dropout >= 0.0f && cfg->dropout < 1.0f))
        return rc__fail(RC_EINVAL, "rnn config: dropout %g is not in [0, 1)", (double)cfg->dropout);
    return RC_OK;
}

size_t rc_rnn_state_size(const rc_rnn *rnn)
{
    return rnn->cfg.proj_size ? rnn->cfg.proj_size : rnn->cfg.hidden_size;
}

size_t rc_rnn_output_size(const rc_rnn *rnn) { return rnn->dirs * rc_rnn_state_size(rnn); }

const rc_rnn_config *rc_rnn_config_of(const rc_rnn *rnn) { return &rnn->cfg; }

/* Adds prefix + base + "_l{layer}" + "_reverse"? to params. */
static rc_tensor *add_weight(rc_params *params, const char *prefix, const char *base, size_t layer,
                             size_t dir, int ndim, size_t rows, size_t cols)
{
    char name[128];
    snprintf(name, sizeof name, "%s%s_l%zu%s", prefix ? prefix : "", base, layer,
             dir ? "_reverse" : "");
    return rc_params_add(params, name, ndim, (size_t[]){rows, cols});
}

rc_rnn *rc_rnn_new(const rc_rnn_config *cfg, rc_params *params, const char *prefix, rc_rng *rng)
{
    if (rc_rnn_config_check(cfg))
        return NULL;
    if (!params)
        return rc__fail_null(RC_EINVAL, "rc_rnn_new: params is NULL");
    rc_rnn *rnn = calloc(1, sizeof *rnn);
    size_t D = cfg->bidirectional ? 2 : 1, L = cfg->num_layers;
    if (rnn)
        rnn->layers = calloc(L * D, sizeof *rnn->layers);
    if (!rnn || !rnn->layers) {
        free(rnn);
        return rc__fail_null(RC_ENOMEM, "rc_rnn_new: out of memory");
    }
    rnn->cfg = *cfg;
    rnn->dirs = D;
    rnn->params = params;
    snprintf(rnn->prefix, sizeof rnn->prefix, "%s", prefix ? prefix : "");
    size_t H = cfg->hidden_size, Ho = rc_rnn_state_size(rnn), GH = rc_cell_gates(cfg->cell) * H;
    for (size_t l = 0; l < L; l++)
        for (size_t d = 0; d < D; d++) {
            rc__layer *w = &rnn->layers[l * D + d];
            size_t in = l == 0 ? cfg->input_size : D * Ho;
            w->w_ih = add_weight(params, prefix, "weight_ih", l, d, 2, GH, in);
            w->w_hh = add_weight(params, prefix, "weight_hh", l, d, 2, GH, Ho);
            if (cfg->bias) {
                w->b_ih = add_weight(params, prefix, "bias_ih", l, d, 1, GH, 1);
                w->b_hh = add_weight(params, prefix, "bias_hh", l, d, 1, GH, 1);
            }
            if (cfg->proj_size)
                w->w_hr = add_weight(params, prefix, "weight_hr", l, d, 2, Ho, H);
            if (cfg->peephole)
                w->w_ph = add_weight(params, prefix, "weight_ph", l, d, 2, 3, H);
            if (!w->w_ih || !w->w_hh || (cfg->bias && !w->b_hh) || (cfg->proj_size && !w->w_hr) ||
                (cfg->peephole && !w->w_ph)) {
                rc_rnn_free(rnn);
                return NULL;
            }
        }
    if (rng) { /* PyTorch: every weight uniform in +-1/sqrt(H) */
        float k = 1.0f / sqrtf((float)H);
        for (size_t i = 0; i < L * D; i++) {
            rc_tensor *all[6] = {rnn->layers[i].w_ih, rnn->layers[i].w_hh, rnn->layers[i].b_ih,
                                 rnn->layers[i].b_hh, rnn->layers[i].w_hr, rnn->layers[i].w_ph};
            for (int j = 0; j < 6; j++)
                if (all[j])
                    rc_tensor_fill_uniform(all[j], rng, -k, k);
        }
    }
    return rnn;
}

void rc_rnn_free(rc_rnn *rnn)
{
    if (!rnn)
        return;
    if (rnn->owns_params)
        rc_params_free(rnn->params);
    free(rnn->layers);
    free(rnn);
}

rc_params *rc_rnn_params(const rc_rnn *rnn) { return rnn->params; }

const char *rc__rnn_prefix(const rc_rnn *rnn) { return rnn->prefix; }

const rc__layer *rc__rnn_layer(const rc_rnn *rnn, size_t l, size_t d)
{
    return &rnn->layers[l * rnn->dirs + d];
}

void rc__rnn_own_params(rc_rnn *rnn) { rnn->owns_params = 1; }

/* ------------------------------------------------------------ fused layers */

typedef struct {
    rc__seq_dims dims;
    float *cache;
} fused_saved;

enum { IN_X, IN_H0, IN_C0, IN_W_IH, IN_W_HH, IN_B_IH, IN_B_HH, IN_W_HR, IN_W_PH, N_IN };

static const float *data_of(const rc_tensor *t) { return t ? t->data : NULL; }

static rc__seq_weights weights_of(rc_tensor *const *in)
{
    return (rc__seq_weights){data_of(in[IN_W_IH]), data_of(in[IN_W_HH]), data_of(in[IN_B_IH]),
                             data_of(in[IN_B_HH]), data_of(in[IN_W_HR]), data_of(in[IN_W_PH]), NULL, NULL};
}

static int fused_backward(rc_tape *tp, rc__node *node)
{
    const fused_saved *sv = node->saved;
    float *g[N_IN];
    int status = rc__input_grads(tp, node, g);
    if (status)
        return status;
    float *work = rc__tape_scratch(tp, rc__seq_work_size(&sv->dims, 1));
    if (!work)
        return RC_ENOMEM;
    rc__seq_grads grads = {g[IN_X], g[IN_H0], g[IN_C0], g[IN_W_IH], g[IN_W_HH],
                           g[IN_B_IH], g[IN_B_HH], g[IN_W_HR], g[IN_W_PH]};
    rc__seq_weights w = weights_of(node->in);
    rc_tensor *h_n = node->extra[0], *c_n = node->extra[1];
    rc__seq_backward(&sv->dims, &w, node->in[IN_X]->data, sv->cache, node->out->grad,
                     h_n->grad, c_n ? c_n->grad : NULL, &grads, work);
    return RC_OK;
}

/* One layer and direction through the fused kernel.  x [T, B, I],
 * h0 [1, B, Ho], c0 [1, B, H] or NULL → y [T, B, Ho], *h_n [1, B, Ho],
 * *c_n [1, B, H] (LSTM). */
static rc_tensor *fused_layer(rc_tape *tp, const rc_rnn *rnn, const rc__layer *w, int reverse,
                              rc_tensor *x, rc_tensor *h0, rc_tensor *c0, const int32_t *lengths,
                              rc_tensor **h_n, rc_tensor **c_n)
{
    const rc_rnn_config *cfg = &rnn->cfg;
    size_t T = x->shape[0], B = x->shape[1], H = cfg->hidden_size, Ho = rc_rnn_state_size(rnn);
    int lstm = cfg->cell == RC_CELL_LSTM;
    rc__seq_dims dims = {cfg->cell, T, B, x->shape[2], H, cfg->proj_size, reverse, lengths, 0};
    dims.sparse_x = rc__seq_sparse_x(&dims, x->data);
    rc_tensor *y = rc__tape_output(tp, "rc_rnn_forward", 3, (size_t[]){T, B, Ho});
    *h_n = rc__tape_output(tp, "rc_rnn_forward", 3, (size_t[]){1, B, Ho});
    *c_n = lstm ? rc__tape_output(tp, "rc_rnn_forward", 3, (size_t[]){1, B, H}) : NULL;
    if (!y || !*h_n || (lstm && !*c_n))
        return NULL;

    rc_tensor *in[N_IN] = {x, h0, c0, w->w_ih, w->w_hh, w->b_ih, w->b_hh, w->w_hr, w->w_ph};
    rc__node *node;
    if (rc__record(tp, RC__OP_rnn_layer, fused_backward, y, N_IN, in, &node))
        return NULL;
    fused_saved *sv = NULL;
    if (node) {
        sv = rc__tape_alloc(tp, 1, sizeof *sv);
        float *cache = rc__tape_alloc(tp, rc__seq_cache_size(&dims), sizeof(float));
        if (!sv || !cache)
            return NULL;
        sv->dims = dims;
        sv->cache = cache;
        node->saved = sv;
        rc__add_output(node, 0, *h_n);
        if (lstm)
            rc__add_output(node, 1, *c_n);
    }
    float *work = rc__tape_scratch(tp, rc__seq_work_size(&dims, 0)); /* after the tape's allocations above */
    if (!work)
        return NULL;
    rc__seq_weights wk = weights_of(in);
    rc__seq_forward(&dims, &wk, x->data, h0->data, c0 ? c0->data : NULL, y->data, (*h_n)->data,
                    lstm ? (*c_n)->data : NULL, sv ? sv->cache : NULL, work);
    return y;
}

/* ------------------------------------------------------------ composed layers */

/* A constant [1, B, 1] column: 1 where step t is inside sequence b. */
static rc_tensor *step_mask(rc_tape *tp, const int32_t *lengths, size_t t, size_t B)
{
    rc_tensor *m = rc_tape_tensor(tp, 3, (size_t[]){1, B, 1});
    for (size_t b = 0; m && b < B; b++)
        m->data[b] = t < (size_t)lengths[b] ? 1.0f : 0.0f;
    return m;
}

/* keep + mask * (new - keep): new where the mask is 1, keep where it is 0. */
static rc_tensor *masked(rc_tape *tp, rc_tensor *mask, rc_tensor *new_value, rc_tensor *keep)
{
    return rc_add(tp, keep, rc_mul(tp, mask, rc_sub(tp, new_value, keep)));
}

/* The same contract as fused_layer, step by step through the cell's
 * composed step. */
static rc_tensor *composed_layer(rc_tape *tp, const rc_rnn *rnn, const rc__layer *w, int reverse,
                                 rc_tensor *x, rc_tensor *h0, rc_tensor *c0, const int32_t *lengths,
                                 rc_tensor **h_n, rc_tensor **c_n)
{
    size_t T = x->shape[0], B = x->shape[1];
    rc__step_fn step = cell_steps[rnn->cfg.cell];
    rc_tensor **ys = rc__tape_alloc(tp, T, sizeof *ys);
    if (!ys)
        return NULL;
    rc_tensor *h = h0, *c = c0;
    for (size_t s = 0; s < T; s++) {
        size_t t = reverse ? T - 1 - s : s;
        rc_tensor *c_new = NULL;
        rc_tensor *h_new = step(tp, rnn->cfg.cell, w, rc_slice(tp, x, 0, t, 1), h, c, &c_new);
        if (!h_new)
            return NULL;
        if (lengths) {
            rc_tensor *mask = step_mask(tp, lengths, t, B);
            ys[t] = rc_mul(tp, h_new, mask);
            h = masked(tp, mask, h_new, h);
            c = c ? masked(tp, mask, c_new, c) : NULL;
        } else {
            ys[t] = h_new;
            h = h_new;
            c = c_new;
        }
    }
    *h_n = h;
    *c_n = c;
    return rc_concat(tp, ys, T, 0);
}

/* ------------------------------------------------------------ the driver */

/* Row `row` of a state tensor [L*D, B, n] as [1, B, n], or zeros. */
static rc_tensor *state_row(rc_tape *tp, rc_tensor *s, size_t row, size_t B, size_t n)
{
    return s ? rc_slice(tp, s, 0, row, 1) : rc_tape_tensor(tp, 3, (size_t[]){1, B, n});
}

static int check_state(const char *what, const rc_tensor *s, size_t rows, size_t B, size_t n)
{
    if (s && (s->ndim != 3 || s->shape[0] != rows || s->shape[1] != B || s->shape[2] != n)) {
        char sh[64];
        return rc__fail(RC_ESHAPE, "rc_rnn_forward: %s must be [%zu, %zu, %zu], got %s", what, rows,
                        B, n, rc_shape_str(s, sh, sizeof sh));
    }
    return RC_OK;
}

static int check_call(const rc_rnn *rnn, const rc_tensor *x, const rc_rnn_options *o)
{
    const rc_rnn_config *cfg = &rnn->cfg;
    char sh[64];
    if (x->ndim != 3 || x->shape[2] != cfg->input_size)
        return rc__fail(RC_ESHAPE, "rc_rnn_forward: input must be [%s, %zu], got %s",
                        o->batch_first ? "B, T" : "T, B", cfg->input_size,
                        rc_shape_str(x, sh, sizeof sh));
    size_t T = x->shape[o->batch_first ? 1 : 0], B = x->shape[o->batch_first ? 0 : 1];
    size_t rows = cfg->num_layers * rnn->dirs;
    if (check_state("h0", o->h0, rows, B, rc_rnn_state_size(rnn)) ||
        check_state("c0", o->c0, rows, B, cfg->hidden_size))
        return rc_last_status();
    if (o->c0 && cfg->cell != RC_CELL_LSTM)
        return rc__fail(RC_EINVAL, "rc_rnn_forward: c0 given, but a %s has no cell state",
                        rc_cell_name(cfg->cell));
    for (size_t b = 0; o->lengths && b < B; b++)
        if (o->lengths[b] < 1 || (size_t)o->lengths[b] > T)
            return rc__fail(RC_EINVAL, "rc_rnn_forward: lengths[%zu] = %ld is not in 1..%zu", b,
                            (long)o->lengths[b], T);
    return RC_OK;
}

/* Stacks the final states [1, B, n] of every layer and direction. */
static rc_tensor *stack_states(rc_tape *tp, rc_tensor **rows, size_t n)
{
    return rc_concat(tp, rows, n, 0);
}

rc_tensor *rc_rnn_forward(rc_tape *tp, rc_rnn *rnn, rc_tensor *x, const rc_rnn_options *opts,
                          rc_tensor **h_n, rc_tensor **c_n)
{
    static const rc_rnn_options none = {0};
    const rc_rnn_options *o = opts ? opts : &none;
    if (rc__check_inputs(tp, "rc_rnn_forward", 1, &x))
        return NULL;
    if (!rnn)
        return rc__fail_null(RC_EINVAL, "rc_rnn_forward: network is NULL");
    if (check_call(rnn, x, o))
        return NULL;
    const rc_rnn_config *cfg = &rnn->cfg;
    size_t L = cfg->num_layers, D = rnn->dirs, H = cfg->hidden_size, Ho = rc_rnn_state_size(rnn);
    int lstm = cfg->cell == RC_CELL_LSTM;
    rc_tensor *input = o->batch_first ? rc_transpose(tp, x, 0, 1) : x;
    size_t B = x->shape[o->batch_first ? 0 : 1];
    rc_tensor **hs = rc__tape_alloc(tp, L * D, sizeof *hs), **cs = rc__tape_alloc(tp, L * D, sizeof *cs);
    if (!input || !hs || !cs)
        return NULL;

    for (size_t l = 0; l < L; l++) {
        rc_tensor *outs[2];
        for (size_t d = 0; d < D; d++) {
            size_t row = l * D + d;
            rc_tensor *h0 = state_row(tp, o->h0, row, B, Ho);
            rc_tensor *c0 = lstm ? state_row(tp, o->c0, row, B, H) : NULL;
            if (!h0 || (lstm && !c0))
                return NULL;
            outs[d] = (o->composed ? composed_layer : fused_layer)(
                tp, rnn, &rnn->layers[row], (int)d, input, h0, c0, o->lengths, &hs[row], &cs[row]);
            if (!outs[d])
                return NULL;
        }
        rc_tensor *out = D == 2 ? rc_concat(tp, outs, 2, 2) : outs[0];
        if (cfg->residual && l > 0)
            out = rc_add(tp, out, input);
        if (l + 1 < L && cfg->dropout > 0.0f && o->dropout_rng)
            out = rc_dropout(tp, out, cfg->dropout, o->dropout_rng);
        if (!out)
            return NULL;
        input = out;
    }
    if (h_n && !(*h_n = stack_states(tp, hs, L * D)))
        return NULL;
    if (c_n)
        *c_n = lstm ? stack_states(tp, cs, L * D) : NULL;
    if (c_n && lstm && !*c_n)
        return NULL;
    return o->batch_first ? rc_transpose(tp, input, 0, 1) : input;
}
