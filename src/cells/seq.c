/* seq.c — the one driver that runs any cell over a sequence: layers,
 * directions, dropout between layers, residual links, initial and final
 * states, per-sequence lengths, batch-first at the edge.
 *
 * The network is what its cell declares (cell.h), layer by layer and
 * direction by direction: the parameters, named <base>_l{k}[_reverse], and
 * the states, carried as [L*D, B, n_i] between calls.  Each layer and
 * direction runs either as the cell's fused kernel, recorded as a single
 * tape node, or step by step through the cell's composed step (the
 * specification the kernels are tested against), which every cell has.
 * Lengths: at steps t >= lengths[b] the states of sequence b are kept and
 * its output is zero, so the reverse direction starts at each sequence's
 * own last step, as with PyTorch's packed sequences. */
#include "cells.h"

#include "../kernels/recurrent.h"
#include "../ops/ops.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What the layers declare, checked to agree: the states (by name; each
 * carried at its widest layer's width), the output width (the last
 * layer's; layer l > 0 reads D * O_{l-1}) and the widest, and the slots
 * (one past the highest any layer declares), and the parameters of all of them. */
typedef struct {
    size_t n_states, state_width[RC_MAX_STATES], out_width, max_out, n_params, numel;
    const char *state_name[RC_MAX_STATES];
    int flags[RC__CELL_MAX_PARAMS]; /* RC__PARAM_* by slot, as layer 0 declares them */
} net_shape;

struct rc_rnn {
    rc_rnn_config cfg;                  /* as used: proj_size, peephole and options resolved */
    const rc__cell *cell;
    size_t dirs;                        /* D */
    double opt[RC_CELL_MAX_OPTIONS];    /* the cell's options, set or default */
    rc__cell_layer *layers;             /* [L * D], layer-major, forward before reverse */
    rc__cell_decl *decls;               /* [L]: each layer's widths */
    net_shape shape;                    /* the states, output width and slots of every layer */
    rc_params *params;                  /* where the weights live */
    int owns_params;                    /* rc_rnn_free frees them (networks loaded from files) */
    char prefix[64];                    /* of the weights' names in params */
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

size_t rc_rnn_config_layer_size(const rc_rnn_config *cfg, size_t l)
{
    return l < RC_RNN_MAX_WIDTHS && cfg->hidden_sizes[l] ? cfg->hidden_sizes[l] : cfg->hidden_size;
}

/* Declares layer l into d, from its input width. */
static int declare_layer(const rc_rnn_config *cfg, const double *opt, size_t l, size_t in_width, rc__cell_decl *d)
{
    const rc__cell *cell = rc__cell_of(cfg->cell);
    rc__cell_dims dims = {in_width, rc_rnn_config_layer_size(cfg, l), cfg->bias, opt};
    memset(d, 0, sizeof *d);
    if (cell->declare(d, &dims))
        return rc_last_status();
    if (d->n_states == 0)
        return rc__fail(RC_EINVAL, "rnn config: the cell %s declares no state", rc_cell_name(cfg->cell));
    if (d->out_width == 0)
        d->out_width = d->state_width[0];
    return RC_OK;
}

/* Declares every layer (into decls [L], when not NULL) and the shape they
 * share. */
static int declare_all(const rc_rnn_config *cfg, const double *opt, rc__cell_decl *decls, net_shape *shape)
{
    size_t D = cfg->bidirectional ? 2 : 1;
    rc__cell_decl one;
    memset(shape, 0, sizeof *shape);
    for (size_t l = 0; l < cfg->num_layers; l++) {
        rc__cell_decl *d = decls ? &decls[l] : &one;
        size_t below = shape->out_width;
        if (declare_layer(cfg, opt, l, l == 0 ? cfg->input_size : D * below, d))
            return rc_last_status();
        if (l == 0) {
            shape->n_states = d->n_states;
            memcpy(shape->state_name, d->state_name, sizeof shape->state_name);
            for (size_t k = 0; k < RC__CELL_MAX_PARAMS; k++)
                shape->flags[k] = d->param[k].flags;
        } else if (d->n_states != shape->n_states ||
                   memcmp(d->state_name, shape->state_name, sizeof shape->state_name)) {
            return rc__fail(RC_EINVAL, "rnn config: the cell %s declares other states for layer %zu than for "
                                       "layer 0; they must stack",
                            rc_cell_name(cfg->cell), l);
        } else if (cfg->residual && d->out_width != below) {
            return rc__fail(RC_EINVAL, "rnn config: residual links add layer %zu's input (width %zu) to its output "
                                       "(width %zu); they need equal widths",
                            l, D * below, D * d->out_width);
        }
        for (size_t i = 0; i < d->n_states; i++)
            if (d->state_width[i] > shape->state_width[i])
                shape->state_width[i] = d->state_width[i];
        shape->out_width = d->out_width;
        if (D * d->out_width > shape->max_out)
            shape->max_out = D * d->out_width;
        if (d->n_params > shape->n_params)
            shape->n_params = d->n_params;
        for (size_t k = 0; k < d->n_params; k++) {
            size_t n = d->param[k].ndim ? 1 : 0;
            for (int j = 0; j < d->param[k].ndim; j++)
                if (!rc__mul_size(n, d->param[k].shape[j], &n))
                    n = SIZE_MAX;
            if (!rc__mul_size(n, D, &n) || !rc__add_size(shape->numel, n, &shape->numel))
                return rc__fail(RC_EINVAL, "rnn config: the network's parameters overflow (layer %zu)", l);
        }
    }
    return RC_OK;
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
    for (size_t l = cfg->num_layers; l < RC_RNN_MAX_WIDTHS; l++)
        if (cfg->hidden_sizes[l])
            return rc__fail(RC_EINVAL, "rnn config: hidden_sizes[%zu] = %zu is set, but the network has %zu "
                                       "layer%s",
                            l, cfg->hidden_sizes[l], cfg->num_layers, cfg->num_layers == 1 ? "" : "s");
    if (!(cfg->dropout >= 0.0f && cfg->dropout < 1.0f))
        return rc__fail(RC_EINVAL, "rnn config: dropout %g is not in [0, 1)", (double)cfg->dropout);
    if (!(cfg->weight_drop >= 0.0f && cfg->weight_drop < 1.0f))
        return rc__fail(RC_EINVAL, "rnn config: weight_drop %g is not in [0, 1)", (double)cfg->weight_drop);
    double opt[RC_CELL_MAX_OPTIONS];
    net_shape shape;
    if (rc__cell_options(cfg, opt) || declare_all(cfg, opt, NULL, &shape))
        return rc_last_status();
    return RC_OK;
}

int rc_rnn_config_params(const rc_rnn_config *cfg, size_t *numel)
{
    double opt[RC_CELL_MAX_OPTIONS];
    net_shape shape;
    if (!numel || rc_rnn_config_check(cfg) || rc__cell_options(cfg, opt) || declare_all(cfg, opt, NULL, &shape))
        return numel ? rc_last_status() : rc__fail(RC_EINVAL, "rc_rnn_config_params: NULL argument");
    *numel = shape.numel;
    return RC_OK;
}

size_t rc_rnn_state_size(const rc_rnn *rnn) { return rnn->shape.state_width[0]; }

size_t rc_rnn_input_size(const rc_rnn *rnn) { return rc_rnn_config_of(rnn)->input_size; }

size_t rc_rnn_output_size(const rc_rnn *rnn) { return rnn->dirs * rnn->shape.out_width; }

size_t rc_rnn_state_count(const rc_rnn *rnn) { return rnn->shape.n_states; }

size_t rc_rnn_layer_state_width(const rc_rnn *rnn, size_t l, size_t i)
{
    return rnn && l < rnn->cfg.num_layers && i < rnn->shape.n_states ? rnn->decls[l].state_width[i] : 0;
}

size_t rc__rnn_max_output(const rc_rnn *rnn) { return rnn->shape.max_out; }

const char *rc_rnn_state_name(const rc_rnn *rnn, size_t i)
{
    return i < rnn->shape.n_states ? rnn->shape.state_name[i] : NULL;
}

long rc_rnn_state_index(const rc_rnn *rnn, const char *name)
{
    for (size_t i = 0; rnn && name && i < rnn->shape.n_states; i++)
        if (!strcmp(rnn->shape.state_name[i], name))
            return (long)i;
    return -1;
}

size_t rc_rnn_state_width(const rc_rnn *rnn, size_t i)
{
    return i < rnn->shape.n_states ? rnn->shape.state_width[i] : 0;
}

const rc_rnn_config *rc_rnn_config_of(const rc_rnn *rnn) { return &rnn->cfg; }

/* The configuration as the network uses it: every option of the cell set,
 * and the PyTorch-spelled fields equal to their options. */
static void resolve(rc_rnn_config *cfg, const double *opt)
{
    const rc__cell *cell = rc__cell_of(cfg->cell);
    cfg->options_set = 0;
    for (size_t i = 0; cell->options && cell->options[i].name; i++) {
        cfg->options[i] = opt[i];
        cfg->options_set |= 1u << i;
    }
    int proj = rc__cell_option_index(cfg->cell, "proj_size"), peep = rc__cell_option_index(cfg->cell, "peephole");
    cfg->proj_size = proj < 0 ? 0 : (size_t)opt[proj];
    cfg->peephole = peep < 0 ? 0 : opt[peep] != 0.0;
}

int rc__rnn_draw(const rc_rnn *rnn, rc_tensor *w, rc_rng *rng)
{
    for (size_t i = 0; rnn && w && i < rnn->cfg.num_layers * rnn->dirs; i++)
        for (size_t k = 0; k < rnn->shape.n_params; k++) {
            if (rnn->layers[i].w[k] != w)
                continue;
            rc__init init = rnn->decls[i / rnn->dirs].param[k].init;
            if (init.kind == RC__INIT_ORTHOGONAL)
                return rc_tensor_fill_orthogonal(w, rng, 1.0f);
            if (init.kind == RC__INIT_ZERO || init.kind == RC__INIT_UNIFORM) {
                if (init.kind == RC__INIT_ZERO)
                    rc_tensor_fill(w, 0.0f);
                else
                    rc_tensor_fill_uniform(w, rng, -init.bound, init.bound);
                return RC_OK;
            }
            float b = 1.0f / sqrtf((float)(init.kind == RC__INIT_FAN_IN ? init.fan_in : rnn->layers[i].dims.H));
            rc_tensor_fill_uniform(w, rng, -b, b);
            return RC_OK;
        }
    return rc__fail(RC_EINVAL, "rc__rnn_draw: not one of the network's weights");
}

rc_rnn *rc_rnn_new(const rc_rnn_config *cfg, rc_params *params, const char *prefix, rc_rng *rng)
{
    if (rc_rnn_config_check(cfg))
        return NULL;
    if (!params)
        return rc__fail_null(RC_EINVAL, "rc_rnn_new: params is NULL");
    size_t D = cfg->bidirectional ? 2 : 1, L = cfg->num_layers;
    rc_rnn *rnn = calloc(1, sizeof *rnn);
    rc__cell_decl *decls = malloc(L * sizeof *decls);
    if (rnn)
        rnn->layers = calloc(L * D, sizeof *rnn->layers);
    if (!rnn || !rnn->layers || !decls) {
        free(decls);
        if (rnn)
            free(rnn->layers);
        free(rnn);
        return rc__fail_null(RC_ENOMEM, "rc_rnn_new: out of memory");
    }
    rnn->cfg = *cfg;
    rnn->decls = decls;
    rnn->cell = rc__cell_of(cfg->cell);
    rnn->dirs = D;
    rnn->params = params;
    snprintf(rnn->prefix, sizeof rnn->prefix, "%s", prefix ? prefix : "");
    if (rc__cell_options(cfg, rnn->opt) || declare_all(cfg, rnn->opt, decls, &rnn->shape)) {
        rc_rnn_free(rnn);
        return NULL;
    }
    resolve(&rnn->cfg, rnn->opt);
    for (size_t l = 0; l < L; l++)
        for (size_t d = 0; d < D; d++) {
            const rc__cell_decl *dc = &decls[l];
            rc__cell_layer *layer = &rnn->layers[l * D + d];
            layer->cell = rnn->cell;
            layer->dims = (rc__cell_dims){l == 0 ? cfg->input_size : D * decls[l - 1].out_width,
                                          rc_rnn_config_layer_size(cfg, l), cfg->bias, rnn->opt};
            for (size_t k = 0; k < dc->n_declared; k++) {
                const rc__cell_param *p = &dc->param[dc->order[k]];
                char name[160];
                snprintf(name, sizeof name, "%s%s_l%zu%s", rnn->prefix, p->base, l, d ? "_reverse" : "");
                if (!(layer->w[dc->order[k]] = rc_params_add(params, name, p->ndim, p->shape))) {
                    rc_rnn_free(rnn);
                    return NULL;
                }
            }
        }
    for (size_t i = 0; rng && i < L * D; i++) /* in declaration order, layer by layer */
        for (size_t k = 0; k < decls[i / D].n_declared; k++)
            if (rc__rnn_draw(rnn, rnn->layers[i].w[decls[i / D].order[k]], rng)) {
                rc_rnn_free(rnn);
                return NULL;
            }
    return rnn;
}

void rc_rnn_free(rc_rnn *rnn)
{
    if (!rnn)
        return;
    if (rnn->owns_params)
        rc_params_free(rnn->params);
    free(rnn->decls);
    free(rnn->layers);
    free(rnn);
}

rc_params *rc_rnn_params(const rc_rnn *rnn) { return rnn->params; }

const char *rc__rnn_prefix(const rc_rnn *rnn) { return rnn->prefix; }

const rc__cell_layer *rc__rnn_layer(const rc_rnn *rnn, size_t l, size_t d)
{
    return &rnn->layers[l * rnn->dirs + d];
}

const rc__cell_decl *rc__rnn_decl(const rc_rnn *rnn, size_t l) { return &rnn->decls[l]; }

void rc__rnn_own_params(rc_rnn *rnn) { rnn->owns_params = 1; }

/* ------------------------------------------------------------ fused layers */

/* The node's inputs: x, the initial states, then the layer's slots. */
enum { MAX_IN = 1 + RC_MAX_STATES + RC__CELL_MAX_PARAMS };

typedef struct {
    rc__fused_call call;
    rc__cell_dims dims;         /* call.dims points here */
    const rc__cell_kernels *k;
    size_t n_states, n_params;
    float *cache;
} fused_saved;

static const float *data_of(const rc_tensor *t) { return t ? t->data : NULL; }

static int fused_backward(rc_tape *tp, rc__node *node)
{
    fused_saved *sv = node->saved;
    sv->call.dims = &sv->dims;
    size_t n = sv->n_states;
    float *g[MAX_IN];
    int status = rc__input_grads(tp, node, g);
    if (status)
        return status;
    float *work = rc__tape_scratch(tp, sv->k->work_size(&sv->call, 1));
    if (!work)
        return RC_ENOMEM;
    const float *w[RC__CELL_MAX_PARAMS] = {0}, *ds_n[RC_MAX_STATES] = {0};
    float *g_w[RC__CELL_MAX_PARAMS] = {0}, *g_s0[RC_MAX_STATES] = {0};
    for (size_t j = 0; j < sv->n_params; j++) {
        w[j] = data_of(node->in[1 + n + j]);
        g_w[j] = g[1 + n + j];
    }
    for (size_t i = 0; i < n; i++) {
        g_s0[i] = g[1 + i];
        ds_n[i] = node->extra[i]->grad;
    }
    sv->k->backward(&sv->call, w, node->in[0]->data, sv->cache, node->out->grad, ds_n, g[0], g_w, g_s0, work);
    return RC_OK;
}

/* One layer and direction through the cell's fused kernel, one tape node:
 * x [T, B, I], s[i] [B, n_i] -> y [T, B, O], s_n[i] [1, B, n_i]. */
static rc_tensor *fused_layer(rc_tape *tp, const rc_rnn *rnn, const rc__cell_layer *L, const rc__cell_decl *dc,
                              const rc__fused_call *call, rc_tensor *x, rc_tensor *const *s, rc_tensor **s_n)
{
    const rc__cell_kernels *k = L->cell->kernels;
    size_t T = call->T, B = call->B, n = rnn->shape.n_states;
    rc_tensor *y = rc__tape_output(tp, "rc_rnn_forward", 3, (size_t[]){T, B, dc->out_width});
    if (!y)
        return NULL;
    for (size_t i = 0; i < n; i++)
        if (!(s_n[i] = rc__tape_output(tp, "rc_rnn_forward", 3, (size_t[]){1, B, dc->state_width[i]})))
            return NULL;
    rc_tensor *in[MAX_IN] = {x};
    for (size_t i = 0; i < n; i++)
        in[1 + i] = s[i];
    for (size_t j = 0; j < rnn->shape.n_params; j++)
        in[1 + n + j] = L->w[j];
    rc__node *node;
    if (rc__record(tp, RC__OP_rnn_layer, fused_backward, y, 1 + n + rnn->shape.n_params, in, &node))
        return NULL;
    fused_saved *sv = NULL;
    if (node) {
        sv = rc__tape_alloc(tp, 1, sizeof *sv);
        float *cache = sv ? rc__tape_alloc(tp, k->cache_size(call), sizeof(float)) : NULL;
        if (!sv || !cache)
            return NULL;
        *sv = (fused_saved){*call, *call->dims, k, n, rnn->shape.n_params, cache};
        node->saved = sv;
        for (size_t i = 0; i < n; i++)
            rc__add_output(node, (int)i, s_n[i]);
    }
    float *work = rc__tape_scratch(tp, k->work_size(call, 0)); /* after the tape's allocations above */
    if (!work)
        return NULL;
    const float *w[RC__CELL_MAX_PARAMS] = {0}, *s0[RC_MAX_STATES] = {0};
    float *sn[RC_MAX_STATES] = {0};
    for (size_t j = 0; j < rnn->shape.n_params; j++)
        w[j] = data_of(L->w[j]);
    for (size_t i = 0; i < n; i++)
        s0[i] = s[i]->data, sn[i] = s_n[i]->data;
    k->forward(call, w, NULL, x->data, s0, y->data, sn, sv ? sv->cache : NULL, work);
    return y;
}

/* ------------------------------------------------------------ composed layers */

/* A constant [B, 1] column: 1 where step t is inside sequence b. */
static rc_tensor *step_mask(rc_tape *tp, const int32_t *lengths, size_t t, size_t B)
{
    rc_tensor *m = rc_tape_tensor(tp, 2, (size_t[]){B, 1});
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
 * composed step: pre (every step at once), then step after step on rows
 * u_t [B, U]. */
static rc_tensor *composed_layer(rc_tape *tp, const rc_rnn *rnn, const rc__cell_layer *L, const rc__cell_decl *dc,
                                 int reverse, rc_tensor *x, const int32_t *lengths, rc_tensor *const *s0,
                                 rc_tensor **s_n)
{
    size_t T = x->shape[0], B = x->shape[1], n = rnn->shape.n_states;
    rc_tensor *u = L->cell->pre ? L->cell->pre(tp, L, x) : x;
    rc_tensor **ys = rc__tape_alloc(tp, T, sizeof *ys), *s[RC_MAX_STATES];
    if (!u || !ys)
        return NULL;
    memcpy(s, s0, n * sizeof *s);
    for (size_t k = 0; k < T; k++) {
        size_t t = reverse ? T - 1 - k : k;
        rc_tensor *u_t = rc_reshape(tp, rc_slice(tp, u, 0, t, 1), 2, (size_t[]){B, u->shape[2]});
        rc_tensor *s_new[RC_MAX_STATES] = {0};
        rc_tensor *y = u_t ? L->cell->step(tp, L, u_t, s, s_new) : NULL;
        if (!y)
            return NULL;
        rc_tensor *mask = lengths ? step_mask(tp, lengths, t, B) : NULL;
        for (size_t i = 0; i < n; i++)
            if (!(s[i] = mask ? masked(tp, mask, s_new[i], s[i]) : s_new[i]))
                return s_new[i] ? NULL : rc__fail_null(RC_EINVAL, "cell %s: the step left state %s unset",
                                                       rc_cell_name(rnn->cfg.cell), rnn->shape.state_name[i]);
        if (!(ys[t] = mask ? rc_mul(tp, y, mask) : y))
            return NULL;
    }
    for (size_t i = 0; i < n; i++)
        if (!(s_n[i] = rc_reshape(tp, s[i], 3, (size_t[]){1, B, dc->state_width[i]})))
            return NULL;
    return rc_reshape(tp, rc_concat(tp, ys, T, 0), 3, (size_t[]){T, B, dc->out_width});
}

rc_tensor *rc__rnn_layer_composed(rc_tape *tp, const rc_rnn *rnn, size_t l, rc_tensor *x, rc_tensor *const *s0,
                                  rc_tensor **s_n)
{
    return composed_layer(tp, rnn, &rnn->layers[l * rnn->dirs], &rnn->decls[l], 0, x, NULL, s0, s_n);
}

/* ------------------------------------------------------------ the driver */

/* One layer and direction: the cell's fused kernel when it has one that
 * takes the call (and the node can carry its states), else the composed
 * step. */
static rc_tensor *run_layer(rc_tape *tp, const rc_rnn *rnn, const rc__cell_layer *L, const rc__cell_decl *dc,
                            int reverse, rc_tensor *x, const rc_rnn_options *o, rc_tensor *const *s0, rc_tensor **s_n)
{
    const rc__cell_kernels *k = L->cell->kernels;
    if (k && !o->composed && rnn->shape.n_states <= RC__NODE_EXTRA) {
        size_t T = x->shape[0], B = x->shape[1], I = x->shape[2];
        rc__fused_call call = {T, B, I, reverse, o->lengths, 0, 0, L->rng != NULL, k->variant, &L->dims};
        call.sparse_x = rc__seq_sparse_input(T * B * I, x->data);
        if (k->takes(&call))
            return fused_layer(tp, rnn, L, dc, &call, x, s0, s_n);
    }
    return composed_layer(tp, rnn, L, dc, reverse, x, o->lengths, s0, s_n);
}

rc_tensor *rc__rnn_initial_state(rc_tape *tp, const rc_rnn *rnn, size_t l, size_t d, size_t i, size_t B)
{
    const rc__cell_layer *L = &rnn->layers[l * rnn->dirs + d];
    size_t w = rnn->decls[l].state_width[i];
    rc_tensor *s = L->cell->initial ? L->cell->initial(tp, L, i, B) : rc_tape_tensor(tp, 2, (size_t[]){B, w});
    if (s && (s->ndim != 2 || s->shape[0] != B || s->shape[1] != w))
        return rc__fail_null(RC_ESHAPE, "cell %s: its initial state %s is not [%zu, %zu]", rc_cell_name(rnn->cfg.cell),
                             rnn->shape.state_name[i], B, w);
    return s;
}

/* State i of row `row` (layer l) from a state tensor [L*D, B, n] as [B, w],
 * its leading w <= n columns (the layer's width), or the cell's start. */
static rc_tensor *state_row(rc_tape *tp, const rc_rnn *rnn, rc_tensor *s, size_t l, size_t row, size_t i, size_t B)
{
    size_t n = rnn->shape.state_width[i], w = rnn->decls[l].state_width[i];
    if (!s)
        return rc__rnn_initial_state(tp, rnn, l, row - l * rnn->dirs, i, B);
    rc_tensor *r = rc_reshape(tp, rc_slice(tp, s, 0, row, 1), 2, (size_t[]){B, n});
    return w < n ? rc_slice(tp, r, 1, 0, w) : r;
}

/* A layer's final state [1, B, w] widened with zeros to [1, B, n]. */
static rc_tensor *widened(rc_tape *tp, rc_tensor *s, size_t B, size_t n)
{
    size_t w = s->shape[2];
    rc_tensor *zeros = w < n ? rc_tape_tensor(tp, 3, (size_t[]){1, B, n - w}) : NULL;
    return w < n ? rc_concat(tp, (rc_tensor *[]){s, zeros}, 2, 2) : s;
}

/* The initial states of a call: states0, or h0 and c0. */
static int initial_states(const rc_rnn *rnn, const rc_rnn_options *o, rc_tensor **s0)
{
    memset(s0, 0, RC_MAX_STATES * sizeof *s0);
    if (o->states0 && (o->h0 || o->c0))
        return rc__fail(RC_EINVAL, "rc_rnn_forward: give the initial states as states0 or as h0 and c0, not both");
    if (o->states0) {
        memcpy(s0, o->states0, rnn->shape.n_states * sizeof *s0);
        return RC_OK;
    }
    const char *names[2] = {"h", "c"};
    rc_tensor *given[2] = {o->h0, o->c0};
    for (int k = 0; k < 2; k++) {
        long i = rc_rnn_state_index(rnn, names[k]);
        if (given[k] && i < 0)
            return rc__fail(RC_EINVAL, "rc_rnn_forward: %s0 given, but a %s has no state %s (give its states "
                                       "as states0)",
                            names[k], rc_cell_name(rnn->cfg.cell), names[k]);
        if (i >= 0)
            s0[i] = given[k];
    }
    return RC_OK;
}

static int check_call(const rc_rnn *rnn, const rc_tensor *x, const rc_rnn_options *o, rc_tensor *const *s0)
{
    const rc_rnn_config *cfg = &rnn->cfg;
    char sh[64];
    if (x->ndim != 3 || x->shape[2] != cfg->input_size)
        return rc__fail(RC_ESHAPE, "rc_rnn_forward: input must be [%s, %zu], got %s",
                        o->batch_first ? "B, T" : "T, B", cfg->input_size,
                        rc_shape_str(x, sh, sizeof sh));
    size_t T = x->shape[o->batch_first ? 1 : 0], B = x->shape[o->batch_first ? 0 : 1];
    size_t rows = cfg->num_layers * rnn->dirs;
    for (size_t i = 0; i < rnn->shape.n_states; i++) {
        const rc_tensor *s = s0[i];
        size_t n = rnn->shape.state_width[i];
        if (s && (s->ndim != 3 || s->shape[0] != rows || s->shape[1] != B || s->shape[2] != n))
            return rc__fail(RC_ESHAPE, "rc_rnn_forward: %s0 must be [%zu, %zu, %zu], got %s", rnn->shape.state_name[i],
                            rows, B, n, rc_shape_str(s, sh, sizeof sh));
    }
    for (size_t b = 0; o->lengths && b < B; b++)
        if (o->lengths[b] < 1 || (size_t)o->lengths[b] > T)
            return rc__fail(RC_EINVAL, "rc_rnn_forward: lengths[%zu] = %ld is not in 1..%zu", b,
                            (long)o->lengths[b], T);
    return RC_OK;
}

rc_tensor *rc__locked_dropout(rc_tape *tp, rc_tensor *x, float p, rc_rng *rng)
{
    if (!x || !rng || p <= 0.0f || x->ndim < 2)
        return x;
    return rc_mul(tp, x, rc_dropout_mask(tp, 2, x->shape + x->ndim - 2, p, rng));
}

int rc_rnn_weight_recurrent(const rc_rnn *rnn, const rc_tensor *w)
{
    for (size_t i = 0; rnn && w && i < rnn->cfg.num_layers * rnn->dirs; i++)
        for (size_t k = 0; k < rnn->shape.n_params; k++)
            if (rnn->layers[i].w[k] == w)
                return (rnn->shape.flags[k] & RC__PARAM_RECURRENT) != 0;
    return 0;
}

/* Every weight of L its cell flags recurrent multiplied by a mask of 0 and
 * 1/(1-p) drawn now: DropConnect with one mask for the whole pass, which
 * every step (composed or fused) then reads. */
static int drop_weights(rc_tape *tp, const rc_rnn *rnn, rc__cell_layer *L, float p, rc_rng *rng)
{
    for (size_t k = 0; k < rnn->shape.n_params; k++) {
        rc_tensor *w = L->w[k];
        if (w && (rnn->shape.flags[k] & RC__PARAM_RECURRENT) &&
            !(L->w[k] = rc_mul(tp, w, rc_dropout_mask(tp, w->ndim, w->shape, p, rng))))
            return rc_last_status();
    }
    return RC_OK;
}

rc_tensor *rc_rnn_forward_states(rc_tape *tp, rc_rnn *rnn, rc_tensor *x, const rc_rnn_options *opts,
                                 rc_tensor **states_n)
{
    return rc__rnn_forward_hooked(tp, rnn, x, opts, states_n, NULL);
}

rc_tensor *rc__rnn_forward_hooked(rc_tape *tp, rc_rnn *rnn, rc_tensor *x, const rc_rnn_options *opts,
                                  rc_tensor **states_n, const rc__rnn_hooks *hooks)
{
    static const rc_rnn_options none = {0};
    const rc_rnn_options *o = opts ? opts : &none;
    if (rc__check_inputs(tp, "rc_rnn_forward", 1, &x))
        return NULL;
    if (!rnn)
        return rc__fail_null(RC_EINVAL, "rc_rnn_forward: network is NULL");
    rc_tensor *s0[RC_MAX_STATES];
    if (initial_states(rnn, o, s0) || check_call(rnn, x, o, s0))
        return NULL;
    const rc_rnn_config *cfg = &rnn->cfg;
    size_t L = cfg->num_layers, D = rnn->dirs, n = rnn->shape.n_states;
    rc_tensor *input = o->batch_first ? rc_transpose(tp, x, 0, 1) : x;
    size_t B = x->shape[o->batch_first ? 0 : 1];
    rc_tensor **fin = rc__tape_alloc(tp, n * L * D, sizeof *fin); /* [n][L*D] final states [1, B, n_i] */
    if (!input || !fin)
        return NULL;

    for (size_t l = 0; l < L; l++) {
        rc_tensor *outs[2];
        if (hooks && !(input = hooks->before(tp, l, input, hooks->ctx)))
            return NULL;
        for (size_t d = 0; d < D; d++) {
            size_t row = l * D + d;
            rc_tensor *s[RC_MAX_STATES], *s_n[RC_MAX_STATES];
            for (size_t i = 0; i < n; i++)
                if (!(s[i] = state_row(tp, rnn, s0[i], l, row, i, B)))
                    return NULL;
            rc__cell_layer pass = rnn->layers[row]; /* this pass's: its generator, its dropped weights */
            pass.rng = o->dropout_rng;
            if (cfg->weight_drop > 0.0f && o->dropout_rng && drop_weights(tp, rnn, &pass, cfg->weight_drop, o->dropout_rng))
                return NULL;
            outs[d] = run_layer(tp, rnn, &pass, &rnn->decls[l], (int)d, input, o, s, s_n);
            if (!outs[d])
                return NULL;
            for (size_t i = 0; i < n; i++)
                if (!(fin[i * L * D + row] = widened(tp, s_n[i], B, rnn->shape.state_width[i])))
                    return NULL;
        }
        rc_tensor *out = D == 2 ? rc_concat(tp, outs, 2, 2) : outs[0];
        if (hooks) {
            if (!(input = hooks->after(tp, l, out, hooks->ctx)))
                return NULL;
            continue;
        }
        if (cfg->residual && l > 0)
            out = rc_add(tp, out, input);
        if (l + 1 < L && cfg->dropout > 0.0f && o->dropout_rng)
            out = cfg->dropout_locked ? rc__locked_dropout(tp, out, cfg->dropout, o->dropout_rng)
                                      : rc_dropout(tp, out, cfg->dropout, o->dropout_rng);
        if (!out)
            return NULL;
        input = out;
    }
    for (size_t i = 0; states_n && i < n; i++)
        if (!(states_n[i] = rc_concat(tp, fin + i * L * D, L * D, 0)))
            return NULL;
    return o->batch_first ? rc_transpose(tp, input, 0, 1) : input;
}

rc_tensor *rc_rnn_forward(rc_tape *tp, rc_rnn *rnn, rc_tensor *x, const rc_rnn_options *opts,
                          rc_tensor **h_n, rc_tensor **c_n)
{
    rc_tensor *states_n[RC_MAX_STATES] = {0};
    rc_tensor *y = rc_rnn_forward_states(tp, rnn, x, opts, h_n || c_n ? states_n : NULL);
    long h = rc_rnn_state_index(rnn, "h"), c = rc_rnn_state_index(rnn, "c");
    if (h_n)
        *h_n = y && h >= 0 ? states_n[h] : NULL;
    if (c_n)
        *c_n = y && c >= 0 ? states_n[c] : NULL;
    return y;
}
