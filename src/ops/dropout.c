/* dropout.c — inverted dropout (Srivastava et al. 2014) and the fixed masks
 * of variational dropout (Gal & Ghahramani 2016).  A dropout is a product
 * with a constant mask, so its gradient is the product's. */
#include "ops.h"

rc_tensor *rc_dropout_mask(rc_tape *tp, int ndim, const size_t *shape, float p, rc_rng *rng)
{
    if (!tp || !rng)
        return rc__fail_null(RC_EINVAL, "rc_dropout_mask: tape or generator is NULL");
    if (!(p >= 0.0f && p < 1.0f))
        return rc__fail_null(RC_EINVAL, "rc_dropout_mask: drop probability %g is not in [0, 1)",
                             (double)p);
    rc_tensor *m = rc__tape_output(tp, "rc_dropout_mask", ndim, shape);
    if (!m)
        return NULL;
    float keep = 1.0f / (1.0f - p);
    for (size_t i = 0; i < m->size; i++)
        m->data[i] = rc_rng_uniform(rng) < p ? 0.0f : keep;
    return m;
}

rc_tensor *rc_dropout(rc_tape *tp, rc_tensor *x, float p, rc_rng *rng)
{
    if (rc__check_inputs(tp, "rc_dropout", 1, &x))
        return NULL;
    rc_tensor *mask = rc_dropout_mask(tp, x->ndim, x->shape, p, rng);
    return mask ? rc_mul(tp, x, mask) : NULL;
}
