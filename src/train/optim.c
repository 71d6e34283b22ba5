/* optim.c — optimizers over a parameter set's flat blocks.
 *
 * With g the gradient (plus weight_decay * w, except for AdamW), lr the
 * rate and t the step count after this step (PyTorch's torch.optim rules):
 *   SGD:     b = momentum b + g (b = g at the first step);
 *            d = nesterov ? g + momentum b : b   (d = g without momentum)
 *   Adam:    m = b1 m + (1 - b1) g,  v = b2 v + (1 - b2) g^2,
 *            d = (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
 *   AdamW:   w *= 1 - lr weight_decay, then Adam on the plain gradient
 *   RMSProp: v = alpha v + (1 - alpha) g^2;  centred: a = alpha a + (1 - alpha) g,
 *            r = sqrt(v - a^2), else r = sqrt(v);  r = max(r, rms_floor) + eps;
 *            with momentum b = momentum b + g / r and d = b, else d = g / r
 *   ASGD:    SGD; once averaging has started, avg += (w - avg) / n after
 *            every step, n counting the averaged steps
 * then w -= lr d, with the update lr d scaled to a global norm of at most
 * clip_update when that is set. */
#include "../core/core.h"
#include "../kernels/kernels.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_STATE = 3 };

struct rc_optim {
    rc_optim_config cfg;
    rc_params *params;
    size_t n;                     /* floats */
    uint64_t steps;
    size_t n_state;
    const char *state_names[MAX_STATE + 1];
    float *state[MAX_STATE + 1];  /* [n] each; the last may be the average */
    float *update;                /* [n] this step's direction */
    int averaging;
    uint64_t averaged;            /* steps folded into the average */
};

static const char *const optim_names[RC_OPTIM_COUNT] = {
#define RC__OPTIM_NAME(id, name) [id] = name,
    RC_OPTIM_LIST(RC__OPTIM_NAME)
#undef RC__OPTIM_NAME
};

const char *rc_optim_name(int kind) { return kind >= 0 && kind < RC_OPTIM_COUNT ? optim_names[kind] : NULL; }

int rc_optim_from_name(const char *name) { return rc__name_index(optim_names, RC_OPTIM_COUNT, name); }

rc_optim_config rc_optim_config_default(int kind)
{
    rc_optim_config c = {0};
    c.kind = kind;
    c.beta1 = 0.9f;
    c.beta2 = 0.999f;
    c.eps = 1e-8f;
    c.alpha = 0.99f;
    if (kind == RC_OPTIM_ADAMW)
        c.weight_decay = 0.01f;
    return c;
}

static int add_state(rc_optim *o, const char *name)
{
    float *b = rc__alloc_aligned((o->n ? o->n : 1) * sizeof(float));
    if (!b)
        return rc__fail(RC_ENOMEM, "rc_optim_new: cannot allocate %zu floats of state", o->n);
    memset(b, 0, o->n * sizeof(float));
    o->state_names[o->n_state] = name;
    o->state[o->n_state++] = b;
    return RC_OK;
}

rc_optim *rc_optim_new(rc_params *params, const rc_optim_config *cfg)
{
    if (!params || !cfg || !rc_optim_name(cfg->kind))
        return rc__fail_null(RC_EINVAL, "rc_optim_new: needs a parameter set and a known optimizer");
    if (!(cfg->momentum >= 0.0f && cfg->momentum < 1.0f) || !(cfg->weight_decay >= 0.0f) ||
        !(cfg->beta1 >= 0.0f && cfg->beta1 < 1.0f) || !(cfg->beta2 >= 0.0f && cfg->beta2 < 1.0f) ||
        !(cfg->alpha >= 0.0f && cfg->alpha < 1.0f) || !(cfg->eps >= 0.0f) ||
        !(cfg->rms_floor >= 0.0f) || !(cfg->clip_update >= 0.0f))
        return rc__fail_null(RC_EINVAL, "rc_optim_new: momentum, betas and alpha must be in [0, 1); "
                                        "weight decay, eps, rms_floor and clip_update non-negative");
    if (cfg->nesterov && (cfg->kind != RC_OPTIM_SGD || cfg->momentum == 0.0f))
        return rc__fail_null(RC_EINVAL, "rc_optim_new: Nesterov momentum needs SGD with momentum > 0");
    rc_optim *o = calloc(1, sizeof *o);
    if (!o)
        return rc__fail_null(RC_ENOMEM, "rc_optim_new: out of memory");
    o->cfg = *cfg;
    o->params = params;
    o->n = rc_params_numel(params);
    int status = RC_OK;
    switch (cfg->kind) {
    case RC_OPTIM_SGD:
    case RC_OPTIM_ASGD:
        if (cfg->momentum > 0.0f)
            status = add_state(o, "momentum");
        if (!status && cfg->kind == RC_OPTIM_ASGD)
            status = add_state(o, "average");
        break;
    case RC_OPTIM_ADAM:
    case RC_OPTIM_ADAMW:
        status = add_state(o, "exp_avg");
        if (!status)
            status = add_state(o, "exp_avg_sq");
        break;
    default: /* RMSProp */
        status = add_state(o, "square_avg");
        if (!status && cfg->centered)
            status = add_state(o, "grad_avg");
        if (!status && cfg->momentum > 0.0f)
            status = add_state(o, "momentum");
        break;
    }
    if (!status && !(o->update = rc__alloc_aligned((o->n ? o->n : 1) * sizeof(float))))
        status = rc__fail(RC_ENOMEM, "rc_optim_new: out of memory");
    if (status) {
        rc_optim_free(o);
        return NULL;
    }
    return o;
}

void rc_optim_free(rc_optim *o)
{
    if (!o)
        return;
    for (size_t i = 0; i < o->n_state; i++)
        rc__free_aligned(o->state[i]);
    rc__free_aligned(o->update);
    free(o);
}

static float *state_named(rc_optim *o, const char *name)
{
    for (size_t i = 0; i < o->n_state; i++)
        if (!strcmp(o->state_names[i], name))
            return o->state[i];
    return NULL;
}

/* d[i], the direction of step t (before the learning rate), into d.  The
 * state blocks, w, grad and d are distinct allocations (restrict lets the
 * loops vectorize without run-time overlap checks). */
static void direction(rc_optim *o, const float *restrict w, const float *restrict grad, float *restrict d)
{
    const rc_optim_config *c = &o->cfg;
    size_t n = o->n;
    float wd = c->kind == RC_OPTIM_ADAMW ? 0.0f : c->weight_decay;
    double t = (double)o->steps;
    switch (c->kind) {
    case RC_OPTIM_SGD:
    case RC_OPTIM_ASGD: {
        float *restrict b = state_named(o, "momentum");
        for (size_t i = 0; i < n; i++) {
            float g = grad[i] + wd * w[i];
            if (b) {
                b[i] = o->steps == 1 ? g : c->momentum * b[i] + g;
                g = c->nesterov ? g + c->momentum * b[i] : b[i];
            }
            d[i] = g;
        }
        break;
    }
    case RC_OPTIM_ADAM:
    case RC_OPTIM_ADAMW: {
        float *restrict m = state_named(o, "exp_avg"), *restrict v = state_named(o, "exp_avg_sq");
        float c1 = (float)(1.0 - pow(c->beta1, t)), c2 = (float)(1.0 - pow(c->beta2, t));
        float sc2 = sqrtf(c2);
        for (size_t i = 0; i < n; i++) {
            float g = grad[i] + wd * w[i];
            m[i] = c->beta1 * m[i] + (1.0f - c->beta1) * g;
            v[i] = c->beta2 * v[i] + (1.0f - c->beta2) * g * g;
            d[i] = (m[i] / c1) / (sqrtf(v[i]) / sc2 + c->eps);
        }
        break;
    }
    default: /* RMSProp, in the SIMD kernels */
        rc__rmsprop(n, grad, w, wd, c->alpha, c->momentum, c->rms_floor, c->eps, state_named(o, "square_avg"),
                    state_named(o, "grad_avg"), state_named(o, "momentum"), d);
        break;
    }
}

int rc_optim_step(rc_optim *o, float lr)
{
    if (!o || !(lr >= 0.0f))
        return rc__fail(RC_EINVAL, "rc_optim_step: needs an optimizer and a learning rate >= 0");
    if (rc_params_numel(o->params) != o->n)
        return rc__fail(RC_EINVAL, "rc_optim_step: the parameter set grew after the optimizer was made");
    float *w = rc_params_values(o->params);
    const float *g = rc_params_grads(o->params);
    o->steps++;
    if (o->cfg.kind == RC_OPTIM_ADAMW && o->cfg.weight_decay > 0.0f) {
        float keep = 1.0f - lr * o->cfg.weight_decay;
        for (size_t i = 0; i < o->n; i++)
            w[i] *= keep;
    }
    float *d = o->update;
    direction(o, w, g, d);
    float s = 1.0f;
    if (o->cfg.clip_update > 0.0f) {
        double norm = lr * sqrt(rc__sum_squares(o->n, d));
        if (norm > o->cfg.clip_update)
            s = (float)(o->cfg.clip_update / norm);
    }
    for (size_t i = 0; i < o->n; i++)
        w[i] -= lr * s * d[i];
    float *avg = state_named(o, "average");
    if (avg && o->averaging) {
        o->averaged++;
        float inv = 1.0f / (float)o->averaged;
        for (size_t i = 0; i < o->n; i++)
            avg[i] += (w[i] - avg[i]) * inv;
    }
    return RC_OK;
}

uint64_t rc_optim_steps(const rc_optim *o) { return o->steps; }

uint64_t rc_optim_averaged_steps(const rc_optim *o) { return o->averaged; }

void rc_optim_restore(rc_optim *o, uint64_t steps, int averaging, uint64_t averaged)
{
    o->steps = steps;
    o->averaging = averaging && state_named(o, "average") != NULL;
    o->averaged = averaged;
}

size_t rc_optim_state_count(const rc_optim *o) { return o->n_state; }

const char *rc_optim_state_name(const rc_optim *o, size_t i)
{
    return i < o->n_state ? o->state_names[i] : NULL;
}

float *rc_optim_state(rc_optim *o, size_t i) { return i < o->n_state ? o->state[i] : NULL; }

void rc_optim_start_averaging(rc_optim *o)
{
    float *avg = state_named(o, "average");
    if (!avg || o->averaging)
        return;
    o->averaging = 1;
    o->averaged = 1;
    memcpy(avg, rc_params_values(o->params), o->n * sizeof(float));
}

int rc_optim_averaging(const rc_optim *o) { return o->averaging; }

void rc_optim_swap_average(rc_optim *o)
{
    float *avg = state_named(o, "average"), *w = rc_params_values(o->params);
    if (!avg || !o->averaging)
        return;
    for (size_t i = 0; i < o->n; i++) {
        float t = w[i];
        w[i] = avg[i];
        avg[i] = t;
    }
}
