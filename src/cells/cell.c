/* cell.c — what a cell's declare() calls, and the building blocks of
 * PyTorch's three cells. */
#include "cell.h"

#include <stdio.h>
#include <string.h>

int rc__param(rc__cell_decl *d, size_t slot, const char *base, int ndim, const size_t *shape, rc__init init,
              int flags)
{
    if (slot >= RC__CELL_MAX_PARAMS || ndim < 1 || ndim > RC_MAX_DIMS || strlen(base) >= RC__CELL_NAME ||
        d->param[slot].ndim)
        return rc__fail(RC_EINVAL, "cell: parameter %s in slot %zu cannot be declared (%d of at most %d "
                                   "dimensions, %d slots, names under %d bytes, each slot once)",
                        base, slot, ndim, RC_MAX_DIMS, RC__CELL_MAX_PARAMS, RC__CELL_NAME);
    for (int k = 0; k < ndim; k++)
        if (shape[k] == 0)
            return rc__fail(RC_EINVAL, "cell: parameter %s has an empty dimension %d", base, k);
    rc__cell_param *p = &d->param[slot];
    snprintf(p->base, sizeof p->base, "%s", base);
    p->ndim = ndim;
    for (int k = 0; k < RC_MAX_DIMS; k++)
        p->shape[k] = k < ndim ? shape[k] : 1;
    p->init = init;
    p->flags = flags;
    if (slot >= d->n_params)
        d->n_params = slot + 1;
    d->order[d->n_declared++] = slot;
    return RC_OK;
}

int rc__state(rc__cell_decl *d, size_t slot, const char *name, size_t width)
{
    if (slot != d->n_states || slot >= RC_MAX_STATES || width == 0)
        return rc__fail(RC_EINVAL, "cell: state %s cannot be declared in slot %zu (states come in order, "
                                   "at most %d, each at least 1 wide)",
                        name, slot, RC_MAX_STATES);
    d->state_name[slot] = name;
    d->state_width[slot] = width;
    d->n_states++;
    return RC_OK;
}

void rc__output(rc__cell_decl *d, size_t width) { d->out_width = width; }

const int32_t *rc__fixed_permutation(rc_tape *tp, size_t n, uint64_t seed, uint64_t stream)
{
    int32_t *p = rc__tape_alloc(tp, n, sizeof *p);
    if (!p)
        return NULL;
    rc_rng rng;
    rc_rng_seed(&rng, seed, stream);
    for (size_t k = 0; k < n; k++)
        p[k] = (int32_t)k;
    for (size_t k = n - 1; n > 1 && k > 0; k--) {
        size_t j = rc_rng_below(&rng, (uint32_t)(k + 1));
        int32_t v = p[k];
        p[k] = p[j], p[j] = v;
    }
    return p;
}

int rc__torch_declare(rc__cell_decl *d, const rc__cell_dims *c, size_t G, size_t Ho)
{
    const rc__init torch = {0};
    size_t GH = G * c->H;
    int st = rc__param(d, RC__W_IH, "weight_ih", 2, (size_t[]){GH, c->I}, torch, 0);
    if (!st)
        st = rc__param(d, RC__W_HH, "weight_hh", 2, (size_t[]){GH, Ho}, torch, RC__PARAM_RECURRENT);
    if (!st && c->bias)
        st = rc__param(d, RC__B_IH, "bias_ih", 1, (size_t[]){GH}, torch, 0);
    if (!st && c->bias)
        st = rc__param(d, RC__B_HH, "bias_hh", 1, (size_t[]){GH}, torch, 0);
    return st;
}

rc_tensor *rc__torch_pre(rc_tape *tp, const rc__cell_layer *L, rc_tensor *x)
{
    return rc_linear(tp, x, L->w[RC__W_IH], L->w[RC__B_IH]);
}
