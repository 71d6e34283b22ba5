/* common.c — argument checks and views shared by the operation families. */
#include "ops.h"

const char *const rc__op_names[RC__OP_COUNT] = {
#define RC_OP(name) #name,
#include "ops.def"
#undef RC_OP
};

int rc__check_inputs(rc_tape *tp, const char *who, size_t n, rc_tensor *const *xs)
{
    if (!tp)
        return rc__fail(RC_EINVAL, "%s: tape is NULL", who);
    for (size_t i = 0; i < n; i++) {
        if (xs[i])
            continue;
        if (rc_last_status() == RC_OK)
            return rc__fail(RC_EINVAL, "%s: input %zu is NULL", who, i + 1);
        return rc_last_status();
    }
    return RC_OK;
}

void rc__axis_view(const rc_tensor *t, int axis, size_t *outer, size_t *n, size_t *inner)
{
    *outer = *inner = 1;
    for (int d = 0; d < axis; d++)
        *outer *= t->shape[d];
    *n = t->shape[axis];
    for (int d = axis + 1; d < t->ndim; d++)
        *inner *= t->shape[d];
}

int rc__drop_axis(const rc_tensor *t, int axis, size_t *shape)
{
    int nd = 0;
    for (int d = 0; d < t->ndim; d++)
        if (d != axis)
            shape[nd++] = t->shape[d];
    if (nd == 0)
        shape[nd++] = 1;
    return nd;
}
