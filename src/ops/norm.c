/* norm.c — layer normalization (Ba, Kiros & Hinton 2016) over the last axis:
 *   mu = mean(x),  r = 1 / sqrt(var(x) + eps),  xh = (x - mu) r,
 *   y = xh * gamma + beta
 * Backward per row of F features, with gh = dy * gamma:
 *   dx = r (gh - mean(gh) - xh mean(gh * xh)),
 *   dgamma += dy * xh,  dbeta += dy. */
#include "ops.h"

#include <math.h>

static int layer_norm_backward(rc_tape *tp, rc__node *node)
{
    rc_tensor *x = node->in[0], *gamma = node->in[1];
    size_t F = x->shape[x->ndim - 1], rows = x->size / F;
    const float *stats = node->saved; /* [rows, 2]: mean, r */
    const float *gy = node->out->grad;
    float *grads[3];
    int status = rc__input_grads(tp, node, grads);
    if (status)
        return status;
    float *gx = grads[0], *gg = grads[1], *gb = grads[2];
    for (size_t r = 0; r < rows; r++) {
        const float *xr = x->data + r * F, *g = gy + r * F;
        float mu = stats[2 * r], rstd = stats[2 * r + 1];
        double mean_gh = 0.0, mean_ghxh = 0.0;
        for (size_t f = 0; f < F; f++) {
            float xh = (xr[f] - mu) * rstd;
            float gh = g[f] * (gamma ? gamma->data[f] : 1.0f);
            mean_gh += gh;
            mean_ghxh += (double)gh * xh;
            if (gg)
                gg[f] += g[f] * xh;
            if (gb)
                gb[f] += g[f];
        }
        mean_gh /= (double)F;
        mean_ghxh /= (double)F;
        if (!gx)
            continue;
        for (size_t f = 0; f < F; f++) {
            float xh = (xr[f] - mu) * rstd;
            float gh = g[f] * (gamma ? gamma->data[f] : 1.0f);
            gx[r * F + f] += rstd * (gh - (float)mean_gh - xh * (float)mean_ghxh);
        }
    }
    return RC_OK;
}

rc_tensor *rc_layer_norm(rc_tape *tp, rc_tensor *x, rc_tensor *gamma, rc_tensor *beta, float eps)
{
    rc_tensor *in[3] = {x, gamma, beta};
    if (rc__check_inputs(tp, "rc_layer_norm", 1, in))
        return NULL;
    size_t F = x->shape[x->ndim - 1], rows = x->size / F;
    char sx[64], sp[64];
    for (int j = 1; j < 3; j++)
        if (in[j] && (in[j]->ndim != 1 || in[j]->size != F))
            return rc__fail_null(RC_ESHAPE, "rc_layer_norm: %s must be [%zu] for x %s, got %s",
                                 j == 1 ? "gamma" : "beta", F, rc_shape_str(x, sx, sizeof sx),
                                 rc_shape_str(in[j], sp, sizeof sp));
    if (!(eps > 0.0f))
        return rc__fail_null(RC_EINVAL, "rc_layer_norm: eps must be positive, got %g", (double)eps);
    rc_tensor *y = rc__tape_output(tp, "rc_layer_norm", x->ndim, x->shape);
    float *stats = rc__tape_alloc(tp, rows, 2 * sizeof(float));
    if (!y || !stats)
        return NULL;
    for (size_t r = 0; r < rows; r++) {
        const float *xr = x->data + r * F;
        double sum = 0.0, sq = 0.0;
        for (size_t f = 0; f < F; f++)
            sum += xr[f];
        double mu = sum / (double)F;
        for (size_t f = 0; f < F; f++)
            sq += (xr[f] - mu) * (xr[f] - mu);
        float rstd = (float)(1.0 / sqrt(sq / (double)F + eps));
        stats[2 * r] = (float)mu;
        stats[2 * r + 1] = rstd;
        for (size_t f = 0; f < F; f++) {
            float xh = (xr[f] - (float)mu) * rstd;
            y->data[r * F + f] = xh * (gamma ? gamma->data[f] : 1.0f) + (beta ? beta->data[f] : 0.0f);
        }
    }
    rc__node *node;
    if (rc__record(tp, RC__OP_layer_norm, layer_norm_backward, y, 3, in, &node))
        return NULL;
    if (node)
        node->saved = stats;
    return y;
}
